import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullJitterDelay, RetryBudget } from './retry-budget.js';

test('the retry budget allows the floor when idle, then a share of the requests', () => {
  const budget = new RetryBudget({ ratio: 0.1, minRetriesPerSecond: 1, windowMs: 10_000 });
  const now = 1_000_000;
  let granted = 0;
  while (budget.tryRetry(now)) granted += 1;
  assert.equal(granted, 10, 'the floor is 1 retry/s over a 10 s window');
  for (let index = 0; index < 100; index += 1) budget.recordRequest(now);
  let more = 0;
  while (budget.tryRetry(now)) more += 1;
  assert.equal(more, 10, '100 requests at ratio 0.1 add 10 retries');
});

test('retries spent leave the window and the budget refills', () => {
  const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 1, windowMs: 2_000 });
  const start = 5_000_000;
  assert.equal(budget.tryRetry(start), true);
  assert.equal(budget.tryRetry(start), true);
  assert.equal(budget.tryRetry(start + 500), false, 'two retries in a 2 s window at 1/s');
  assert.equal(budget.tryRetry(start + 2_000), true, 'the first second left the window');
});

test('full jitter stays below the doubling ceiling and covers its range', () => {
  assert.equal(
    fullJitterDelay(0, 100, 1_000, () => 0.999),
    99,
  );
  assert.equal(
    fullJitterDelay(3, 100, 1_000, () => 0.999),
    799,
  );
  assert.equal(
    fullJitterDelay(10, 100, 1_000, () => 0.5),
    500,
    'capped at the maximum',
  );
  assert.equal(
    fullJitterDelay(2, 100, 1_000, () => 0),
    0,
  );
  const samples = Array.from({ length: 2_000 }, () => fullJitterDelay(2, 100, 1_000));
  assert.ok(samples.every((delay) => delay >= 0 && delay < 400));
  const mean = samples.reduce((sum, delay) => sum + delay, 0) / samples.length;
  assert.ok(mean > 170 && mean < 230, `uniform over [0, 400): mean ${mean}`);
});
