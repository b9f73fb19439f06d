import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack, TEST_CLIENT_KEY } from '../support/gateway-stack.js';

const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: 'are you busy?' }] };
/** The gateway serves 4 at once; each answer takes 300 ms upstream: about 13 requests/s. */
const LIMITS = { GATEWAY_MAX_IN_FLIGHT: '4', GATEWAY_MAX_QUEUED: '4', GATEWAY_MAX_QUEUE_WAIT_MS: '150' };

interface Outcome {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: string;
}

describe('admission control under twice the load the gateway can serve', () => {
  let stack: GatewayStack;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [{ name: 'openai-slow', provider: 'openai', models: ['gpt-4o'], knobs: { latencyMs: 300 } }],
      gatewayEnv: LIMITS,
    });
  });

  after(async () => {
    await stack?.stop();
  });

  async function send(path: string, body: unknown, headers: Record<string, string>): Promise<Outcome> {
    const started = performance.now();
    const response = await fetch(`${stack.gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.get('retry-after'),
      body: text,
    };
  }

  it('refuses the excess at once with 503 and Retry-After, and finishes what it accepted', async () => {
    const outcomes: Promise<Outcome>[] = [];
    // 30 requests/s for 3 s, without waiting for answers.
    for (let index = 0; index < 90; index += 1) {
      outcomes.push(send('/v1/chat/completions', ask, { authorization: `Bearer ${TEST_CLIENT_KEY}` }));
      await new Promise((resolve) => setTimeout(resolve, 1000 / 30));
    }
    const results = await Promise.all(outcomes);
    const accepted = results.filter((result) => result.status === 200);
    const refused = results.filter((result) => result.status === 503);
    assert.equal(accepted.length + refused.length, results.length, 'every request is answered 200 or 503');
    assert.ok(accepted.length >= 20, `${accepted.length} served`);
    assert.ok(refused.length >= 20, `${refused.length} refused`);
    for (const result of refused) {
      assert.equal(result.retryAfter, '1');
      assert.match(JSON.parse(result.body).error.message, /at capacity/);
    }
    // A refusal waits at most the queue bound (150 ms); nothing is held for seconds.
    const slowestRefusal = Math.max(...refused.map((result) => result.ms));
    assert.ok(slowestRefusal < 2_000, `slowest refusal took ${Math.round(slowestRefusal)} ms`);
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    assert.match(metrics, /switchboard_admission_refused_total\{[^}]*reason="(queue_full|wait_exceeded)"[^}]*\} [1-9]/);
  });

  it('refuses in the Anthropic format on /v1/messages', async () => {
    const anthropic = { model: 'gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: 'busy?' }] };
    const burst = await Promise.all(
      Array.from({ length: 20 }, () =>
        send('/v1/messages', anthropic, { 'x-api-key': TEST_CLIENT_KEY, 'anthropic-version': '2023-06-01' }),
      ),
    );
    const refused = burst.filter((result) => result.status === 503);
    assert.ok(refused.length > 0, 'a burst of 20 against 4 slots and 4 places in line is partly refused');
    const body = JSON.parse(refused[0]!.body);
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'overloaded_error');
  });
});
