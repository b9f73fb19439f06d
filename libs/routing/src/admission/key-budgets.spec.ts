import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClientIdentity, NO_LIMITS } from '@switchboard/fleet';
import type { RedisService } from '@switchboard/redis';
import { KeyBudgets } from './key-budgets.js';

/** Redis away: every decision and count stays in this replica's memory (no I/O is attempted). */
const redisAway = { available: false } as unknown as RedisService;
const NOON = Date.parse('2026-12-01T12:00:00Z');

const key = (limits: Partial<ClientIdentity>): ClientIdentity => ({
  id: 'key-1',
  name: 'spec',
  ...NO_LIMITS,
  expiresAt: null,
  ...limits,
});

describe('KeyBudgets', () => {
  it('lets a key in while its known spend is below the daily budget, and tells it what is left', () => {
    const budgets = new KeyBudgets(redisAway);
    const identity = key({ dailyBudgetUsd: 1 });
    assert.deepEqual(budgets.check(identity, NOON).headers, {
      'x-switchboard-budget-daily-limit-usd': '1',
      'x-switchboard-budget-daily-remaining-usd': '1.000000',
    });
    budgets.charge(identity, 0.6, 100, NOON);
    const below = budgets.check(identity, NOON);
    assert.equal(below.refusal, undefined);
    assert.equal(below.headers['x-switchboard-budget-daily-remaining-usd'], '0.400000');
    budgets.charge(identity, 0.5, 100, NOON);
    const over = budgets.check(identity, NOON);
    assert.equal(over.refusal, 'daily_budget');
    assert.match(over.message!, /daily budget of \$1/);
    assert.equal(over.retryAfterSeconds, 12 * 3600, 'the day ends at midnight UTC');
  });

  it('starts a new day at midnight UTC but keeps counting the month', () => {
    const budgets = new KeyBudgets(redisAway);
    const identity = key({ dailyBudgetUsd: 1, monthlyBudgetUsd: 1.5 });
    budgets.charge(identity, 1, 0, NOON);
    assert.equal(budgets.check(identity, NOON).refusal, 'daily_budget');
    const tomorrow = NOON + 86_400_000;
    assert.equal(budgets.check(identity, tomorrow).refusal, undefined);
    budgets.charge(identity, 0.5, 0, tomorrow);
    assert.equal(budgets.check(identity, tomorrow).refusal, 'monthly_budget');
  });

  it('limits tokens per minute over a sliding minute', () => {
    const budgets = new KeyBudgets(redisAway);
    const identity = key({ tokensPerMinute: 1_000 });
    budgets.charge(identity, undefined, 1_000, NOON + 30_000);
    const refused = budgets.check(identity, NOON + 40_000);
    assert.equal(refused.refusal, 'tokens_per_minute');
    assert.equal(refused.retryAfterSeconds, 20);
    // Half of the next minute later, half of the previous minute's tokens still count.
    assert.equal(budgets.check(identity, NOON + 90_000).headers['x-ratelimit-remaining-tokens'], '500');
  });

  it('leaves keys without limits alone, and never charges an unknown cost as zero spend on a budget', () => {
    const budgets = new KeyBudgets(redisAway);
    assert.deepEqual(budgets.check(key({}), NOON), { headers: {} });
    const identity = key({ dailyBudgetUsd: 0.000001 });
    budgets.charge(identity, undefined, 50, NOON);
    assert.equal(budgets.check(identity, NOON).refusal, undefined, 'an unpriced request spends nothing known');
  });

  it('ranks the top spenders of the day for the bounded per-key metric', () => {
    const budgets = new KeyBudgets(redisAway);
    for (const [id, usd] of [
      ['a', 1],
      ['b', 3],
      ['c', 2],
    ] as const)
      budgets.charge(key({ id }), usd, 0, NOON);
    assert.deepEqual(
      budgets.topSpenders(2, NOON).map((entry) => entry.keyId),
      ['b', 'c'],
    );
  });
});
