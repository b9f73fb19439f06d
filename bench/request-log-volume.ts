// The request log at volume (not a test): how fast the admin API's queries are on a month of
// synthetic rows, what a row costs on disk, and what retention costs, dropping a day's partition
// against deleting the same day's rows.
//
//   node dist/bench/request-log-volume.js [--rows 3000000] [--days 30] [--markdown <file>]
//
// It creates a database of its own on TEST_DATABASE_ADMIN_URL (default the local Postgres),
// applies the migrations, makes the daily partitions, fills request_log with generate_series (200
// keys, each on two of 10 models, two instances per model), fills usage_hourly as a month at
// 1,000 requests/s would leave it (every one of the 800 key/model/instance combinations present in
// every hour: the rollup grows with the combinations, not with the requests), then times each
// query (best of 5, warm cache) and drops the database.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations } from '@switchboard/database';

const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1]! : fallback;
};
const ROWS = Number(argument('rows', '3000000'));
const DAYS = Number(argument('days', '30'));
const MARKDOWN = argument('markdown', '');
const DAY_MS = 86_400_000;
const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function main(): Promise<void> {
  const name = `switchboard_volume_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  const lines: string[] = [];
  const say = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  try {
    await applyMigrations(url.toString(), join(process.cwd(), 'prisma/migrations'));
    await db.connect();
    const end = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const start = end - DAYS * DAY_MS;
    for (let day = start; day < end + DAY_MS; day += DAY_MS) {
      const from = new Date(day).toISOString();
      const table = `request_log_p${from.slice(0, 10).replaceAll('-', '')}`;
      await db.query(
        `CREATE TABLE "${table}" PARTITION OF request_log FOR VALUES FROM ('${from}') TO ('${new Date(day + DAY_MS).toISOString()}')`,
      );
    }
    say(`# Request log at volume: ${ROWS.toLocaleString('en')} rows over ${DAYS} days\n`);
    const filled = await timed(() => db.query(FILL, [ROWS, new Date(start).toISOString(), DAYS * 86_400]));
    await db.query(ROLLUP, [new Date(start).toISOString(), new Date(end).toISOString()]);
    await db.query(DAILY);
    await db.query('VACUUM ANALYZE request_log; ');
    await db.query('VACUUM ANALYZE usage_hourly');
    say(`Filled in ${(filled / 1000).toFixed(1)} s (one INSERT … SELECT generate_series).\n`);
    const sizes = await db.query<{
      log: string;
      rows: string;
      rollup: string;
      rollup_rows: string;
      daily: string;
      daily_rows: string;
    }>(SIZES);
    const size = sizes.rows[0]!;
    say('| table | rows | total size (with indexes) | per row |');
    say('| --- | --- | --- | --- |');
    say(
      `| request_log | ${Number(size.rows).toLocaleString('en')} | ${mb(size.log)} | ${Math.round(Number(size.log) / Number(size.rows))} B |`,
    );
    say(
      `| usage_hourly | ${Number(size.rollup_rows).toLocaleString('en')} | ${mb(size.rollup)} | ${Math.round(Number(size.rollup) / Math.max(1, Number(size.rollup_rows)))} B |`,
    );
    say(
      `| usage_daily | ${Number(size.daily_rows).toLocaleString('en')} | ${mb(size.daily)} | ${Math.round(Number(size.daily) / Math.max(1, Number(size.daily_rows)))} B |`,
    );
    say('');
    const someKey = (await db.query<{ key_id: string }>('SELECT key_id FROM request_log LIMIT 1')).rows[0]!.key_id;
    const from = new Date(start).toISOString();
    const to = new Date(end).toISOString();
    const midCursor = (
      await db.query<{ time: Date; id: string }>(
        'SELECT time, id FROM request_log WHERE time >= $1 AND time < $2 ORDER BY time DESC, id DESC OFFSET 50000 LIMIT 1',
        [from, to],
      )
    ).rows[0]!;
    const queries: [string, string, unknown[]][] = [
      ['usage: a month by key and day (usage_daily)', usage('key_id', 'day'), [from, to]],
      ['usage: a month by provider and model per day (usage_daily)', usage('provider, model', 'day'), [from, to]],
      [
        'usage: a month of one key by model and day',
        usage('model', 'day', 'AND key_id = $3::uuid'),
        [from, to, someKey],
      ],
      ['usage: a month by provider, model and hour (usage_hourly)', usage('provider, model', 'hour'), [from, to]],
      [
        'usage: the last day by key and hour (usage_hourly)',
        usage('key_id', 'hour', "AND hour >= $2::timestamptz - interval '1 day'"),
        [from, to],
      ],
      [`usage: a month by key and day from the ${ROWS.toLocaleString('en')} raw rows instead`, RAW_BY_KEY, [from, to]],
      ['requests: newest 100, no filter', page(''), [from, to]],
      ['requests: newest 100 with status 429', page('AND status = 429'), [from, to]],
      ['requests: newest 100 of one key', page('AND key_id = $3::uuid'), [from, to, someKey]],
      [
        'requests: newest 100 of one model with status 429',
        page("AND coalesce(served_model, requested_model) = 'model-3' AND status = 429"),
        [from, to],
      ],
      [
        'requests: 100 after a cursor 50,000 rows deep',
        page('AND (time, id) < ($3, $4::uuid)'),
        [from, to, midCursor.time, midCursor.id],
      ],
    ];
    say('| query | best of 5 |');
    say('| --- | --- |');
    for (const [label, sql, values] of queries) {
      await db.query(sql, values);
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 5; run += 1) best = Math.min(best, await timed(() => db.query(sql, values)));
      say(`| ${label} | ${best.toFixed(1)} ms |`);
    }
    say('');
    const days = (await db.query<{ name: string }>(PARTITIONS)).rows.map((row) => row.name);
    const [deleteDay, dropDay] = [days[1]!, days[2]!];
    const dayRows = Number((await db.query<{ count: string }>(`SELECT count(*) FROM "${deleteDay}"`)).rows[0]!.count);
    const deleted = await timed(() =>
      db.query(
        `DELETE FROM request_log WHERE time < (SELECT max(time) + interval '1 ms' FROM "${deleteDay}") AND time >= (SELECT min(time) FROM "${deleteDay}")`,
      ),
    );
    const dropped = await timed(() => db.query(`DROP TABLE "${dropDay}"`));
    say(
      `Retention of one day (${dayRows.toLocaleString('en')} rows): DELETE ${deleted.toFixed(0)} ms (and a vacuum to follow), DROP of its partition ${dropped.toFixed(1)} ms.`,
    );
  } finally {
    await db.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
  if (MARKDOWN) await writeFile(MARKDOWN, `${lines.join('\n')}\n`);
}

