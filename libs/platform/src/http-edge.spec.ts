import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientErrorRefusal, type HttpLimits, InvalidJsonBodyError, parseJsonBody } from './http-edge.js';

const limits: HttpLimits = {
  maxBodyBytes: 1024,
  maxBodySetting: 'GATEWAY_MAX_BODY_BYTES',
  maxJsonDepth: 64,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  maxHeaderBytes: 16_384,
};

function refusalOf(text: string, maxDepth = 64): InvalidJsonBodyError {
  try {
    parseJsonBody(text, maxDepth);
  } catch (error) {
    assert.ok(error instanceof InvalidJsonBodyError, String(error));
    return error;
  }
  assert.fail(`${text.slice(0, 40)} was accepted`);
}

describe('parseJsonBody', () => {
  it('parses a body within the limits', () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };
    assert.deepEqual(parseJsonBody(JSON.stringify(body), 64), body);
  });

  it('refuses an empty body and one that is not JSON, saying which', () => {
    assert.match(refusalOf('  ').message, /body is empty/);
    assert.match(refusalOf('{"model": ').message, /not valid JSON/);
    assert.equal(refusalOf('{"model": ').httpStatus, 400);
  });

  it('refuses nesting past the limit, naming the field where it happens, even 10,000 deep', () => {
    const deep = `{"extraHeaders":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const refusal = refusalOf(deep);
    assert.equal(refusal.field, 'extraHeaders');
    assert.match(refusal.message, /^extraHeaders\.a\.a\.a…: the JSON body nests deeper than 64 levels/);
    const arrays = refusalOf(`{"messages":${'['.repeat(5)}1${']'.repeat(5)}}`, 4);
    assert.equal(arrays.field, 'messages');
    assert.deepEqual(parseJsonBody(`{"messages":${'['.repeat(3)}1${']'.repeat(3)}}`, 4), { messages: [[[1]]] });
  });

  it('refuses a __proto__ key wherever it is', () => {
    const refusal = refusalOf('{"metadata":{"__proto__":{"admin":true}}}');
    assert.equal(refusal.field, 'metadata');
    assert.match(refusal.message, /__proto__/);
  });
});

describe('clientErrorRefusal', () => {
  it('names the setting behind a timeout and a header overflow', () => {
    assert.deepEqual(clientErrorRefusal({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, limits).status, 408);
    assert.match(clientErrorRefusal({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, limits).message, /HTTP_REQUEST_TIMEOUT_MS/);
    assert.equal(clientErrorRefusal({ code: 'HPE_HEADER_OVERFLOW' }, limits).status, 431);
    assert.equal(clientErrorRefusal({ code: 'HPE_INVALID_METHOD' }, limits).status, 400);
  });
});
