import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { type AppConfig, MetricsService } from '@switchboard/kernel';
import { type RequestLogRepository, RequestLogRowsRefusedError } from './request-log.repository.js';
import type { RequestLogRow } from './request-log-row.js';
import { RequestLogWriter } from './request-log-writer.js';

Logger.overrideLogger(false);

/**
 * request_log in memory; `down` makes every insert fail as Postgres away would, and a batch holding
 * a row `refuses` names fails whole, as Postgres refusing one row's data fails its statement.
 */
class FakeRepository {
  rows: RequestLogRow[] = [];
  batches: number[] = [];
  down = false;
  refuses: (row: RequestLogRow) => boolean = () => false;

  async insert(rows: readonly RequestLogRow[]): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    if (rows.some(this.refuses)) throw new RequestLogRowsRefusedError('22P02', 'invalid input syntax for type uuid');
    this.batches.push(rows.length);
    this.rows.push(...rows);
  }

  async close(): Promise<void> {}
}

const config = {
  REQUEST_LOG_QUEUE_MAX: 100,
  REQUEST_LOG_QUEUE_MAX_BYTES: 1_048_576,
  REQUEST_LOG_BATCH_ROWS: 40,
  REQUEST_LOG_FLUSH_MS: 60_000,
} as AppConfig;

function row(index: number): RequestLogRow {
  return { id: `row-${index}`, prompt: null, answer: null } as RequestLogRow;
}

/** A metric's value, summed over its labels or only those of `labels`. */
async function counter(metrics: MetricsService, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  return (
    metric?.values
      .filter((value) => Object.entries(labels).every(([label, wanted]) => value.labels[label] === wanted))
      .reduce((sum, value) => sum + value.value, 0) ?? 0
  );
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

  it('leaves rows that arrive during a write for the next tick unless they fill a batch', async () => {
    const repository = new FakeRepository();
    const writer = new RequestLogWriter(
      repository as unknown as RequestLogRepository,
      new MetricsService('spec'),
      config,
    );
    const insert = repository.insert.bind(repository);
    let next = 0;
    const append = (count: number) => {
      for (const end = next + count; next < end; next += 1) writer.append(row(next));
    };
    let arriving = 0;
    repository.insert = async (rows) => {
      // Requests go on while the statement runs.
      append(arriving);
      arriving = 0;
      await insert(rows);
    };

    append(30);
    arriving = 15;
    await writer.flush();
    assert.deepEqual(
      repository.batches,
      [30],
      'the rows that came during the last write are not chased with a small statement',
    );
    assert.equal(writer.queued, 15);

    arriving = 45;
    await writer.flush();
    assert.deepEqual(repository.batches, [30, 15, 40], 'a batch filled during a write goes at once');
    assert.equal(writer.queued, 5);
    await writer.flush();
    assert.deepEqual(
      repository.rows.map((entry) => entry.id),
      Array.from({ length: 90 }, (_, index) => `row-${index}`),
    );
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

  it('drops only the rows Postgres refuses, counted by reason, and writes every other row of their batches', async () => {
    const repository = new FakeRepository();
    const metrics = new MetricsService('spec');
    const writer = new RequestLogWriter(repository as unknown as RequestLogRepository, metrics, config);
    const bad = new Set(['row-7', 'row-8', 'row-55']);
    repository.refuses = (entry) => bad.has(entry.id);
    for (let index = 0; index < 90; index += 1) writer.append(row(index));
    await writer.flush();
    assert.equal(writer.queued, 0, 'no refused row goes back in the queue');
    assert.equal(writer.lastError, undefined);
    assert.deepEqual(
      repository.rows.map((entry) => entry.id),
      Array.from({ length: 90 }, (_, index) => `row-${index}`).filter((id) => !bad.has(id)),
    );
    assert.equal(writer.dropped, 3);
    assert.equal(await counter(metrics, 'switchboard_request_log_dropped_total', { reason: 'refused' }), 3);
    assert.equal(await counter(metrics, 'switchboard_request_log_written_total'), 87);
  });

  it('puts back the unwritten part of a batch when Postgres goes away while a refused batch is split', async () => {
    const repository = new FakeRepository();
    const metrics = new MetricsService('spec');
    const writer = new RequestLogWriter(repository as unknown as RequestLogRepository, metrics, config);
    repository.refuses = (entry) => {
      // The first split half is written; Postgres is gone before the second.
      if (repository.rows.length > 0) repository.down = true;
      return entry.id === 'row-30';
    };
    for (let index = 0; index < 40; index += 1) writer.append(row(index));
    await writer.flush();
    assert.deepEqual(
      repository.rows.map((entry) => entry.id),
      Array.from({ length: 20 }, (_, index) => `row-${index}`),
    );
    assert.equal(writer.queued, 20);
    assert.equal(writer.dropped, 0);
    assert.match(writer.lastError ?? '', /ECONNREFUSED/);
  });

  it('bounds the queue in bytes: the oldest bodies go first, then the oldest rows', async () => {
    const repository = new FakeRepository();
    repository.down = true;
    const metrics = new MetricsService('spec');
    const writer = new RequestLogWriter(repository as unknown as RequestLogRepository, metrics, config);
    // Each row carries 2 x 100,000 characters of bodies (about 400 kB): the queue holds two of them.
    for (let index = 0; index < 4; index += 1)
      writer.append({ ...row(index), prompt: 'p'.repeat(100_000), answer: 'a'.repeat(100_000) });
    assert.equal(writer.queued, 4, 'rows are kept; their bodies went');
    assert.equal(writer.dropped, 0);
    assert.equal(await counter(metrics, 'switchboard_request_log_bodies_dropped_total'), 2);
    for (let index = 4; index < 100; index += 1) writer.append(row(index));
    assert.equal(writer.queued, 100);
    repository.down = false;
    await writer.flush();
    assert.deepEqual(
      repository.rows.slice(0, 4).map((entry) => entry.prompt !== null),
      [false, false, true, true],
      'the oldest rows lost their bodies',
    );
  });
});
