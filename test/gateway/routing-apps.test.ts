import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STRATEGIES } from '@switchboard/routing';
import { GatewayStack } from '../support/gateway-stack.js';
import { waitFor } from '../support/wait.js';

const POLICY_KEY = 'switchboard/config/routing-policy';

describe('load-balancer and intelligent-router: strategies, pools, routing decisions and the policy in Consul KV', () => {
  let stack: GatewayStack;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [
        { name: 'pool-a', provider: 'openai', models: ['gpt-4o'], weight: 100 },
        { name: 'pool-b', provider: 'openai', models: ['gpt-4o'], weight: 100 },
        // Slower (its probes take 150 ms more) and heavier.
        { name: 'pool-c', provider: 'openai', models: ['gpt-4o'], weight: 200, knobs: { latencyMs: 150 } },
        { name: 'claude-r', provider: 'claude', models: ['claude-sonnet-4-6', 'claude-haiku-4-5'] },
        { name: 'sonar-r', provider: 'perplexity', models: ['sonar', 'sonar-pro'] },
      ],
      loadBalancer: true,
      intelligentRouter: true,
    });
  });

  after(async () => {
    await stack?.stop();
  });

  const select = async (strategy: string, count: number): Promise<Record<string, number>> => {
    const counts: Record<string, number> = { 'pool-a': 0, 'pool-b': 0, 'pool-c': 0 };
    for (let index = 0; index < count; index += 1) {
      const response = await fetch(`${stack.loadBalancer!.url}/select`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pool: 'openai/gpt-4o', strategy }),
      });
      assert.equal(response.status, 200);
      const name = ((await response.json()) as { instance: { name: string } }).instance.name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(counts).map(([name, hits]) => [name, hits / count]));
  };

  const near = (actual: number, expected: number, tolerance: number, what: string) =>
    assert.ok(
      Math.abs(actual - expected) <= tolerance,
      `${what}: ${actual.toFixed(3)} not within ${tolerance} of ${expected.toFixed(3)}`,
    );

  it('distributes selections over a pool as each strategy promises', async () => {
    // Wait until the slow instance's probe latency shows in its health score.
    const scores = await waitFor(
      'probe latencies in the pool view',
      async () => {
        const pool = (await stack.pools(stack.loadBalancer!)).find((entry) => entry.pool === 'openai/gpt-4o')!;
        const byName = Object.fromEntries(pool.instances.map((instance) => [instance.name, instance]));
        return byName['pool-c']!.healthScore < byName['pool-a']!.healthScore - 0.05 ? byName : undefined;
      },
      15_000,
      200,
    );
    const n = 600;
    const results: Record<string, Record<string, number>> = {};
    for (const strategy of STRATEGIES) results[strategy] = await select(strategy, n);

    // first: always the same instance (lowest id) of the best priority.
    assert.ok(
      Object.values(results.first!).some((share) => share === 1),
      `first: ${JSON.stringify(results.first)}`,
    );
    // round_robin: exact turns.
    for (const name of ['pool-a', 'pool-b', 'pool-c'])
      near(results.round_robin![name]!, 1 / 3, 2 / n, `round_robin ${name}`);
    // random: uniform within ~4 standard deviations.
    for (const name of ['pool-a', 'pool-b', 'pool-c']) near(results.random![name]!, 1 / 3, 0.08, `random ${name}`);
    // least_connections: nothing in flight at the load-balancer, so everyone ties and takes turns.
    for (const name of ['pool-a', 'pool-b', 'pool-c'])
      near(results.least_connections![name]!, 1 / 3, 2 / n, `least_connections ${name}`);
    // health_based: the slow one scores clearly lower and gets nothing; the two equals share.
    assert.equal(results.health_based!['pool-c'], 0);
    near(results.health_based!['pool-a']!, 0.5, 2 / n, 'health_based pool-a');
    // health_weighted: weight x health score.
    const mass = (name: string) => (name === 'pool-c' ? 200 : 100) * scores[name]!.healthScore;
    const total = mass('pool-a') + mass('pool-b') + mass('pool-c');
    for (const name of ['pool-a', 'pool-b', 'pool-c'])
      near(results.health_weighted![name]!, mass(name) / total, 0.08, `health_weighted ${name}`);
    // latency (power of two choices): the slowest never wins a pair.
    assert.equal(results.latency!['pool-c'], 0, `latency: ${JSON.stringify(results.latency)}`);
    assert.ok(results.latency!['pool-a']! > 0.3 && results.latency!['pool-b']! > 0.3);
  });

  it('refuses a bad select body naming the field, and an unknown pool with 404', async () => {
    const bad = await fetch(`${stack.loadBalancer!.url}/select`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pool: 'openai/gpt-4o', strategy: 'best_vibes' }),
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /strategy must be one of/);
    const unknown = await fetch(`${stack.loadBalancer!.url}/select`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pool: 'openai/gpt-9' }),
    });
    assert.equal(unknown.status, 404);
  });

  const route = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.intelligentRouter!.url}/route`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('explains routing decisions: plain names with fallbacks, auto rules, preferred provider', async () => {
    const plain = await route({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.mode, 'model');
    assert.deepEqual(
      plain.body.candidates.map((candidate: { pool: string }) => candidate.pool),
      ['openai/gpt-4o', 'claude/claude-sonnet-4-6'],
    );
    assert.match(plain.body.candidates[1].reason, /fallback for gpt-4o/);
    assert.equal(plain.body.candidates[0].usableInstances, 3);
    const image = await route({
      model: 'auto',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    });
    assert.equal(image.body.tier, 'vision');
    assert.equal(image.body.rule, 'images');
    const fresh = await route({ model: 'auto', messages: [{ role: 'user', content: 'Show me the latest headlines' }] });
    assert.equal(fresh.body.tier, 'search');
    assert.equal(fresh.body.candidates[0].provider, 'perplexity');
    const tools = await route({
      model: 'auto',
      messages: [{ role: 'user', content: 'What is the weather today?' }],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
    });
    assert.equal(tools.body.tier, 'tools', 'tools win over fresh facts: perplexity cannot call tools');
    const preferred = await route(
      { model: 'auto', messages: [{ role: 'user', content: 'hello there, how are you?' }] },
      { 'x-switchboard-prefer-provider': 'claude' },
    );
    assert.equal(preferred.body.candidates[0].provider, 'claude');
    assert.ok(preferred.body.reasons.some((reason: string) => /preferred by the client/.test(reason)));
    const bad = await route({ model: 'auto' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /messages/);
    const unknown = await route({ model: 'nope-1', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(unknown.status, 404);
  });

  it('follows the policy in Consul KV at run time, refuses an invalid one and keeps the last good policy', async () => {
    const policy = {
      tiers: { only_claude: ['claude/claude-sonnet-4-6'] },
      rules: [],
      defaultTier: 'only_claude',
      balancing: { strategy: 'round_robin' },
    };
    assert.equal(await stack.consul.kvPut(POLICY_KEY, JSON.stringify(policy)), true);
    const autoRoute = async () => (await route({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] })).body;
    await waitFor(
      'the router to apply the new policy',
      async () => (await autoRoute()).tier === 'only_claude',
      5_000,
      50,
    );
    // The gateway watches the same key.
    await waitFor(
      'the gateway to apply the new policy',
      async () => {
        const response = await stack.chat({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
        await response.arrayBuffer();
        return (
          response.headers.get('x-switchboard-route') === 'auto:only_claude' &&
          response.headers.get('x-switchboard-provider') === 'claude'
        );
      },
      5_000,
      50,
    );
    const status = (await (await fetch(`${stack.intelligentRouter!.url}/policy`)).json()) as {
      status: { source: string };
      policy: { balancing: { strategy: string } };
    };
    assert.equal(status.status.source, 'consul');
    assert.equal(status.policy.balancing.strategy, 'round_robin');

    await stack.consul.kvPut(
      POLICY_KEY,
      JSON.stringify({ defaultTier: 'nowhere', rules: [{ name: 'x', when: { colour: 'blue' }, tier: 'ghost' }] }),
    );
    const refused = await waitFor(
      'the router to refuse the invalid policy',
      async () => {
        const body = (await (await fetch(`${stack.intelligentRouter!.url}/policy`)).json()) as {
          status: { source: string; problems: string[] };
        };
        return body.status.source === 'invalid' ? body.status : undefined;
      },
      5_000,
      50,
    );
    assert.ok(
      refused.problems.some((problem) => /^defaultTier: unknown tier 'nowhere'/.test(problem)),
      refused.problems.join('; '),
    );
    assert.ok(refused.problems.some((problem) => /^rules\[0\]\.when\.colour: unknown condition/.test(problem)));
    assert.equal((await autoRoute()).tier, 'only_claude', 'the last good policy stays in force');

    await stack.agent.api('DELETE', `/v1/kv/${POLICY_KEY}`);
    await waitFor(
      'the built-in default policy to return',
      async () => {
        const body = (await (await fetch(`${stack.intelligentRouter!.url}/policy`)).json()) as {
          status: { source: string };
        };
        return body.status.source === 'default' && (await autoRoute()).tier !== 'only_claude';
      },
      5_000,
      50,
    );
  });
});
