import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countRequest, type MinuteWindow, requestsInLastMinute } from './minute-window.js';

test('counts within a minute, and weighs the previous minute by its overlap', () => {
  const start = 600_000; // the start of a window
  let counts: MinuteWindow | undefined;
  for (let index = 0; index < 10; index += 1) counts = countRequest(counts, start + 1_000);
  assert.equal(requestsInLastMinute(counts, start + 30_000), 10);
  // Half-way into the next window, half of the last one still counts.
  assert.equal(requestsInLastMinute(counts, start + 90_000), 5);
  counts = countRequest(counts, start + 90_000);
  assert.equal(requestsInLastMinute(counts, start + 90_000), 6);
  // Two windows later nothing is left.
  assert.equal(requestsInLastMinute(counts, start + 180_000), 0);
  assert.equal(requestsInLastMinute(undefined, start), 0);
});
