import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PrismaService } from '@switchboard/database';
import type { AppConfig } from '@switchboard/kernel';
import { partitionName, RequestLogPartitions } from '@switchboard/usage';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { query } from '../support/usage-log.js';

const DAY_MS = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY_MS) * DAY_MS;

describe('request log partitions', () => {
  let database: TestDatabase;
  let prisma: PrismaService;
  let partitions: RequestLogPartitions;

  before(async () => {
    database = await createTestDatabase();
    const config = { DATABASE_URL: database.url, REQUEST_LOG_RETENTION_DAYS: 30 } as AppConfig;
    prisma = new PrismaService(config);
    partitions = new RequestLogPartitions(prisma, config);
  });

  after(async () => {
    await prisma?.$disconnect();
    await database?.drop();
  });

  async function insertAt(time: number, id: string): Promise<void> {
    await query(
      database.url,
      `INSERT INTO request_log (id, time, request_id, key_id, format, stream, attempts, fallbacks, status, latency_ms)
       VALUES ($1, $2, 'r', '00000000-0000-4000-8000-000000000001', 'openai', false, 1, 0, 200, 5)`,
      [id, new Date(time).toISOString()],
    );
  }

  it("moves rows that landed in the default partition into their day's partition when it is created", async () => {
    const id = '00000000-0000-4000-8000-0000000000aa';
    await insertAt(TODAY + 3_600_000, id);
    const before = await query<{ relname: string }>(
      database.url,
      'SELECT tableoid::regclass::text AS relname FROM request_log WHERE id = $1',
      [id],
    );
    assert.equal(before[0]!.relname, 'request_log_default');

    const { created } = await partitions.maintain(TODAY + 3_600_000);
    assert.deepEqual(
      created,
      [-1, 0, 1, 2, 3].map((offset) => partitionName(new Date(TODAY + offset * DAY_MS))),
    );
    const after = await query<{ relname: string }>(
      database.url,
      'SELECT tableoid::regclass::text AS relname FROM request_log WHERE id = $1',
      [id],
    );
    assert.equal(after[0]!.relname, partitionName(new Date(TODAY)));
    assert.deepEqual((await partitions.maintain(TODAY + 3_600_000)).created, [], 'a second run has nothing to do');
  });

  it('drops the days older than the retention and keeps the rest', async () => {
    await partitions.ensureDays(TODAY - 40 * DAY_MS, TODAY - 25 * DAY_MS);
    await insertAt(TODAY - 35 * DAY_MS, '00000000-0000-4000-8000-0000000000bb');
    await insertAt(TODAY - 29 * DAY_MS, '00000000-0000-4000-8000-0000000000cc');
    const { dropped } = await partitions.maintain(TODAY);
    assert.equal(dropped.length, 10, 'days 40 to 31 ago');
    assert.ok(dropped.every((name) => name < partitionName(new Date(TODAY - 30 * DAY_MS))));
    const left = await query<{ id: string }>(database.url, 'SELECT id FROM request_log WHERE time < $1 ORDER BY time', [
      new Date(TODAY - DAY_MS).toISOString(),
    ]);
    assert.deepEqual(
      left.map((row) => row.id),
      ['00000000-0000-4000-8000-0000000000cc'],
    );
  });
});
