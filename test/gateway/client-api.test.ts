import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin } from '../support/instance-manager-env.js';
import { GatewayStack, TEST_CLIENT_KEY } from '../support/gateway-stack.js';
import { readiness } from '../support/readiness.js';
import { waitFor } from '../support/wait.js';

const hello = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] };

describe('api-gateway: client API, keys, rate limits and errors in the client format', () => {
  let stack: GatewayStack;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [
        { name: 'openai-a', provider: 'openai' },
        { name: 'claude-a', provider: 'claude' },
        { name: 'zai-a', provider: 'zai' },
        { name: 'perplexity-a', provider: 'perplexity' },
      ],
    });
  });

  after(async () => {
    await stack?.stop();
  });

  it('answers an OpenAI chat completion with headers naming provider, instance, attempts and overhead', async () => {
    const response = await stack.chat(hello);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      object: string;
      choices: { message: { content: string } }[];
      usage: { total_tokens: number };
    };
    assert.equal(body.object, 'chat.completion');
    assert.ok(body.choices[0]!.message.content.length > 0);
    assert.equal(response.headers.get('x-switchboard-provider'), 'openai');
    assert.equal(response.headers.get('x-switchboard-model'), 'gpt-4o');
    assert.equal(response.headers.get('x-switchboard-instance'), 'openai-a');
    assert.equal(response.headers.get('x-switchboard-attempts'), '1');
    const overhead = Number(response.headers.get('x-switchboard-overhead-ms'));
    assert.ok(
      Number.isFinite(overhead) && overhead >= 0,
      `overhead header ${response.headers.get('x-switchboard-overhead-ms')}`,
    );
    assert.ok(response.headers.get('x-request-id'));
    // The simulator only answers the instance's own key; the client's key never travels upstream.
    const recorded = stack.simulator.requests('openai-a').requests.at(-1)!;
    assert.ok(!JSON.stringify(recorded).includes(TEST_CLIENT_KEY));
  });

  it("sends an OpenAI upstream's answer to an OpenAI client as it is, and translates it for an Anthropic client", async () => {
    const openai = await stack.chat(hello);
    assert.equal(openai.status, 200);
    assert.match(openai.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await openai.json()) as Record<string, unknown> & {
      choices: { message: Record<string, unknown> }[];
    };
    // Fields the gateway's own rendering does not produce: they can only come from the upstream.
    assert.equal(body.system_fingerprint, 'fp_simulated');
    assert.equal(body.service_tier, 'default');
    assert.deepEqual(body.choices[0]!.message.annotations, []);
    const anthropic = await fetch(`${stack.gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_CLIENT_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'openai/gpt-4o', max_tokens: 64, messages: hello.messages }),
    });
    assert.equal(anthropic.status, 200);
    assert.equal(anthropic.headers.get('x-switchboard-provider'), 'openai');
    const message = (await anthropic.json()) as Record<string, unknown>;
    assert.equal(message.type, 'message');
    assert.equal(message.system_fingerprint, undefined);
  });

  it('routes provider/model explicitly, and honours the preferred-provider header for plain and auto names', async () => {
    const explicit = await stack.chat({ ...hello, model: 'zai/glm-4.6' });
    assert.equal(explicit.status, 200);
    assert.equal(explicit.headers.get('x-switchboard-provider'), 'zai');
    assert.equal(explicit.headers.get('x-switchboard-route'), 'explicit');
    const preferred = await stack.chat({ ...hello, model: 'auto' }, { 'x-switchboard-prefer-provider': 'claude' });
    assert.equal(preferred.status, 200);
    assert.equal(preferred.headers.get('x-switchboard-provider'), 'claude');
    assert.match(preferred.headers.get('x-switchboard-route') ?? '', /^auto:/);
    const badHeader = await stack.chat(hello, { 'x-switchboard-prefer-provider': 'skynet' });
    assert.equal(badHeader.status, 400);
    assert.match(
      ((await badHeader.json()) as { error: { message: string } }).error.message,
      /x-switchboard-prefer-provider/,
    );
    const badFallback = await stack.chat(hello, { 'x-switchboard-allow-fallback': 'maybe' });
    assert.equal(badFallback.status, 400);
    assert.match(
      ((await badFallback.json()) as { error: { message: string } }).error.message,
      /x-switchboard-allow-fallback must be true or false/,
    );
  });

  it('never passes a secret from upstream error text to the client, and names the provider once', async () => {
    const leaky = 'Incorrect API key provided: sk-live-SECRET1234; you sent sim-key-openai-a (debug: token=abc999)';
    await stack.simulator.updateKnobs('openai-a', { error: { kind: 'bad_request', message: leaky } });
    try {
      const response = await stack.chat({ ...hello, model: 'openai/gpt-4o' });
      assert.equal(response.status, 400);
      const text = await response.text();
      for (const secret of ['SECRET1234', 'sim-key-openai-a', 'abc999'])
        assert.ok(!text.includes(secret), `${secret} in ${text}`);
      const message = (JSON.parse(text) as { error: { message: string } }).error.message;
      assert.match(message, /^openai: Incorrect API key provided: \[redacted\]/);
      assert.doesNotMatch(message, /openai: openai:/);
    } finally {
      await stack.simulator.reset('openai-a');
    }
  });

  it('keeps an explicit provider/model with its provider while that provider is down', async () => {
    await stack.simulator.updateKnobs('zai-a', { error: { kind: 'server' } });
    try {
      const explicit = await stack.chat({ ...hello, model: 'zai/glm-4.6' });
      assert.equal(explicit.status, 502, 'no other provider answers for zai/glm-4.6');
      await explicit.arrayBuffer();
      const allowed = await stack.chat({ ...hello, model: 'zai/glm-4.6' }, { 'x-switchboard-allow-fallback': 'true' });
      assert.equal(allowed.status, 200, 'the client allowed the fallback chain of glm-4.6');
      assert.notEqual(allowed.headers.get('x-switchboard-provider'), 'zai');
      await allowed.arrayBuffer();
    } finally {
      await stack.simulator.reset('zai-a');
    }
  });

  it('sends a question that needs fresh web facts to the search tier under auto', async () => {
    const response = await stack.chat({
      model: 'auto',
      messages: [{ role: 'user', content: 'What is the latest news today about the election?' }],
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchboard-provider'), 'perplexity');
    assert.equal(response.headers.get('x-switchboard-route'), 'auto:search');
  });

  it('lists the models served by healthy pools, in OpenAI and Anthropic list shapes', async () => {
    const openai = await fetch(`${stack.gateway.url}/v1/models`, {
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
    });
    assert.equal(openai.status, 200);
    const list = (await openai.json()) as { object: string; data: { id: string; owned_by: string }[] };
    assert.equal(list.object, 'list');
    const ids = list.data.map((model) => model.id);
    for (const id of ['gpt-4o', 'openai/gpt-4o', 'claude-sonnet-4-6', 'glm-4.6', 'sonar', 'auto'])
      assert.ok(ids.includes(id), `${id} listed`);
    const anthropic = await fetch(`${stack.gateway.url}/v1/models`, {
      headers: { 'x-api-key': TEST_CLIENT_KEY, 'anthropic-version': '2023-06-01' },
    });
    const anthropicList = (await anthropic.json()) as { data: { type: string; id: string }[]; has_more: boolean };
    assert.equal(anthropicList.has_more, false);
    assert.ok(anthropicList.data.every((model) => model.type === 'model'));
  });

  it('refuses a missing or unknown key with 401 in the client format', async () => {
    const missing = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hello),
    });
    assert.equal(missing.status, 401);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /Authorization: Bearer/);
    const unknown = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sb-not-a-real-key-000000000000', 'content-type': 'application/json' },
      body: JSON.stringify(hello),
    });
    assert.equal(unknown.status, 401);
    const openaiBody = (await unknown.json()) as { error: { type: string; code: string } };
    assert.equal(openaiBody.error.code, 'invalid_api_key');
    const anthropic = await fetch(`${stack.gateway.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': 'sb-not-a-real-key-000000000000',
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(anthropic.status, 401);
    assert.deepEqual(
      ((await anthropic.json()) as { type: string; error: { type: string } }).error.type,
      'authentication_error',
    );
  });

  it('refuses bad bodies with 400 naming the field, in either format', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] }, /^model/],
      ['/v1/chat/completions', { model: 'gpt-4o', messages: [] }, /^messages/],
      ['/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'robot', content: 'x' }] }, /messages\[0\]\.role/],
      [
        '/v1/chat/completions',
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' },
        /^temperature/,
      ],
      [
        '/v1/chat/completions',
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], stream: 'yes' },
        /^stream/,
      ],
      ['/v1/messages', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'x' }] }, /^max_tokens/],
      [
        '/v1/messages',
        { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'system', content: 'x' }] },
        /messages\[0\]\.role/,
      ],
    ];
    for (const [path, body, field] of cases) {
      const response = await fetch(`${stack.gateway.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}`);
      const parsed = (await response.json()) as { error: { message: string; type: string } };
      assert.match(parsed.error.message, field);
      assert.equal(parsed.error.type, 'invalid_request_error');
    }
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    const response = await stack.chat({ ...hello, model: 'gpt-17-ultra' });
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'model_not_found');
    assert.match(body.error.message, /gpt-17-ultra/);
  });

  it('enforces a per-key rate limit with 429 and Retry-After, shared through Redis', async () => {
    const created = await admin(stack.manager.url)('POST', '/admin/client-keys', { name: 'limited', rateLimitRpm: 3 });
    assert.equal(created.status, 201);
    const key = created.body.key as string;
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let index = 0; index < 5; index += 1) {
      last = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(hello),
      });
      statuses.push(last.status);
      if (last.status === 200) await last.arrayBuffer();
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
    assert.equal(((await last!.json()) as { error: { type: string } }).error.type, 'rate_limit_error');
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    assert.match(metrics, /switchboard_rate_limited_total\{[^}]*format="openai"[^}]*\} 2/);
  });

  it('stops accepting a revoked key within the refresh interval', async () => {
    const call = admin(stack.manager.url);
    const created = await call('POST', '/admin/client-keys', { name: 'to-revoke' });
    const key = created.body.key as string;
    const request = () =>
      fetch(`${stack.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(hello),
      });
    assert.equal((await request()).status, 200, 'a key created a moment ago works at once');
    assert.equal((await call('DELETE', `/admin/client-keys/${created.body.id}`)).status, 200);
    await waitFor('the revoked key to be refused', async () => (await request()).status === 401, 5_000, 100);
  });

  it('counts requests, tokens and overhead in its metrics and reports its routing table ready', async () => {
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    assert.match(
      metrics,
      /switchboard_chat_requests_total\{[^}]*provider="openai",model="gpt-4o",outcome="success"[^}]*\} \d+/,
    );
    assert.match(
      metrics,
      /switchboard_tokens_total\{[^}]*provider="openai",model="gpt-4o",kind="completion"[^}]*\} \d+/,
    );
    assert.match(metrics, /switchboard_gateway_overhead_seconds_count\{[^}]*format="openai"[^}]*\} \d+/);
    assert.match(metrics, /switchboard_pool_instances\{[^}]*pool="openai\/gpt-4o",status="healthy"[^}]*\} 1/);
    assert.doesNotMatch(metrics, /sim-key-/, 'no provider key in metrics');
    const ready = await readiness(stack.gateway.url);
    assert.equal(ready.body.details?.routing?.status, 'up');
    assert.doesNotMatch(stack.gateway.logs, /sim-key-|sb-test-client-key/, 'no secret in the logs');
  });
});
