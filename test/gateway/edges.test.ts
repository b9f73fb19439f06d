import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack, TEST_CLIENT_KEY } from '../support/gateway-stack.js';
import { admin, TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { rawHttp } from '../support/raw-http.js';
import { readiness } from '../support/readiness.js';

const ALLOWED_ORIGIN = 'https://app.example.com';
/** Short, so a stalled body is cut quickly; the default is 30 s. */
const REQUEST_TIMEOUT_MS = 2_000;
const hello = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] };

interface OpenAIError {
  error: { message: string; type: string; param: string | null; code: string | null };
}
interface AnthropicError {
  type: 'error';
  error: { type: string; message: string };
}

describe('api-gateway edges: framework errors in the client format, limits, operator views, CORS', () => {
  let stack: GatewayStack;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.gateway.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json', ...headers },
      body,
    });

  before(async () => {
    stack = await GatewayStack.start({
      instances: [{ name: 'openai-a', provider: 'openai' }],
      gatewayEnv: {
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_HEADERS_TIMEOUT_MS: '1000',
        GATEWAY_CORS_ORIGINS: ALLOWED_ORIGIN,
      },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  it('answers malformed, empty and non-JSON bodies in the OpenAI format on /v1/chat/completions', async () => {
    const malformed = await post('/v1/chat/completions', '{"model": "gpt-4o",');
    assert.equal(malformed.status, 400);
    const malformedBody = (await malformed.json()) as OpenAIError;
    assert.equal(malformedBody.error.type, 'invalid_request_error');
    assert.match(malformedBody.error.message, /not valid JSON/);

    const empty = await post('/v1/chat/completions', '');
    assert.equal(empty.status, 400);
    assert.match(((await empty.json()) as OpenAIError).error.message, /body is empty/);

    const text = await post('/v1/chat/completions', 'hello', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    const textBody = (await text.json()) as OpenAIError;
    assert.equal(textBody.error.type, 'invalid_request_error');
    assert.match(textBody.error.message, /Content-Type: application\/json/);
    const form = await post('/v1/chat/completions', 'model=gpt-4o', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 415);
    assert.match(((await form.json()) as OpenAIError).error.message, /Content-Type: application\/json/);
  });

  it('answers the same failures in the Anthropic format on /v1/messages', async () => {
    const malformed = await post('/v1/messages', '{"model": ', { 'anthropic-version': '2023-06-01' });
    assert.equal(malformed.status, 400);
    const body = (await malformed.json()) as AnthropicError;
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /not valid JSON/);
    const text = await post('/v1/messages', 'hello', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(((await text.json()) as AnthropicError).type, 'error');
  });

  it('answers routes it does not serve with 404, and a wrong method with 405, in the client format', async () => {
    for (const path of ['/v1/embeddings', '/v1/responses']) {
      const response = await post(path, JSON.stringify({ model: 'text-embedding-3-small', input: 'x' }));
      assert.equal(response.status, 404, path);
      const body = (await response.json()) as OpenAIError;
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, /is not served by this gateway; it serves POST \/v1\/chat\/completions/);
    }
    const wrongMethod = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
    });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    assert.match(
      ((await wrongMethod.json()) as OpenAIError).error.message,
      /GET is not allowed on \/v1\/chat\/completions: use POST/,
    );
    const anthropic = await fetch(`${stack.gateway.url}/v1/messages/batches`, { method: 'POST' });
    assert.equal(anthropic.status, 404);
    assert.equal(((await anthropic.json()) as AnthropicError).error.type, 'not_found_error');
  });

  it('refuses JSON nested past the depth limit with 400 naming the field', async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const response = await post('/v1/chat/completions', `{"model":"gpt-4o","metadata":${deep},"messages":[]}`);
    assert.equal(response.status, 400);
    const body = (await response.json()) as OpenAIError;
    assert.equal(body.error.param, 'metadata');
    assert.match(
      body.error.message,
      /^metadata\.a\.a\.a…: the JSON body nests deeper than 64 levels \(MAX_JSON_DEPTH\)/,
    );
  });

  it('serves a 15 MB vision request, and refuses a body over GATEWAY_MAX_BODY_BYTES with 413 at once', async () => {
    const image = `data:image/png;base64,${'A'.repeat(15 * 1024 * 1024)}`;
    const vision = await stack.chat({
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: image } },
          ],
        },
      ],
    });
    assert.equal(vision.status, 200, await vision.clone().text());
    await vision.arrayBuffer();

    const tooLarge = await rawHttp(
      stack.gateway.url,
      `POST /v1/chat/completions HTTP/1.1\nHost: gateway\nAuthorization: Bearer ${TEST_CLIENT_KEY}\nContent-Type: application/json\nContent-Length: ${60 * 1024 * 1024}\nConnection: close\n`,
      { body: '{"model":"gpt-4o"', maxMs: 20_000 },
    );
    assert.equal(tooLarge.status, 413);
    const body = JSON.parse(tooLarge.body) as OpenAIError;
    assert.match(body.error.message, /larger than 52428800 bytes \(GATEWAY_MAX_BODY_BYTES\)/);
  });

  it('answers 408 in the client format and closes when the body never arrives in full', async () => {
    const short = await rawHttp(
      stack.gateway.url,
      `POST /v1/messages HTTP/1.1\nHost: gateway\nx-api-key: ${TEST_CLIENT_KEY}\nContent-Type: application/json\nContent-Length: 500\n`,
      { body: '{"model":"claude', maxMs: 30_000 },
    );
    assert.equal(short.status, 408);
    const body = JSON.parse(short.body) as AnthropicError;
    assert.equal(body.type, 'error');
    assert.match(body.error.message, /HTTP_REQUEST_TIMEOUT_MS/);
    assert.ok(short.elapsedMs >= REQUEST_TIMEOUT_MS - 100, `closed after ${short.elapsedMs} ms`);
    assert.ok(short.elapsedMs < 30_000, `closed after ${short.elapsedMs} ms`);

    // A client trickling its body byte by byte is cut at the same deadline.
    const trickled = JSON.stringify(hello);
    const trickle = await rawHttp(
      stack.gateway.url,
      `POST /v1/chat/completions HTTP/1.1\nHost: gateway\nAuthorization: Bearer ${TEST_CLIENT_KEY}\nContent-Type: application/json\nContent-Length: ${trickled.length}\n`,
      { body: trickled, trickleEveryMs: 250, maxMs: 30_000 },
    );
    assert.equal(trickle.status, 408);
    assert.ok(trickle.elapsedMs < 30_000, `closed after ${trickle.elapsedMs} ms`);
  });

  it('answers oversized headers with 431 in a client format', async () => {
    const response = await rawHttp(
      stack.gateway.url,
      `POST /v1/chat/completions HTTP/1.1\nHost: gateway\nx-padding: ${'p'.repeat(20_000)}\nContent-Length: 0\n`,
      { maxMs: 20_000 },
    );
    assert.equal(response.status, 431);
    const body = JSON.parse(response.body) as OpenAIError;
    assert.match(body.error.message, /HTTP_MAX_HEADER_BYTES/);
  });

  it('shows /pools and readiness detail to operators only', async () => {
    const anonymous = await fetch(`${stack.gateway.url}/pools`);
    assert.equal(anonymous.status, 401);
    const refusal = (await anonymous.json()) as { statusCode: number; message: string };
    assert.equal(refusal.statusCode, 401, 'outside /v1 the gateway answers in the operator shape');
    assert.match(refusal.message, /Bearer <ADMIN_TOKEN>/);
    const operator = await fetch(`${stack.gateway.url}/pools`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    assert.equal(operator.status, 200);
    assert.ok(((await operator.json()) as { pools: unknown[] }).pools.length > 0);

    const publicView = await readiness(stack.gateway.url, false);
    assert.deepEqual(publicView, { http: 200, body: { status: 'up' } });
    const detail = await readiness(stack.gateway.url);
    assert.equal(detail.body.details?.database?.status, 'up');
  });

  it('answers CORS preflights from allowed origins and exposes its headers to them; others get no CORS headers', async () => {
    const preflight = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'authorization, content-type');

    const chat = await stack.chat(hello, { origin: ALLOWED_ORIGIN });
    assert.equal(chat.status, 200);
    assert.equal(chat.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.match(chat.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
    await chat.arrayBuffer();

    const stranger = await stack.chat(hello, { origin: 'https://evil.example.net' });
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);
    await stranger.arrayBuffer();
  });
});

