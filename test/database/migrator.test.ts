import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { applyMigrations, ensureDatabase } from '@switchboard/database';
import { PrismaClient } from '../../libs/database/src/generated/prisma/client.js';
import { createTestDatabase, migrationsDir, type TestDatabase } from '../support/database.js';

describe('migrations: applied with Prisma migrate deploy bookkeeping', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase({ migrate: false });
  });

  after(async () => {
    await database?.drop();
  });

  it('applies every migration once and records it as prisma migrate deploy does', async () => {
    const first = await applyMigrations(database.url, migrationsDir);
    assert.ok(first.applied.length >= 1);
    assert.deepEqual(first.alreadyApplied, []);

    const second = await applyMigrations(database.url, migrationsDir);
    assert.deepEqual(second.applied, [], 'a second run applies nothing');
    assert.deepEqual(second.alreadyApplied, first.applied);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
      assert.equal(rows.length, first.applied.length);
      const name = first.applied[0]!;
      const script = await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8');
      assert.equal(rows[0].migration_name, name);
      assert.equal(rows[0].checksum, createHash('sha256').update(script).digest('hex'));
      assert.equal(rows[0].applied_steps_count, 1);
      assert.ok(rows[0].finished_at instanceof Date);
      assert.equal(rows[0].rolled_back_at, null);
      assert.match(rows[0].id, /^[0-9a-f-]{36}$/);
      const columns = await client.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position",
      );
      assert.deepEqual(
        columns.rows.map((c) => c.column_name),
        [
          'id',
          'checksum',
          'finished_at',
          'migration_name',
          'logs',
          'rolled_back_at',
          'started_at',
          'applied_steps_count',
        ],
      );
    } finally {
      await client.end();
    }
  });

  it('gives a schema the generated Prisma client works with', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }) });
    try {
      const created = await prisma.providerInstance.create({
        data: {
          name: 'openai-eu-1',
          provider: 'openai',
          baseUrl: 'http://127.0.0.1:9999',
          models: ['gpt-4o', 'gpt-4o-mini'],
        },
      });
      assert.match(created.id, /^[0-9a-f-]{36}$/);
      assert.equal(created.weight, 100);
      assert.equal(created.enabled, true);
      assert.deepEqual(created.tags, []);
      const found = await prisma.providerInstance.findMany({ where: { provider: 'openai' } });
      assert.deepEqual(
        found.map((row) => row.models),
        [['gpt-4o', 'gpt-4o-mini']],
      );
      await assert.rejects(
        prisma.providerInstance.create({
          data: { name: 'openai-eu-1', provider: 'openai', baseUrl: 'http://x', models: [] },
        }),
        /Unique constraint/,
      );
    } finally {
      await prisma.$disconnect();
    }
  });

  it('records a failed migration, rolls its statements back and refuses to go on until it is resolved', async () => {
    const scratch = await createTestDatabase({ migrate: false });
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      await cp(migrationsDir, dir, { recursive: true });
      await mkdir(join(dir, '29990101000000_broken'));
      await writeFile(
        join(dir, '29990101000000_broken', 'migration.sql'),
        'CREATE TABLE "half" (id INT);\nSELECT no_such_function();\n',
      );
      await assert.rejects(applyMigrations(scratch.url, dir), /29990101000000_broken failed: .*no_such_function/);
      await assert.rejects(applyMigrations(scratch.url, dir), /failed earlier and was not resolved/);

      const client = new pg.Client({ connectionString: scratch.url });
      await client.connect();
      try {
        const half = await client.query("SELECT to_regclass('public.half') AS table");
        assert.equal(half.rows[0].table, null, 'the failed script left nothing behind');
        const row = await client.query('SELECT finished_at, logs FROM "_prisma_migrations" WHERE migration_name = $1', [
          '29990101000000_broken',
        ]);
        assert.equal(row.rows[0].finished_at, null);
        assert.match(row.rows[0].logs, /no_such_function/);
      } finally {
        await client.end();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await scratch.drop();
    }
  });

  it('creates a missing database, as prisma migrate deploy does', async () => {
    const url = new URL(database.url);
    url.pathname = `/${database.name}_created`;
    try {
      assert.equal(await ensureDatabase(url.toString()), true);
      assert.equal(await ensureDatabase(url.toString()), false);
    } finally {
      const admin = new URL(database.url);
      admin.pathname = '/postgres';
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${database.name}_created"`);
      await client.end();
    }
  });
});
