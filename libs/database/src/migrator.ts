import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describeError } from '@switchboard/kernel';

/**
 * Applies prisma/migrations the way `prisma migrate deploy` does, for machines where the Prisma
 * CLI cannot fetch its schema engine. It reads the same migration folders and keeps the same
 * `_prisma_migrations` bookkeeping (same table, sha256 checksums, one row per migration, the same
 * advisory lock), so a database migrated here is seen as up to date by `prisma migrate deploy`,
 * and the reverse.
 */

/** The key Prisma's schema engine locks on, so this runner and the CLI never migrate at once. */
const ADVISORY_LOCK_KEY = 72707369;

const BOOKKEEPING_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
  /** Applied migrations whose file changed since (Prisma warns about these too). */
  modified: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

export async function applyMigrations(
  databaseUrl: string,
  migrationsDir: string,
  log: (message: string) => void = () => undefined,
): Promise<MigrationResult> {
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    try {
      await client.query(BOOKKEEPING_TABLE);
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at',
      );
      const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
      if (failed) {
        throw new Error(
          `migration ${failed.migration_name} failed earlier and was not resolved (${failed.logs ?? 'no log'}). ` +
            'Fix the database by hand, then mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = ...) ' +
            'or run `prisma migrate resolve` where the Prisma CLI works.',
        );
      }
      const done = new Map(
        rows
          .filter((row) => row.finished_at !== null && row.rolled_back_at === null)
          .map((row) => [row.migration_name, row]),
      );
      const result: MigrationResult = { applied: [], alreadyApplied: [], modified: [] };
      for (const migration of migrations) {
        const previous = done.get(migration.name);
        if (previous) {
          result.alreadyApplied.push(migration.name);
          if (previous.checksum !== migration.checksum) result.modified.push(migration.name);
          continue;
        }
        log(`Applying migration ${migration.name}`);
        await applyOne(client, migration);
        result.applied.push(migration.name);
      }
      for (const name of result.modified) log(`warning: migration ${name} was modified after it was applied`);
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** Creates the database named in the URL when it does not exist, as `prisma migrate deploy` does. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database (expected postgresql://user@host:port/<database>)');
  // Connect to the database itself first: a role limited to it needs nothing else.
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // 3D000: invalid_catalog_name
  } finally {
    await probe.end().catch(() => undefined);
  }
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await admin.end();
  }
}

interface Migration {
  name: string;
  script: string;
  checksum: string;
}

async function readMigrations(migrationsDir: string): Promise<Migration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const script = await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, script, checksum: createHash('sha256').update(script).digest('hex') };
    }),
  );
}

async function applyOne(client: pg.Client, migration: Migration): Promise<void> {
  const id = randomUUID();
  await client.query(
    'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
    [id, migration.checksum, migration.name],
  );
  try {
    // One simple-protocol query: Postgres runs a multi-statement script as one implicit
    // transaction, so a failing migration leaves no half-applied schema behind.
    await client.query(migration.script);
  } catch (error) {
    const message = describeError(error);
    await client.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message]);
    throw new Error(`migration ${migration.name} failed: ${message}`, { cause: error });
  }
  await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [
    id,
  ]);
}