describe('instance-manager edges: one error shape, a 1 MiB body limit, deep JSON', () => {
  let stack: GatewayStack;

  before(async () => {
    stack = await GatewayStack.start({ instances: [] });
  });

  after(async () => {
    await stack?.stop();
  });

  it('answers extraHeaders nested 10,000 deep with 400 naming the field, not a 500', async () => {
    const deep = `${'{"a":'.repeat(10_000)}"x"${'}'.repeat(10_000)}`;
    const response = await fetch(`${stack.manager.url}/admin/instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: `{"name":"deep","provider":"openai","models":["gpt-4o"],"extraHeaders":${deep}}`,
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { statusCode: number; message: string };
    assert.equal(body.statusCode, 400);
    assert.match(body.message, /^extraHeaders\.a\.a\.a…: the JSON body nests deeper than 64 levels/);
  });

  it('refuses a body over ADMIN_MAX_BODY_BYTES with 413, and unknown routes with 404, in the operator shape', async () => {
    const tooLarge = await rawHttp(
      stack.manager.url,
      `POST /admin/instances HTTP/1.1\nHost: manager\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\nContent-Type: application/json\nContent-Length: ${2 * 1024 * 1024}\nConnection: close\n`,
      { body: '{"name":', maxMs: 20_000 },
    );
    assert.equal(tooLarge.status, 413);
    assert.match((JSON.parse(tooLarge.body) as { message: string }).message, /ADMIN_MAX_BODY_BYTES/);
    const unknown = await admin(stack.manager.url)('GET', '/admin/nothing-here');
    assert.deepEqual(unknown.body, { statusCode: 404, error: 'Not Found', message: 'Cannot GET /admin/nothing-here' });
  });

  it('lists several validation problems in details, with message one string', async () => {
    const response = await admin(stack.manager.url)('POST', '/admin/instances', { provider: 'nope' });
    assert.equal(response.status, 400);
    assert.equal(typeof response.body.message, 'string');
    assert.ok(Array.isArray(response.body.details) && response.body.details.length >= 2, response.text);
    assert.match(response.body.message, /name must/);
  });
});
