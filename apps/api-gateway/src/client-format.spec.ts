import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PayloadTooLargeException } from '@nestjs/common';
import { ProviderError, RequestFormatError } from '@switchboard/providers';
import {
  GatewayHttpError,
  InvalidRouteHintError,
  NoHealthyInstanceError,
  UnknownModelError,
} from '@switchboard/routing';
import { formatOf, renderError } from './client-format.js';

describe('renderError', () => {
  it('renders the gateway’s own refusals in each format, with their headers', () => {
    const auth = new GatewayHttpError('unauthenticated', 'No API key');
    assert.deepEqual(renderError('openai', auth), {
      status: 401,
      body: { error: { message: 'No API key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
      headers: {},
    });
    assert.deepEqual(renderError('anthropic', auth).body, {
      type: 'error',
      error: { type: 'authentication_error', message: 'No API key' },
    });
    const limited = renderError('anthropic', new GatewayHttpError('rate_limited', 'slow down', { 'retry-after': '7' }));
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.headers, { 'retry-after': '7' });
    assert.deepEqual(limited.body, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } });
  });

  it('names the offending field of an unreadable body, and the model nobody serves', () => {
    const unreadable = renderError('openai', new RequestFormatError('messages', 'messages must be a non-empty array'));
    assert.equal(unreadable.status, 400);
    assert.deepEqual(unreadable.body, {
      error: {
        message: 'messages: messages must be a non-empty array',
        type: 'invalid_request_error',
        param: 'messages',
        code: null,
      },
    });
    assert.equal(
      renderError('anthropic', new InvalidRouteHintError('x-switchboard-prefer-provider', 'one of openai, claude'))
        .status,
      400,
    );
    const unknown = renderError('openai', new UnknownModelError('gpt-9'));
    assert.equal(unknown.status, 404);
    assert.deepEqual((unknown.body as { error: { param: string; code: string } }).error.param, 'model');
    assert.deepEqual((unknown.body as { error: { code: string } }).error.code, 'model_not_found');
    assert.deepEqual(renderError('anthropic', new UnknownModelError('gpt-9')).body, {
      type: 'error',
      error: { type: 'not_found_error', message: new UnknownModelError('gpt-9').message },
    });
  });

  it('answers 503 with Retry-After when no instance could take the request', () => {
    const rendered = renderError('anthropic', new NoHealthyInstanceError(['openai/gpt-4o']));
    assert.equal(rendered.status, 503);
    assert.deepEqual(rendered.headers, { 'retry-after': '1' });
    assert.equal((rendered.body as { error: { type: string } }).error.type, 'overloaded_error');
  });

  it('renders an upstream failure by its kind: the upstream’s credentials trouble is a 502, not a 401', () => {
    const auth = new ProviderError({ provider: 'claude', kind: 'auth', status: 401, message: 'invalid x-api-key' });
    const rendered = renderError('openai', auth);
    assert.equal(rendered.status, 502);
    assert.deepEqual(rendered.body, {
      error: { message: 'claude: invalid x-api-key', type: 'upstream_error', param: null, code: 'auth' },
    });
    const overloaded = new ProviderError({
      provider: 'openai',
      kind: 'overloaded',
      status: 503,
      message: 'busy',
      retryAfterMs: 2_500,
    });
    const last = renderError('anthropic', new NoHealthyInstanceError(['openai/gpt-4o'], overloaded));
    assert.equal(last.status, 503);
    assert.deepEqual(last.headers, { 'retry-after': '3' });
    assert.equal((last.body as { error: { type: string } }).error.type, 'overloaded_error');
    assert.equal(
      renderError('openai', new ProviderError({ provider: 'openai', kind: 'timeout', status: 0, message: 'no answer' }))
        .status,
      504,
    );
  });

  it('renders a refused instance destination as an upstream failure in either format', () => {
    const refused = new ProviderError({
      provider: 'openai',
      kind: 'destination_refused',
      status: 0,
      message: 'baseUrl resolves to a link-local/metadata address (169.254.169.254); refused',
    });
    const openai = renderError('openai', new NoHealthyInstanceError(['openai/gpt-4o'], refused));
    assert.equal(openai.status, 502);
    assert.deepEqual(openai.body, {
      error: {
        message:
          'Every attempt failed; the last one: openai: baseUrl resolves to a link-local/metadata address (169.254.169.254); refused',
        type: 'upstream_error',
        param: null,
        code: 'destination_refused',
      },
    });
    const anthropic = renderError('anthropic', refused);
    assert.equal(anthropic.status, 502);
    assert.equal((anthropic.body as { error: { type: string } }).error.type, 'api_error');
  });

  it('keeps a framework exception’s status, and hides anything unexpected behind a generic 500', () => {
    const tooLarge = renderError('openai', new PayloadTooLargeException('body too large'));
    assert.equal(tooLarge.status, 413);
    assert.equal((tooLarge.body as { error: { type: string } }).error.type, 'invalid_request_error');
    const unexpected = renderError('anthropic', new Error('connect postgres://switchboard:s3cret@db failed'));
    assert.equal(unexpected.status, 500);
    assert.ok(!JSON.stringify(unexpected.body).includes('s3cret'));
    assert.match(JSON.stringify(unexpected.body), /x-request-id/);
  });

  it('tells the format from the path', () => {
    assert.equal(formatOf('/v1/messages'), 'anthropic');
    assert.equal(formatOf('/v1/chat/completions'), 'openai');
  });
});
