import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestTrace } from './request-trace.js';

describe('RequestTrace', () => {
  it('keeps no answer unless asked, and no more of it than its limit', () => {
    const trace = new RequestTrace('openai', 'request-1', null);
    trace.appendAnswer('ignored');
    assert.equal(trace.answer, null);
    trace.keepAnswer(10);
    for (let chunk = 0; chunk < 1_000; chunk += 1) trace.appendAnswer('abcd');
    assert.equal(trace.answer, 'abcdabcdab');
  });
});
