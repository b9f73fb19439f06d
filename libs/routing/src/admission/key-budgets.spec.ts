import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClientIdentity, NO_LIMITS } from '@switchboard/fleet';
import type { RedisService } from '@switchboard/redis';
import { KeyBudgets } from './key-budgets.js';

/** Redis away: every decision and count stays in this replica's memory (no I/O is attempted). */
const redisAway = { available: false } as unknown as RedisService;

/**
 * A Redis in memory that answers like the real one, a turn of the event loop later: GET in a
 * pipeline and the add-and-publish script (its INCRBYs; nothing is published).
 */
function redisInMemory() {
  const store = new Map<string, number>();
  const client = {
    pipeline() {
      const keys: string[] = [];
      return {
        get(key: string) {
          keys.push(key);
        },
        exec: async () => keys.map((key) => [null, store.has(key) ? String(store.get(key)) : null]),
      };
    },
    async switchboardAddSpend(...args: (string | number)[]) {
      return [0, 1, 2].map((index) => {
        const key = String(args[index]);
        store.set(key, (store.get(key) ?? 0) + Number(args[3 + index]));
        return store.get(key);
      });
    },
  };
  return { store, redis: { available: true, client } as unknown as RedisService & { available: boolean } };
}

/** Lets the in-memory Redis answer what was sent to it. */
const answered = () => new Promise((resolve) => setImmediate(resolve));
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

  it('keeps an idle over-budget key refused after its token window is long gone', async () => {
    const { redis } = redisInMemory();
    const budgets = new KeyBudgets(redis);
    const identity = key({ dailyBudgetUsd: 1 });
    budgets.charge(identity, 1.2, 100, NOON);
    await answered();
    assert.equal(budgets.check(identity, NOON).refusal, 'daily_budget');
    const later = NOON + 3 * 60_000;
    await budgets.synchronise(later);
    assert.equal(budgets.check(identity, later).refusal, 'daily_budget', 'the day is not over');
  });

  it('asks Redis at once for a key first seen here, decides locally meanwhile and says so', async () => {
    const { store, redis } = redisInMemory();
    store.set('switchboard:spend:key-1:d:20261201', 1_500_000); // another replica spent $1.50 today
    const budgets = new KeyBudgets(redis);
    const identity = key({ dailyBudgetUsd: 1 });
    const first = budgets.check(identity, NOON);
    assert.equal(first.refusal, undefined, 'never waits on Redis');
    assert.equal(first.scope, 'local');
    await answered();
    const next = budgets.check(identity, NOON);
    assert.equal(next.refusal, 'daily_budget', 'the first read answered, without waiting for the timer');
    assert.equal(next.scope, 'shared');
  });

  it('sends what the ending day has unsent to that day before counting the new one', async () => {
    const { store, redis } = redisInMemory();
    redis.available = false;
    const budgets = new KeyBudgets(redis);
    const identity = key({ dailyBudgetUsd: 1, monthlyBudgetUsd: 10 });
    budgets.charge(identity, 0.5, 0, NOON);
    redis.available = true;
    const tomorrow = NOON + 86_400_000;
    budgets.check(identity, tomorrow);
    await answered();
    assert.equal(store.get('switchboard:spend:key-1:d:20261201'), 500_000);
    assert.equal(store.get('switchboard:spend:key-1:m:202612'), 500_000);
    assert.equal(budgets.check(identity, tomorrow).headers['x-switchboard-budget-monthly-remaining-usd'], '9.500000');
  });
});
