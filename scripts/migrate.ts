// Applies prisma/migrations to DATABASE_URL (creating the database if needed):
//   npm run migrate        or        node scripts/run-app.mjs migrate
import { applyMigrations, ensureDatabase } from '@switchboard/database';
import { ConfigValidationError, loadConfig, describeError } from '@switchboard/kernel';
import { fileURLToPath } from 'node:url';

const migrationsDir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

try {
  const config = loadConfig('migrate', 0, { database: true, redis: false });
  const url = config.DATABASE_URL!;
  if (await ensureDatabase(url)) console.log(`Created database ${new URL(url).pathname.slice(1)}`);
  const result = await applyMigrations(url, migrationsDir, (message) => console.log(message));
  console.log(
    result.applied.length
      ? `Applied ${result.applied.length} migration(s); ${result.alreadyApplied.length} were already applied`
      : `Database is up to date (${result.alreadyApplied.length} migration(s) applied)`,
  );
} catch (error) {
  console.error(error instanceof ConfigValidationError ? error.message : `migrate: ${describeError(error)}`);
  process.exitCode = 1;
}
