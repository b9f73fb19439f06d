import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { type AppConfig, MetricsService } from '@switchboard/kernel';
import type { RequestLogRepository } from './request-log.repository.js';
import type { RequestLogRow } from './request-log-row.js';
import { RequestLogWriter } from './request-log-writer.js';

Logger.overrideLogger(false);

/** request_log in memory; `down` makes every insert fail as Postgres away would. */
class FakeRepository {
  rows: RequestLogRow[] = [];
  batches: number[] = [];
  down = false;

  async insert(rows: readonly RequestLogRow[]): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    this.batches.push(rows.length);
    this.rows.push(...rows);
  }
}

const config = { REQUEST_LOG_QUEUE_MAX: 100, REQUEST_LOG_BATCH_ROWS: 40, REQUEST_LOG_FLUSH_MS: 60_000 } as AppConfig;

function row(index: number): RequestLogRow {
  return { id: `row-${index}` } as RequestLogRow;
}

async function counter(metrics: MetricsService, name: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  return metric?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;
}

describe('RequestLogWriter', () => {
  it('writes queued rows in batches of REQUEST_LOG_BATCH_ROWS', async () => {
    const repository = new FakeRepository();
    const metrics = new MetricsService('spec');
    const writer = new RequestLogWriter(repository as unknown as RequestLogRepository, metrics, config);
    for (let index = 0; index < 90; index += 1) writer.append(row(index));
    await writer.flush();
    assert.deepEqual(repository.batches, [40, 40, 10]);
    assert.deepEqual(
      repository.rows.map((entry) => entry.id),
      Array.from({ length: 90 }, (_, index) => `row-${index}`),
    );
    assert.equal(await counter(metrics, 'switchboard_request_log_written_total'), 90);
  });

  it('keeps rows while Postgres is away, drops the oldest past the queue limit, and writes the rest when it returns', async () => {
    const repository = new FakeRepository();
    const metrics = new MetricsService('spec');
    const writer = new RequestLogWriter(repository as unknown as RequestLogRepository, metrics, config);
    repository.down = true;
    for (let index = 0; index < 130; index += 1) {
      writer.append(row(index));
      if (index % 20 === 0) await writer.flush();
    }
    assert.match(writer.lastError ?? '', /ECONNREFUSED/);
    assert.equal(writer.queued, 100);
    assert.equal(writer.dropped, 30);
    assert.equal(await counter(metrics, 'switchboard_request_log_dropped_total'), 30);

    repository.down = false;
    await writer.flush();
    assert.equal(writer.lastError, undefined);
    assert.equal(repository.rows.length + writer.dropped, 130, 'every row written or counted as dropped');
    assert.equal(repository.rows[0]!.id, 'row-30', 'the oldest rows were the ones dropped');
  });
});
