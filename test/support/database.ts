import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations } from '@switchboard/database';
import { repoRoot } from './paths.js';

/** The running Postgres (trust auth); TEST_DATABASE_ADMIN_URL overrides. */
const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export const migrationsDir = join(repoRoot, 'prisma/migrations');

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A new, empty database of its own for one test file; migrated unless asked not to. `adminUrl`
 * names another server (a PrivatePostgres the test stops and starts).
 */
export async function createTestDatabase(
  options: { migrate?: boolean; adminUrl?: string } = {},
): Promise<TestDatabase> {
  const server = options.adminUrl ?? adminUrl;
  const name = `switchboard_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  if (options.migrate !== false) await applyMigrations(url.toString(), migrationsDir);
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
