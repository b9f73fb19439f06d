import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppConfig } from '@switchboard/kernel';
import { DEFAULT_RETRY_BUDGET, RetryBudget } from './retry-budget.js';

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

test('the configured retry budget defaults to DEFAULT_RETRY_BUDGET', () => {
  // Kernel's config cannot import routing, so GATEWAY_RETRY_BUDGET_PERCENT repeats the ratio: keep them equal.
  assert.equal(new AppConfig().GATEWAY_RETRY_BUDGET_PERCENT / 100, DEFAULT_RETRY_BUDGET.ratio);
});
