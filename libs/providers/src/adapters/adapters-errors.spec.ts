import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderErrorKind } from '../core/provider-error.js';
import { adapterFor, type ProviderName } from '../registry.js';

interface Case {
  provider: ProviderName;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  kind: ProviderErrorKind;
  retryable: boolean;
  retryAfterMs?: number;
}

const openai = (type: string, code: string | null, message = 'm') => ({ error: { message, type, param: null, code } });
const claude = (type: string, message = 'm', details?: unknown) => ({
  type: 'error',
  error: { type, message, ...(details ? { details } : {}) },
  request_id: 'req_1',
});
const zai = (code: string) => ({ error: { code, message: 'm' } });

const cases: Case[] = [
  {
    provider: 'openai',
    status: 401,
    body: openai('invalid_request_error', 'invalid_api_key'),
    kind: 'auth',
    retryable: true,
  },
  {
    provider: 'openai',
    status: 403,
    body: openai('invalid_request_error', 'unsupported_country_region_territory'),
    kind: 'permission',
    retryable: true,
  },
  {
    provider: 'openai',
    status: 400,
    body: openai('invalid_request_error', 'context_length_exceeded'),
    kind: 'context_length',
    retryable: false,
  },
  {
    provider: 'openai',
    status: 400,
    body: openai('invalid_request_error', null),
    kind: 'bad_request',
    retryable: false,
  },
  {
    provider: 'openai',
    status: 404,
    body: openai('invalid_request_error', 'model_not_found'),
    kind: 'not_found',
    retryable: false,
  },
  {
    provider: 'openai',
    status: 429,
    body: openai('requests', 'rate_limit_exceeded'),
    headers: { 'retry-after': '7' },
    kind: 'rate_limited',
    retryable: true,
    retryAfterMs: 7000,
  },
  {
    provider: 'openai',
    status: 429,
    body: openai('insufficient_quota', 'insufficient_quota'),
    kind: 'quota_exhausted',
    retryable: true,
  },
  { provider: 'openai', status: 500, body: openai('server_error', null), kind: 'server_error', retryable: true },
  {
    provider: 'openai',
    status: 503,
    body: openai('server_error', null, 'The engine is currently overloaded'),
    kind: 'overloaded',
    retryable: true,
  },
  {
    provider: 'claude',
    status: 400,
    body: claude('invalid_request_error', 'max_tokens: Field required'),
    kind: 'bad_request',
    retryable: false,
  },
  {
    provider: 'claude',
    status: 400,
    body: claude('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'),
    kind: 'context_length',
    retryable: false,
  },
  {
    provider: 'claude',
    status: 400,
    body: claude(
      'invalid_request_error',
      'You have reached your specified API usage limits. You will regain access on 2026-12-01.',
    ),
    kind: 'quota_exhausted',
    retryable: true,
  },
  {
    provider: 'claude',
    status: 401,
    body: claude('authentication_error', 'invalid x-api-key'),
    kind: 'auth',
    retryable: true,
  },
  { provider: 'claude', status: 402, body: claude('billing_error'), kind: 'quota_exhausted', retryable: true },
  { provider: 'claude', status: 403, body: claude('permission_error'), kind: 'permission', retryable: true },
  { provider: 'claude', status: 413, body: claude('request_too_large'), kind: 'context_length', retryable: false },
  {
    provider: 'claude',
    status: 429,
    body: claude('rate_limit_error'),
    headers: { 'retry-after': '3' },
    kind: 'rate_limited',
    retryable: true,
    retryAfterMs: 3000,
  },
  {
    provider: 'claude',
    status: 429,
    body: claude('rate_limit_error', 'spend limit', { error_code: 'enforced_spend_limit_reached' }),
    kind: 'quota_exhausted',
    retryable: true,
  },
  { provider: 'claude', status: 500, body: claude('api_error'), kind: 'server_error', retryable: true },
  {
    provider: 'claude',
    status: 529,
    body: claude('overloaded_error', 'Overloaded'),
    kind: 'overloaded',
    retryable: true,
  },
  { provider: 'zai', status: 401, body: zai('1002'), kind: 'auth', retryable: true },
  { provider: 'zai', status: 429, body: zai('1113'), kind: 'quota_exhausted', retryable: true },
  {
    provider: 'zai',
    status: 429,
    body: zai('1302'),
    headers: { 'retry-after': '2' },
    kind: 'rate_limited',
    retryable: true,
    retryAfterMs: 2000,
  },
  { provider: 'zai', status: 429, body: zai('1308'), kind: 'quota_exhausted', retryable: true },
  { provider: 'zai', status: 400, body: zai('1261'), kind: 'context_length', retryable: false },
  { provider: 'zai', status: 400, body: zai('1211'), kind: 'not_found', retryable: false },
  { provider: 'zai', status: 400, body: zai('1214'), kind: 'bad_request', retryable: false },
  { provider: 'zai', status: 500, body: zai('1234'), kind: 'server_error', retryable: true },
  { provider: 'zai', status: 429, body: zai('1312'), kind: 'overloaded', retryable: true },
  { provider: 'perplexity', status: 401, body: openai('invalid_api_key', '401'), kind: 'auth', retryable: true },
  {
    provider: 'perplexity',
    status: 429,
    body: openai('rate_limit_exceeded', null),
    kind: 'rate_limited',
    retryable: true,
  },
  { provider: 'perplexity', status: 400, body: openai('invalid_model', null), kind: 'bad_request', retryable: false },
  { provider: 'openai_compatible', status: 502, body: 'Bad Gateway', kind: 'server_error', retryable: true },
  { provider: 'openai_compatible', status: 404, body: { detail: 'Not Found' }, kind: 'not_found', retryable: false },
];

describe('error taxonomy', () => {
  for (const entry of cases) {
    it(`${entry.provider} ${entry.status} ${JSON.stringify(entry.body).slice(0, 70)} -> ${entry.kind}`, () => {
      const text = typeof entry.body === 'string' ? entry.body : JSON.stringify(entry.body);
      const error = adapterFor(entry.provider).parseError(entry.status, entry.headers ?? {}, text);
      assert.equal(error.kind, entry.kind);
      assert.equal(error.retryable, entry.retryable);
      assert.equal(error.status, entry.status);
      assert.equal(error.provider, entry.provider);
      assert.equal(error.retryAfterMs, entry.retryAfterMs);
      assert.ok(error.message.startsWith(`${entry.provider}: `));
    });
  }

  it('an error inside a 2xx stream is raised with its kind', () => {
    const claudeAdapter = adapterFor('claude');
    assert.throws(
      () =>
        claudeAdapter.parseStreamEvent(
          { event: 'error', data: JSON.stringify(claude('overloaded_error')) },
          claudeAdapter.newStreamState(),
        ),
      (error: unknown) => (error as { kind: string }).kind === 'overloaded',
    );
    const zaiAdapter = adapterFor('zai');
    assert.throws(
      () =>
        zaiAdapter.parseStreamEvent(
          { event: 'message', data: JSON.stringify(zai('1113')) },
          zaiAdapter.newStreamState(),
        ),
      (error: unknown) => (error as { kind: string }).kind === 'quota_exhausted',
    );
  });
});
