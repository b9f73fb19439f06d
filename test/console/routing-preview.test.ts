import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { AppProcess } from '../support/app-process.js';
import { ConsulAgent } from '../support/consul-agent.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { admin, instanceManagerEnv } from '../support/instance-manager-env.js';
import { freePorts } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const hello = [{ role: 'user', content: 'Hello there' }];

/**
 * POST /admin/routing-policy/preview against a real instance-manager: the gateways' router over the
 * policy in Consul KV (or a draft) and the enabled instances in Postgres.
 */
describe('instance-manager: POST /admin/routing-policy/preview', () => {
  let agent: ConsulAgent;
  let database: TestDatabase;
  let simulator: ProviderSimulator;
  let manager: AppProcess;
  let call: ReturnType<typeof admin>;

  const preview = (body: unknown, token?: string) => call('POST', '/admin/routing-policy/preview', body, token);

  before(async () => {
    [agent, database, simulator] = await Promise.all([
      ConsulAgent.start(),
      createTestDatabase(),
      ProviderSimulator.start({ controlPort: 0 }),
    ]);
    const [port] = await freePorts(1);
    manager = await AppProcess.start('instance-manager', port!, instanceManagerEnv(agent.address, database.url));
    call = admin(manager.url);
    const instances = [
      { name: 'openai-a', provider: 'openai', models: ['gpt-4o', 'gpt-4o-mini'] },
      { name: 'openai-b', provider: 'openai', models: ['gpt-4o'] },
      { name: 'claude-a', provider: 'claude', models: ['claude-sonnet-4-6', 'claude-haiku-4-5'] },
      { name: 'claude-off', provider: 'claude', models: ['claude-opus-4-7'], enabled: false },
    ];
    for (const { name, provider, models, enabled } of instances) {
      const { baseUrl } = await simulator.addInstance({ id: name, provider, apiKey: `sim-key-${name}` });
      const created = await call('POST', '/admin/instances', {
        name,
        provider,
        baseUrl,
        models,
        apiKey: `sim-key-${name}`,
        ...(enabled === false ? { enabled } : {}),
      });
      assert.equal(created.status, 201, created.text);
    }
    const listed = (await call('GET', '/admin/instances')).body.items as { id: string; name: string }[];
    const drained = await call('POST', `/admin/instances/${listed.find((row) => row.name === 'openai-b')!.id}/drain`);
    assert.equal(drained.status, 200, drained.text);
    await waitFor(
      'the built-in policy in Consul KV',
      async () => (await call('GET', '/admin/routing-policy')).body?.source === 'consul',
    );
  });

  after(async () => {
    await manager?.stop();
    await Promise.all([agent?.stop(), simulator?.stop()]);
    await database?.drop();
  });

  it('routes an auto request by the stored policy: ordered pools, why, and the instances serving each', async () => {
    const response = await preview({ model: 'auto', messages: hello });
    assert.equal(response.status, 200, response.text);
    const { body } = response;
    assert.equal(body.mode, 'auto');
    assert.equal(body.tier, 'balanced');
    assert.equal(body.rule, undefined, 'no rule matched: the default tier');
    assert.deepEqual(
      body.candidates.map((candidate: { pool: string }) => candidate.pool),
      ['openai/gpt-4o', 'claude/claude-sonnet-4-6', 'openai/gpt-4o-mini'],
      'the balanced tier, without the pools no enabled instance serves',
    );
    assert.deepEqual(
      body.candidates[0].instances.map((instance: { name: string; draining: boolean }) => [
        instance.name,
        instance.draining,
      ]),
      [
        ['openai-a', false],
        ['openai-b', true],
      ],
    );
    assert.match(body.candidates[0].reason, /tier 'balanced'/);
    assert.ok(
      body.reasons.some((reason: string) => /zai\/glm-4\.6 skipped: no instance serves it/.test(reason)),
      body.reasons.join('\n'),
    );
    assert.equal(body.features.hasImages, false);
    assert.equal(body.policy.source, 'consul');
    assert.equal(typeof body.policy.modifyIndex, 'number');
  });

  it('applies the rules to what the request holds (tools) and the routing headers', async () => {
    const tools = await preview({
      model: 'auto',
      messages: hello,
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
      headers: { 'X-Switchboard-Prefer-Provider': 'claude' },
    });
    assert.equal(tools.status, 200, tools.text);
    assert.equal(tools.body.rule, 'tools');
    assert.equal(tools.body.candidates[0].pool, 'claude/claude-sonnet-4-6');
    assert.match(tools.body.candidates[0].reason, /preferred provider/);

    const explicit = await preview({ model: 'claude/claude-sonnet-4-6', messages: hello, stream: true });
    assert.equal(explicit.body.mode, 'explicit');
    assert.deepEqual(
      explicit.body.candidates.map((candidate: { pool: string }) => candidate.pool),
      ['claude/claude-sonnet-4-6'],
      'no other provider without the allow-fallback header',
    );
    const fallback = await preview({
      model: 'claude/claude-sonnet-4-6',
      messages: hello,
      headers: { 'x-switchboard-allow-fallback': 'true' },
    });
    assert.deepEqual(
      fallback.body.candidates.map((candidate: { pool: string }) => candidate.pool),
      ['claude/claude-sonnet-4-6', 'openai/gpt-4o'],
    );
  });

  it('routes by a draft policy without storing it, and names the draft field at fault', async () => {
    const before = (await call('GET', '/admin/routing-policy')).body.modifyIndex;
    const draft = await preview({
      model: 'auto',
      messages: hello,
      policy: { tiers: { only_claude: ['claude/claude-haiku-4-5'] }, rules: [], defaultTier: 'only_claude' },
    });
    assert.equal(draft.status, 200, draft.text);
    assert.equal(draft.body.tier, 'only_claude');
    assert.deepEqual(draft.body.policy, { source: 'draft' });
    assert.equal(draft.body.candidates[0].pool, 'claude/claude-haiku-4-5');

    const mistake = await preview({ model: 'auto', messages: hello, policy: { defaultTier: 'nowhere' } });
    assert.equal(mistake.status, 400);
    assert.ok(
      mistake.body.details.some((problem: string) => /^policy\.defaultTier: unknown tier 'nowhere'/.test(problem)),
      mistake.text,
    );
    assert.equal((await call('GET', '/admin/routing-policy')).body.modifyIndex, before, 'nothing was stored');
  });

  it('answers a model nobody serves (a disabled instance does not count) with no candidates and why', async () => {
    const response = await preview({ model: 'claude-opus-4-7', messages: hello });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body.candidates, []);
    assert.match(response.body.unroutable, /'claude-opus-4-7' cannot be routed: it is not served by any instance/);
  });

  it('refuses a bad request with a 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ messages: hello }, /^model must be a string of 1-200 characters/],
      [{ model: 'auto', messages: [] }, /^messages must be a non-empty array/],
      [{ model: 'auto', messages: [{ role: 'user', content: 42 }] }, /^messages\[0\]\.content: /],
      [{ model: 'auto', messages: hello, stream: 'yes' }, /^stream must be true or false/],
      [{ model: 'auto', messages: hello, colour: 'blue' }, /^property colour should not exist/],
      [
        { model: 'auto', messages: hello, headers: { 'x-switchboard-prefer-provider': 7 } },
        /^headers\.x-switchboard-prefer-provider: /,
      ],
      [
        { model: 'auto', messages: hello, headers: { 'x-switchboard-prefer-provider': 'acme' } },
        /^x-switchboard-prefer-provider must be one of/,
      ],
      [{ model: 'auto', messages: hello, policy: 'fast' }, /^policy must be a routing policy object/],
    ];
    for (const [body, message] of cases) {
      const response = await preview(body);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
      assert.match(response.body.message, message, JSON.stringify(body));
    }
  });

  it('needs the admin token, and is in the OpenAPI document', async () => {
    assert.equal((await preview({ model: 'auto', messages: hello }, 'wrong-token-0123456789')).status, 401);
    const document = (await (await fetch(`${manager.url}/docs-json`)).json()) as any;
    const operation = document.paths['/admin/routing-policy/preview'].post;
    assert.ok(operation.summary.includes('sample request'));
    assert.match(JSON.stringify(operation.requestBody), /RoutingPreviewRequest/);
    assert.match(JSON.stringify(operation.responses['200']), /RoutingPreviewView/);
    const request = document.components.schemas.RoutingPreviewRequest;
    assert.deepEqual(request.required.sort(), ['messages', 'model']);
    assert.ok(request.properties.headers && request.properties.policy);
  });
});
