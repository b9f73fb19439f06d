import pg from 'pg';

/** One query against a test database (the request log is read straight from it to check the admin API). */
export async function query<Row extends pg.QueryResultRow>(databaseUrl: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The value of an unlabelled metric (or the sum over its labels) in a Prometheus text page. */
export function metricValue(page: string, name: string): number {
  let total = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export async function metricOf(appUrl: string, name: string): Promise<number> {
  return metricValue(await (await fetch(`${appUrl}/metrics`)).text(), name);
}
