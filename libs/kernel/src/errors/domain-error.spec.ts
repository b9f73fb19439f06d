import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError, type DomainErrorKind, httpStatusOf, kindOfHttpStatus } from './domain-error.js';

class Refused extends DomainError {
  constructor(readonly kind: DomainErrorKind) {
    super(`refused as ${kind}`);
  }
}

test('every kind has its HTTP status', () => {
  const expected: Record<DomainErrorKind, number> = {
    invalid_request: 400,
    unauthenticated: 401,
    forbidden: 403,
    not_found: 404,
    conflict: 409,
    rate_limited: 429,
    internal: 500,
    upstream: 502,
    unavailable: 503,
    upstream_timeout: 504,
  };
  for (const [kind, status] of Object.entries(expected)) assert.equal(httpStatusOf(kind as DomainErrorKind), status);
});

test('a domain error is an Error whose status follows its kind', () => {
  const error = new Refused('conflict');
  assert.ok(error instanceof Error);
  assert.ok(error instanceof DomainError);
  assert.equal(error.message, 'refused as conflict');
  assert.equal(error.httpStatus, 409);
  assert.equal(new Refused('unavailable').httpStatus, 503);
});

test('a bare status reads back as its kind; unknown ones as invalid_request or internal', () => {
  assert.equal(kindOfHttpStatus(404), 'not_found');
  assert.equal(kindOfHttpStatus(429), 'rate_limited');
  assert.equal(kindOfHttpStatus(503), 'unavailable');
  assert.equal(kindOfHttpStatus(413), 'invalid_request');
  assert.equal(kindOfHttpStatus(501), 'internal');
});
