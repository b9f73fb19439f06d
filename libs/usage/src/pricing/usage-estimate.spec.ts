import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateStreamUsage } from './usage-estimate.js';

describe('estimateStreamUsage', () => {
  it('counts four characters a token, rounded up, for the prompt and the text streamed', () => {
    assert.deepEqual(estimateStreamUsage(401, 40), { promptTokens: 101, completionTokens: 10, totalTokens: 111 });
    assert.deepEqual(estimateStreamUsage(0, 0), { promptTokens: 0, completionTokens: 0, totalTokens: 0 });
  });
});
