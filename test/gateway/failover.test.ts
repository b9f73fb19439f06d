import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack, TEST_CLIENT_KEY } from '../support/gateway-stack.js';
import { waitFor } from '../support/wait.js';

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Tell me something' }],
  ...extra,
});

/** Reads an SSE body to its end (or its break-off) and returns the raw text. */
async function readAll(response: Response): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
  } catch {
    // A connection the gateway ended abruptly; what arrived is what the client saw.
  }
  return text;
}

describe('api-gateway: failover, retries and streaming failures', () => {
  let stack: GatewayStack;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [
        // A balanced pool of three for gpt-4o.
        { name: 'openai-a', provider: 'openai', models: ['gpt-4o'] },
        { name: 'openai-b', provider: 'openai', models: ['gpt-4o'] },
        { name: 'openai-c', provider: 'openai', models: ['gpt-4o'] },
        // gpt-4o-mini: a preferred instance and a backup, to aim a 429 at the first.
        { name: 'mini-first', provider: 'openai', models: ['gpt-4o-mini'], priority: 0 },
        { name: 'mini-backup', provider: 'openai', models: ['gpt-4o-mini'], priority: 1 },
        // The fallback of gpt-4o in the default policy.
        { name: 'claude-a', provider: 'claude', models: ['claude-sonnet-4-6'] },
        // Streams with short first-token and idle timeouts.
        { name: 'glm-a', provider: 'zai', models: ['glm-4.5-air'], firstTokenTimeoutMs: 1_000, idleTimeoutMs: 600 },
        { name: 'glm-b', provider: 'zai', models: ['glm-4.5-air'], firstTokenTimeoutMs: 1_000, idleTimeoutMs: 600 },
      ],
      // Failures here are injected on purpose: keep circuits out of the way of these tests.
      gatewayEnv: { CIRCUIT_FAILURE_THRESHOLD: '1000', CIRCUIT_MINIMUM_REQUESTS: '100000' },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  it('loses no request when one of three instances is killed during a burst', async () => {
    const total = 150;
    const concurrency = 10;
    const statuses: number[] = [];
    const servedBy = new Map<string, number>();
    let sent = 0;
    let killed = false;
    const worker = async () => {
      while (sent < total) {
        sent += 1;
        if (sent === 40 && !killed) {
          killed = true;
          await stack.simulator.updateKnobs('openai-b', { refuseConnections: true });
        }
        const response = await stack.chat(ask('gpt-4o'));
        statuses.push(response.status);
        const instance = response.headers.get('x-switchboard-instance') ?? 'none';
        servedBy.set(instance, (servedBy.get(instance) ?? 0) + 1);
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    assert.equal(statuses.length, total);
    assert.deepEqual(
      statuses.filter((status) => status !== 200),
      [],
      'every request answered 200',
    );
    assert.ok(
      (servedBy.get('openai-a') ?? 0) > 30 && (servedBy.get('openai-c') ?? 0) > 30,
      `load spread: ${JSON.stringify([...servedBy])}`,
    );
    await stack.simulator.updateKnobs('openai-b', { refuseConnections: null });
    await stack.waitUntilUsable(['openai-b']);
  });

  it('moves a 429 with Retry-After to another instance and keeps the limited one out until then', async () => {
    await stack.simulator.updateKnobs('mini-first', { error: { kind: 'rate_limit', retryAfterSeconds: 2 } });
    try {
      const first = await stack.chat(ask('gpt-4o-mini'));
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-switchboard-instance'), 'mini-backup');
      assert.equal(first.headers.get('x-switchboard-attempts'), '2');
      const second = await stack.chat(ask('gpt-4o-mini'));
      assert.equal(second.headers.get('x-switchboard-instance'), 'mini-backup');
      assert.equal(
        second.headers.get('x-switchboard-attempts'),
        '1',
        'the limited instance is cooling down, not tried again',
      );
      const pool = (await stack.pools()).find((entry) => entry.pool === 'openai/gpt-4o-mini')!;
      const limited = pool.instances.find((instance) => instance.name === 'mini-first') as unknown as {
        coolingForMs: number;
      };
      assert.ok(limited.coolingForMs > 0 && limited.coolingForMs <= 2_000, `cooling for ${limited.coolingForMs} ms`);
    } finally {
      await stack.simulator.updateKnobs('mini-first', { error: null });
    }
    // After the Retry-After the preferred instance is back in rotation.
    await waitFor(
      'mini-first to serve again',
      async () => {
        const response = await stack.chat(ask('gpt-4o-mini'));
        await response.arrayBuffer();
        return response.headers.get('x-switchboard-instance') === 'mini-first';
      },
      5_000,
      200,
    );
  });

  it('never retries a request the upstream refused as bad (400)', async () => {
    await stack.simulator.updateKnobs('mini-first', { error: { kind: 'bad_request' } });
    try {
      const before = stack.served('mini-backup');
      const response = await stack.chat(ask('gpt-4o-mini'));
      assert.equal(response.status, 400);
      assert.equal(stack.served('mini-backup'), before, 'the backup was not tried');
    } finally {
      await stack.simulator.updateKnobs('mini-first', { error: null });
    }
  });

  it('falls back to the next provider in the chain when every instance of the first is down', async () => {
    for (const name of ['openai-a', 'openai-b', 'openai-c'])
      await stack.simulator.updateKnobs(name, { refuseConnections: true });
    try {
      const response = await stack.chat(ask('gpt-4o'));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-switchboard-provider'), 'claude');
      assert.equal(response.headers.get('x-switchboard-model'), 'claude-sonnet-4-6');
      const body = (await response.json()) as { model: string };
      assert.equal(body.model, 'claude-sonnet-4-6');
      const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
      assert.match(
        metrics,
        /switchboard_fallbacks_total\{[^}]*from_provider="openai",to_provider="claude"[^}]*\} [1-9]/,
      );
    } finally {
      for (const name of ['openai-a', 'openai-b', 'openai-c'])
        await stack.simulator.updateKnobs(name, { refuseConnections: null });
    }
    await stack.waitUntilUsable(['openai-a', 'openai-b', 'openai-c']);
  });

  it('fails a stream over to another instance when the first breaks before the first token', async () => {
    // glm-a's first chunk is garbage: the stream breaks before any content reached the client.
    await stack.simulator.updateKnobs('glm-a', { malformedChunkAt: 1 });
    try {
      for (let index = 0; index < 4; index += 1) {
        const response = await stack.chat(ask('glm-4.5-air', { stream: true }));
        assert.equal(response.status, 200);
        const text = await readAll(response);
        assert.equal(response.headers.get('x-switchboard-instance'), 'glm-b');
        assert.match(text, /data: \[DONE\]/);
      }
    } finally {
      await stack.simulator.updateKnobs('glm-a', { malformedChunkAt: null });
    }
  });

  it('ends a stream cut after its first token with an error chunk and no [DONE]', async () => {
    for (const name of ['glm-a', 'glm-b']) await stack.simulator.updateKnobs(name, { cutAfterChunks: 3 });
    try {
      const response = await stack.chat(ask('glm-4.5-air', { stream: true }));
      assert.equal(response.status, 200);
      const text = await readAll(response);
      assert.match(text, /"content":/, 'some content reached the client');
      assert.match(text, /"error":\{"message":"The upstream stream failed after it started/);
      assert.doesNotMatch(text, /\[DONE\]/);
      const anthropic = await fetch(`${stack.gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'glm-4.5-air',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      const events = await readAll(anthropic);
      assert.match(events, /event: content_block_delta/);
      assert.match(events, /event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
      assert.doesNotMatch(events, /message_stop/);
    } finally {
      for (const name of ['glm-a', 'glm-b']) await stack.simulator.updateKnobs(name, { cutAfterChunks: null });
    }
  });

  it('times out a stream that stalls after its first token (idle timeout) and says so', async () => {
    for (const name of ['glm-a', 'glm-b']) await stack.simulator.updateKnobs(name, { stallAfterChunks: 3 });
    try {
      const started = Date.now();
      const response = await stack.chat(ask('glm-4.5-air', { stream: true }));
      const text = await readAll(response);
      const elapsed = Date.now() - started;
      assert.match(text, /stream was idle for 600 ms/);
      assert.doesNotMatch(text, /\[DONE\]/);
      assert.ok(elapsed < 5_000, `ended after ${elapsed} ms`);
    } finally {
      for (const name of ['glm-a', 'glm-b']) await stack.simulator.updateKnobs(name, { stallAfterChunks: null });
    }
  });

  it('fails over a stream whose first token never comes (first-token timeout)', async () => {
    await stack.simulator.updateKnobs('glm-a', { ttftMs: 5_000 });
    try {
      const response = await stack.chat(ask('glm-4.5-air', { stream: true }), {});
      const text = await readAll(response);
      assert.equal(response.status, 200);
      assert.match(text, /\[DONE\]/);
      assert.equal(response.headers.get('x-switchboard-instance'), 'glm-b');
    } finally {
      await stack.simulator.updateKnobs('glm-a', { ttftMs: null });
    }
  });

  it('aborts the upstream request when the client goes away', async () => {
    await stack.simulator.updateKnobs('glm-a', { tokensPerSecond: 5 });
    await stack.simulator.updateKnobs('glm-b', { tokensPerSecond: 5 });
    try {
      const response = await stack.chat(ask('glm-4.5-air', { stream: true, max_tokens: 200 }));
      const reader = response.body!.getReader();
      await reader.read();
      await reader.cancel();
      const pool = async () => (await stack.pools()).find((entry) => entry.pool === 'zai/glm-4.5-air')!;
      await waitFor(
        'the upstream stream to be released',
        async () => (await pool()).instances.every((instance) => instance.inFlight === 0),
        3_000,
        50,
      );
      const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
      assert.match(
        metrics,
        /switchboard_chat_requests_total\{[^}]*provider="zai",model="glm-4.5-air",outcome="cancelled"[^}]*\} 1/,
      );
    } finally {
      for (const name of ['glm-a', 'glm-b']) await stack.simulator.updateKnobs(name, { tokensPerSecond: null });
    }
  });
});
