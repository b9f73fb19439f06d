import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageAggregate, UsageQuery, UsageReportsRepository } from './usage-reports.repository.js';
import { InvalidUsageRangeError, USAGE_MAX_ROWS, UsageReportsService } from './usage-reports.service.js';

const DAY_MS = 86_400_000;
const to = new Date('2026-12-31T00:00:00Z');

/** The rollup as `rows` aggregates; records the limit each read asked for. */
function serviceWith(rows: number): { service: UsageReportsService; limits: number[] } {
  const limits: number[] = [];
  const repository = {
    async aggregate(_query: UsageQuery, limit: number): Promise<UsageAggregate[]> {
      limits.push(limit);
      return Array.from({ length: Math.min(rows, limit) }, () => ({}) as UsageAggregate);
    },
  };
  return { service: new UsageReportsService(repository as unknown as UsageReportsRepository), limits };
}

function query(days: number, bucket: 'hour' | 'day'): UsageQuery {
  return { from: new Date(to.getTime() - days * DAY_MS), to, bucket, groupBy: [] };
}

async function refusal(promise: Promise<unknown>): Promise<InvalidUsageRangeError> {
  const error = await promise.then(
    () => assert.fail('the range was accepted'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof InvalidUsageRangeError);
  assert.equal(error.field, 'from');
  assert.equal(error.kind, 'invalid_request');
  return error;
}

describe('UsageReportsService.usage', () => {
  it('refuses a range that ends before it starts, or is empty, naming from', async () => {
    const { service, limits } = serviceWith(0);
    await refusal(service.usage(query(0, 'day')));
    await refusal(service.usage(query(-1, 'day')));
    assert.deepEqual(limits, [], 'nothing was read');
  });

  it('refuses more than 31 days of hours or 400 days of days', async () => {
    const { service } = serviceWith(1);
    assert.match((await refusal(service.usage(query(32, 'hour')))).message, /31 days/);
    assert.match((await refusal(service.usage(query(401, 'day')))).message, /400 days/);
    assert.equal((await service.usage(query(31, 'hour'))).rows.length, 1);
    assert.equal((await service.usage(query(400, 'day'))).rows.length, 1);
  });

  it('returns at most USAGE_MAX_ROWS rows and says when more matched', async () => {
    const within = await serviceWith(USAGE_MAX_ROWS).service.usage(query(30, 'day'));
    assert.equal(within.rows.length, USAGE_MAX_ROWS);
    assert.equal(within.truncated, false);
    const { service, limits } = serviceWith(USAGE_MAX_ROWS * 3);
    const beyond = await service.usage(query(30, 'day'));
    assert.equal(beyond.rows.length, USAGE_MAX_ROWS);
    assert.equal(beyond.truncated, true);
    assert.deepEqual(limits, [USAGE_MAX_ROWS + 1]);
  });
});
