import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { PrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait.js';

const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: 'still there?' }] };

describe('api-gateway: serving through Redis and Consul outages', () => {
  let stack: GatewayStack;
  let redis: PrivateRedis;

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
    await stack?.stop();
    await redis?.halt();
  });

  it('keeps serving with Redis stopped, and its readiness says degraded', async () => {
    await redis.halt();
    await waitFor(
      'readiness to report Redis degraded',
      async () => {
        const body = (await (await fetch(`${stack.gateway.url}/health/ready`)).json()) as {
          status: string;
          info?: Record<string, { status: string }>;
          details?: Record<string, { status: string }>;
        };
        return body.status === 'degraded' && (body.info ?? body.details)?.redis?.status === 'degraded';
      },
      10_000,
      100,
    );
    const ready = await fetch(`${stack.gateway.url}/health/ready`);
    assert.equal(ready.status, 200, 'degraded is still ready: it serves');
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
      async () =>
        ((await (await fetch(`${stack.gateway.url}/health/ready`)).json()) as { status: string }).status === 'ok',
      15_000,
      200,
    );
  });

  it('keeps serving on the last known state with Consul stopped, and says so in readiness', async () => {
    await stack.agent.stop();
    await waitFor(
      'the routing table to report the Consul watch failing',
      async () => {
        const body = (await (await fetch(`${stack.gateway.url}/health/ready`)).json()) as {
          info?: Record<string, { status: string }>;
          details?: Record<string, { status: string }>;
        };
        return (body.info ?? body.details)?.routing?.status === 'degraded';
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
});