const FILL = `
INSERT INTO request_log (id, time, request_id, key_id, format, route, stream, requested_model, served_provider,
  served_model, instance_id, instance_name, attempts, fallbacks, status, error_kind, input_tokens, output_tokens,
  cached_tokens, reasoning_tokens, cost_usd, latency_ms, ttft_ms, user_agent)
SELECT gen_random_uuid(), $2::timestamptz + (n::float8 / $1 * $3) * interval '1 second', 'req-' || n,
       ('00000000-0000-4000-8000-' || lpad((n % 200)::text, 12, '0'))::uuid,
       CASE WHEN n % 3 = 0 THEN 'anthropic' ELSE 'openai' END, 'model', n % 4 = 0, model, provider, model,
       NULL, model || '-i' || (n % 2), 1 + (n % 50 = 0)::int, 0,
       CASE WHEN n % 97 = 0 THEN 429 WHEN n % 101 = 0 THEN 502 ELSE 200 END,
       CASE WHEN n % 97 = 0 THEN 'rate_limited' WHEN n % 101 = 0 THEN 'server_error' END,
       200 + n % 800, 50 + n % 400, n % 5 * 20, 0, (200 + n % 800) * 2.5e-6 + (50 + n % 400) * 1e-5,
       300 + n % 900, CASE WHEN n % 4 = 0 THEN 150 END, 'openai-node/5'
FROM (
  SELECT n, 'model-' || ((n % 200 + (n / 200 % 2) * 3) % 10) AS model,
         (ARRAY['openai','claude','zai','perplexity'])[1 + ((n % 200 + (n / 200 % 2) * 3) % 10) % 4] AS provider
  FROM generate_series(1, $1) AS n
) AS synthetic`;

/** 3.6 million requests an hour spread over 800 combinations: 4,500 each. */
const ROLLUP = `
INSERT INTO usage_hourly
SELECT hour, ('00000000-0000-4000-8000-' || lpad(k::text, 12, '0'))::uuid,
       (ARRAY['openai','claude','zai','perplexity'])[1 + ((k + m * 3) % 10) % 4], 'model-' || ((k + m * 3) % 10),
       'model-' || ((k + m * 3) % 10) || '-i' || i, 4500, 45, 4500 * 600, 4500 * 250, 4500 * 40, 0, 4500 * 0.004, 0, 4500 * 750
FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 hour', interval '1 hour') AS hour,
     generate_series(0, 199) AS k, generate_series(0, 1) AS m, generate_series(0, 1) AS i`;

const DAILY = `
INSERT INTO usage_daily
SELECT date_trunc('day', hour, 'UTC'), key_id, provider, model, instance_name, sum(requests), sum(errors),
       sum(input_tokens), sum(output_tokens), sum(cached_tokens), sum(reasoning_tokens), sum(cost_usd),
       sum(unpriced_requests), sum(latency_ms_sum)
FROM usage_hourly GROUP BY 1, 2, 3, 4, 5`;

const SIZES = `
SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'request_log'::regclass) AS log,
       (SELECT count(*) FROM request_log) AS rows,
       pg_total_relation_size('usage_hourly') AS rollup, (SELECT count(*) FROM usage_hourly) AS rollup_rows,
       pg_total_relation_size('usage_daily') AS daily, (SELECT count(*) FROM usage_daily) AS daily_rows`;

const PARTITIONS = `
SELECT child.relname AS name FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid
WHERE inhparent = 'request_log'::regclass AND child.relname ~ '^request_log_p' ORDER BY 1`;

// The same statements the admin API sends (libs/usage reports), with the parameters inlined as $n.
function usage(columns: string, bucket: 'hour' | 'day', filter = ''): string {
  const table = bucket === 'day' ? 'usage_daily' : 'usage_hourly';
  return `SELECT ${bucket} AS bucket, ${columns}, sum(requests)::float8, sum(errors)::float8,
       sum(input_tokens)::float8, sum(output_tokens)::float8, sum(cost_usd)::float8
  FROM ${table} WHERE ${bucket} >= date_trunc('${bucket}', $1::timestamptz, 'UTC') AND ${bucket} < $2 ${filter}
  GROUP BY 1, ${columns} ORDER BY 1, ${columns}`;
}

const RAW_BY_KEY = `SELECT date_trunc('day', time, 'UTC'), key_id, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd)
  FROM request_log WHERE time >= $1 AND time < $2 GROUP BY 1, 2`;

function page(filter: string): string {
  return `SELECT * FROM request_log WHERE time >= $1 AND time < $2 ${filter} ORDER BY time DESC, id DESC LIMIT 101`;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

function mb(bytes: string): string {
  return `${(Number(bytes) / 1024 / 1024).toFixed(0)} MiB`;
}

await main();
