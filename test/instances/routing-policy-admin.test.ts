import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin, TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { waitFor } from '../support/wait.js';

const POLICY_KEY = 'switchboard/config/routing-policy';
const onlyClaude = {
  tiers: { only_claude: ['claude/claude-sonnet-4-6'] },
  rules: [],
  defaultTier: 'only_claude',
};

describe('instance-manager: the routing policy as an admin resource', () => {
  let stack: GatewayStack;
  let call: ReturnType<typeof admin>;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [
        { name: 'openai-a', provider: 'openai', models: ['gpt-4o'] },
        { name: 'claude-a', provider: 'claude', models: ['claude-sonnet-4-6'] },
      ],
    });
    call = admin(stack.manager.url);
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores the built-in policy in Consul KV on first start, so the Consul UI shows what is in force', async () => {
    const stored = await waitFor(
      'the default policy in Consul KV',
      async () => (await stack.consul.kvGet(POLICY_KEY)).body,
    );
    const current = await call('GET', '/admin/routing-policy');
    assert.equal(current.status, 200);
    assert.equal(current.body.source, 'consul');
    assert.equal(current.body.key, POLICY_KEY);
    assert.equal(current.body.modifyIndex, stored.ModifyIndex);
    assert.deepEqual(JSON.parse(stored.Value!), current.body.policy, 'what is stored is the policy in force');
    assert.equal(current.body.policy.balancing.strategy, 'health_based');
  });

  it('refuses an invalid policy with 400 listing every problem, and stores nothing', async () => {
    const before = (await call('GET', '/admin/routing-policy')).body.modifyIndex;
    const refused = await call('PUT', '/admin/routing-policy', {
      defaultTier: 'nowhere',
      rules: [{ name: 'x', when: { colour: 'blue' }, tier: 'ghost' }],
    });
    assert.equal(refused.status, 400);
    assert.equal(typeof refused.body.message, 'string');
    assert.ok(
      refused.body.details.some((problem: string) => /^defaultTier: unknown tier 'nowhere'/.test(problem)),
      refused.text,
    );
    assert.ok(
      refused.body.details.some((problem: string) => /^rules\[0\]\.when\.colour: unknown condition/.test(problem)),
    );
    assert.equal((await call('GET', '/admin/routing-policy')).body.modifyIndex, before, 'nothing was written');
  });

  it('replaces the policy with compare-and-set, audits it, and the gateway routes by it', async () => {
    const read = (await call('GET', '/admin/routing-policy')).body;
    const stale = read.modifyIndex - 1;
    const response = await fetch(`${stack.manager.url}/admin/routing-policy`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        'content-type': 'application/json',
        'if-match': String(read.modifyIndex),
        'x-admin-actor': 'policy-editor',
      },
      body: JSON.stringify(onlyClaude),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const written = (await response.json()) as { modifyIndex: number; policy: { defaultTier: string } };
    assert.ok(written.modifyIndex > read.modifyIndex);
    assert.equal(written.policy.defaultTier, 'only_claude');

    await waitFor(
      'the gateway to route auto by the new policy',
      async () => {
        const chat = await stack.chat({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
        await chat.arrayBuffer();
        return chat.headers.get('x-switchboard-route') === 'auto:only_claude';
      },
      5_000,
      50,
    );

    const audit = (await call('GET', '/admin/audit')).body as { action: string; actor: string; targetId: string }[];
    const entry = audit.find((row) => row.action === 'routing_policy.replace');
    assert.deepEqual(entry && { actor: entry.actor, targetId: entry.targetId }, {
      actor: 'policy-editor',
      targetId: POLICY_KEY,
    });

    // A writer that read an older version is refused instead of overwriting this change.
    const conflict = await fetch(`${stack.manager.url}/admin/routing-policy`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        'content-type': 'application/json',
        'if-match': String(stale),
      },
      body: JSON.stringify({ ...onlyClaude, maxCandidates: 3 }),
    });
    assert.equal(conflict.status, 409);
    assert.match(((await conflict.json()) as { message: string }).message, /changed since index/);
    const badIndex = await fetch(`${stack.manager.url}/admin/routing-policy`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        'content-type': 'application/json',
        'if-match': 'latest',
      },
      body: JSON.stringify(onlyClaude),
    });
    assert.equal(badIndex.status, 400);
  });

  it('needs the admin token', async () => {
    assert.equal((await fetch(`${stack.manager.url}/admin/routing-policy`)).status, 401);
  });
});
