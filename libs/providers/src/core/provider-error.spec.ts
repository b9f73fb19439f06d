import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpStatusOf } from '@switchboard/kernel';
import { ProviderError, type ProviderErrorKind } from './provider-error.js';

const failure = (kind: ProviderErrorKind) => new ProviderError({ provider: 'openai', kind, status: 0, message: kind });

test('the client is at fault only for a bad request, an unknown model or a too long context', () => {
  const faulty = (
    [
      'auth',
      'permission',
      'bad_request',
      'not_found',
      'context_length',
      'rate_limited',
      'quota_exhausted',
      'overloaded',
      'server_error',
      'timeout',
      'network',
      'stream_cut',
      'malformed_upstream',
      'destination_refused',
    ] as const
  ).filter((kind) => failure(kind).clientFault);
  assert.deepEqual(faulty, ['bad_request', 'not_found', 'context_length']);
  for (const kind of faulty) assert.equal(failure(kind).retryable, false, kind);
});

test('what the client is told: the upstream’s own credentials trouble is a 502, never a 401', () => {
  const statuses: Record<ProviderErrorKind, number> = {
    auth: 502,
    permission: 502,
    bad_request: 400,
    not_found: 404,
    context_length: 400,
    rate_limited: 429,
    quota_exhausted: 429,
    overloaded: 503,
    server_error: 502,
    timeout: 504,
    network: 502,
    stream_cut: 502,
    malformed_upstream: 502,
    destination_refused: 502,
  };
  for (const [kind, status] of Object.entries(statuses))
    assert.equal(httpStatusOf(failure(kind as ProviderErrorKind).domainKind), status, kind);
});

test('another instance can help with load, transport and account trouble; never with a bad request', () => {
  assert.equal(failure('overloaded').retryable, true);
  assert.equal(failure('stream_cut').retryable, true);
  assert.equal(failure('bad_request').retryable, false);
  assert.equal(failure('context_length').retryable, false);
});

test('rejected credentials and spent quota are the fault of the account, not of the client', () => {
  for (const kind of ['auth', 'permission', 'quota_exhausted'] as const) {
    assert.equal(failure(kind).accountFault, true, kind);
    assert.equal(failure(kind).clientFault, false, kind);
    assert.equal(failure(kind).retryable, true, kind);
  }
  assert.equal(failure('server_error').accountFault, false);
});

test('a refused destination takes its instance out at once and leaves the request to the others', () => {
  const refused = failure('destination_refused');
  assert.equal(refused.accountFault, true);
  assert.equal(refused.clientFault, false);
  assert.equal(refused.retryable, true);
});
