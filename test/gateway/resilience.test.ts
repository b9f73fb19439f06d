import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { readiness } from '../support/readiness.js';
import { PrivateRedis } from '../support/private-redis.js';
import { SteadyLoad } from '../support/steady-load.js';
import { waitFor } from '../support/wait.js';

const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: 'still there?' }] };

describe('api-gateway: serving through Redis and Consul outages', () => {
  let stack: GatewayStack;
  let redis: PrivateRedis;
  const loads: SteadyLoad[] = [];

  before(async () => {
    redis = await PrivateRedis.start();
    stack = await GatewayStack.start({
      instances: [
        { name: 'openai-a', provider: 'openai', models: ['gpt-4o'] },
        { name: 'openai-b', provider: 'openai', models: ['gpt-4o'] },
      ],
      redisUrl: redis.url,
    });
  });

  after(async () => {
    for (const load of loads) await load.stop();
    await stack?.stop();
    await redis?.halt();
  });

  it('keeps serving with Redis stopped, and its readiness says degraded', async () => {
    const load = new SteadyLoad(() => stack.chat(ask), 20).start();
    loads.push(load);
    await redis.halt();
    await waitFor(
      'readiness to report Redis degraded',
      async () => {
        const { body } = await readiness(stack.gateway.url);
        return body.status === 'degraded' && body.details?.redis?.status === 'degraded';
      },
      10_000,
      100,
    );
    const ready = await readiness(stack.gateway.url, false);
    assert.equal(ready.http, 200, 'degraded is still ready: it serves');
    assert.deepEqual(ready.body, { status: 'degraded' }, 'anyone reads the status, not the detail');
    for (let index = 0; index < 10; index += 1) {
      const response = await stack.chat(ask);
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    }
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    assert.match(metrics, /switchboard_chat_requests_total\{[^}]*outcome="success"[^}]*\} \d+/);
    await redis.resume();
    await waitFor(
      'readiness to be ok again',
      async () => (await readiness(stack.gateway.url)).body.status === 'up',
      15_000,
      200,
    );
    const outcome = await load.stop();
    assert.deepEqual(
      outcome.failures,
      [],
      `${outcome.failures.length} of ${outcome.sent} failed around a Redis outage`,
    );
  });

  it('keeps serving on the last known state with Consul stopped, and says so in readiness', async () => {
    await stack.agent.stop();
    await waitFor(
      'the routing table to report the Consul watch failing',
      async () => {
        return (await readiness(stack.gateway.url)).body.details?.routing?.status === 'degraded';
      },
      10_000,
      100,
    );
    const instances = new Set<string>();
    for (let index = 0; index < 10; index += 1) {
      const response = await stack.chat(ask);
      assert.equal(response.status, 200);
      instances.add(response.headers.get('x-switchboard-instance')!);
      await response.arrayBuffer();
    }
    assert.deepEqual([...instances].sort(), ['openai-a', 'openai-b'], 'both instances stay in rotation');
  });

  it('serves every request while Consul comes back empty, and readiness returns to ok', async () => {
    const load = new SteadyLoad(() => stack.chat(ask), 20).start();
    loads.push(load);
    // The agent of the test before is still stopped; this one starts fresh, with nothing registered.
    await stack.agent.restart();
    await waitFor(
      'readiness to be ok again (apps and instances registered anew)',
      async () => (await readiness(stack.gateway.url)).body.status === 'up',
      60_000,
      200,
    );
    // Readiness can be back within a second; the load goes on for a while after it all the same.
    await waitFor('the load to send more than 20 requests', () => load.sent > 20, 10_000, 50);
    const outcome = await load.stop();
    assert.ok(outcome.sent > 20, `sent ${outcome.sent}`);
    assert.deepEqual(
      outcome.failures,
      [],
      `${outcome.failures.length} of ${outcome.sent} failed while Consul came back`,
    );
  });
});
