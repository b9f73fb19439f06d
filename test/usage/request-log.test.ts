import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { AppProcess } from '../support/app-process.js';
import { GatewayStack } from '../support/gateway-stack.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { readiness } from '../support/readiness.js';
import { SteadyLoad } from '../support/steady-load.js';
import { metricOf, query } from '../support/usage-log.js';
import { waitFor } from '../support/wait.js';

const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: 'log me' }] };
const BURST = 2_000;
const OUTAGE_MS = 20_000;

async function rowCount(databaseUrl: string): Promise<number> {
  const [row] = await query<{ count: string }>(databaseUrl, 'SELECT count(*) FROM request_log');
  return Number(row!.count);
}

/** Sends `count` requests, `concurrency` at a time; returns the statuses that were not 200. */
async function burst(send: () => Promise<Response>, count: number, concurrency: number): Promise<number[]> {
  const failures: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        const response = await send();
        await response.arrayBuffer();
        if (response.status !== 200) failures.push(response.status);
      }
    }),
  );
  return failures;
}

describe('the request log', () => {
  let postgres: PrivatePostgres;
  let stack: GatewayStack;
  /** A second replica with a small queue: it must drop rows during the outage, and say how many. */
  let small: AppProcess;
  let loads: SteadyLoad[] = [];

  before(async () => {
    postgres = await PrivatePostgres.start();
    stack = await GatewayStack.start({
      instances: [
        { name: 'openai-a', provider: 'openai', models: ['gpt-4o'] },
        { name: 'openai-b', provider: 'openai', models: ['gpt-4o'] },
      ],
      databaseAdminUrl: postgres.adminUrl,
    });
    small = await stack.startGateway({ REQUEST_LOG_QUEUE_MAX: '150', REQUEST_LOG_BATCH_ROWS: '50' });
    await stack.waitUntilUsable(['openai-a', 'openai-b'], true, [small]);
  });

  after(async () => {
    await Promise.all(loads.map((load) => load.stop()));
    await postgres?.resume().catch(() => undefined);
    await stack?.stop();
    await postgres?.destroy();
  });

  it('keeps every request of a burst, as many rows as the gateway counted', async () => {
    const failures = await burst(() => stack.chat(ask), BURST, 32);
    assert.deepEqual(failures, []);
    await waitFor(
      'every burst row in Postgres',
      async () => (await rowCount(stack.database.url)) >= BURST,
      30_000,
      200,
    );
    assert.equal(await rowCount(stack.database.url), BURST);
    assert.equal(await metricOf(stack.gateway.url, 'switchboard_request_log_written_total'), BURST);
    assert.equal(await metricOf(stack.gateway.url, 'switchboard_request_log_dropped_total'), 0);
    const [served] = await query<{ count: string }>(
      stack.database.url,
      "SELECT count(*) FROM request_log WHERE status = 200 AND served_provider = 'openai' AND cost_usd > 0",
    );
    assert.equal(Number(served!.count), BURST, 'each row served, priced, by openai');
  });

  it('writes no row from a replica with REQUEST_LOG_ENABLED=false, which still serves and prices', async () => {
    const unlogged = await stack.startGateway({ REQUEST_LOG_ENABLED: 'false' });
    try {
      await stack.waitUntilUsable(['openai-a', 'openai-b'], true, [unlogged]);
      const before = await rowCount(stack.database.url);
      for (let index = 0; index < 5; index += 1) {
        const response = await stack.chat(ask, {}, unlogged);
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      }
      // A request through a logging replica afterwards: once its row is in, the five would have been
      // too (same flush interval), had they been queued.
      const control = await stack.chat(ask);
      await control.arrayBuffer();
      await waitFor('the control row', async () => (await rowCount(stack.database.url)) >= before + 1, 30_000, 200);
      assert.equal(await rowCount(stack.database.url), before + 1);
      assert.equal(await metricOf(unlogged.url, 'switchboard_request_log_written_total'), 0);
      assert.equal(await metricOf(unlogged.url, 'switchboard_request_log_queued_rows'), 0);
      assert.ok((await metricOf(unlogged.url, 'switchboard_cost_usd_total')) > 0, 'costs are still counted');
    } finally {
      await unlogged.stop();
      stack.gateways = stack.gateways.filter((gateway) => gateway !== unlogged);
    }
  });

  it('serves through a 20 s Postgres outage; rows written plus rows dropped equal requests sent', async () => {
    const before = await rowCount(stack.database.url);
    loads = [
      new SteadyLoad(() => stack.chat(ask, {}, stack.gateway), 20).start(),
      new SteadyLoad(() => stack.chat(ask, {}, small), 20).start(),
    ];
    await sleep(500);
    await postgres.halt();
    const haltedAt = Date.now();
    await waitFor(
      'the small replica to drop rows and say so in readiness',
      async () => {
        const { http, body } = await readiness(small.url);
        const log = body.details?.requestLog as { status: string; message?: string; dropped?: number } | undefined;
        return (
          http === 200 && log?.status === 'up' && (log.dropped ?? 0) > 0 && /wait in memory/.test(log.message ?? '')
        );
      },
      OUTAGE_MS,
      200,
    );
    await sleep(Math.max(0, haltedAt + OUTAGE_MS - Date.now()));
    await postgres.resume();
    await sleep(500);
    const outcomes = await Promise.all(loads.map((load) => load.stop()));
    loads = [];
    for (const outcome of outcomes)
      assert.deepEqual(outcome.failures, [], `${outcome.failures.length} chat requests failed`);
    const sent = outcomes.reduce((sum, outcome) => sum + outcome.sent, 0);
    assert.ok(sent >= 600, `sent ${sent}`);

    const dropped = async () =>
      (await metricOf(stack.gateway.url, 'switchboard_request_log_dropped_total')) +
      (await metricOf(small.url, 'switchboard_request_log_dropped_total'));
    await waitFor(
      'every request written or counted as dropped',
      async () => (await rowCount(stack.database.url)) - before + (await dropped()) === sent,
      30_000,
      250,
    );
    assert.equal(
      await metricOf(stack.gateway.url, 'switchboard_request_log_dropped_total'),
      0,
      'the big queue held it all',
    );
    assert.ok((await metricOf(small.url, 'switchboard_request_log_dropped_total')) > 0);
  });
});
