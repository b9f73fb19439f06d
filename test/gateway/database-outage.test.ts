import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin, TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { readiness } from '../support/readiness.js';
import { SteadyLoad } from '../support/steady-load.js';
import { waitFor } from '../support/wait.js';

const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: 'still there?' }] };
/** Longer than the instances' Consul TTL (10 s) plus a check interval: long enough to expire them. */
const OUTAGE_MS = 25_000;

describe('a Postgres outage under load', () => {
  let postgres: PrivatePostgres;
  let stack: GatewayStack;
  let load: SteadyLoad | undefined;

  before(async () => {
    postgres = await PrivatePostgres.start();
    stack = await GatewayStack.start({
      instances: [
        { name: 'openai-a', provider: 'openai', models: ['gpt-4o'] },
        { name: 'openai-b', provider: 'openai', models: ['gpt-4o'] },
        { name: 'openai-c', provider: 'openai', models: ['gpt-4o'] },
      ],
      databaseAdminUrl: postgres.adminUrl,
    });
  });

  after(async () => {
    await load?.stop();
    await postgres?.resume().catch(() => undefined);
    await stack?.stop();
    await postgres?.destroy();
  });

  it('costs no chat request; readiness says degraded; admin works again soon after', async () => {
    load = new SteadyLoad(() => stack.chat(ask), 20).start();
    await sleep(1_000);
    await postgres.halt();
    await waitFor(
      'the gateway to report the database degraded',
      async () => (await readiness(stack.gateway.url)).body.details?.database?.status === 'degraded',
      10_000,
      100,
    );
    for (const app of [stack.gateway, stack.manager]) {
      const { http, body } = await readiness(app.url);
      assert.equal(http, 200, `${app.name} still serves, so it stays ready`);
      assert.equal(body.status, 'degraded');
    }
    const write = await fetch(`${stack.manager.url}/admin/instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'written-in-outage',
        provider: 'openai',
        baseUrl: 'http://127.0.0.1:9',
        apiKey: 'sk-0123456789',
        models: ['gpt-4o'],
      }),
    });
    assert.equal(write.status, 503, 'an admin write during the outage is refused, not a 500');
    assert.equal(write.headers.get('retry-after'), '5');
    assert.match(((await write.json()) as { message: string }).message, /database is unavailable/);
    const read = await admin(stack.manager.url)('GET', '/admin/instances');
    assert.equal(read.status, 503);
    await sleep(OUTAGE_MS);
    const duringOutage = await stack.chat(ask);
    assert.equal(duringOutage.status, 200, 'instances stay in rotation after their TTL would have run out');
    await duringOutage.arrayBuffer();

    await postgres.resume();
    const back = Date.now();
    await waitFor(
      'the admin API to read instances again',
      async () => (await admin(stack.manager.url)('GET', '/admin/instances')).status === 200,
      10_000,
      100,
    );
    assert.ok(Date.now() - back < 5_000, `admin answered ${Date.now() - back} ms after Postgres returned`);
    const names = (
      (await admin(stack.manager.url)('GET', '/admin/instances')).body as { items: { name: string }[] }
    ).items.map((instance) => instance.name);
    assert.ok(!names.includes('written-in-outage'), 'the refused write left nothing behind');
    await sleep(1_000);
    const outcome = await load.stop();
    assert.ok(outcome.sent >= 400, `sent ${outcome.sent}`);
    assert.deepEqual(outcome.failures, [], `${outcome.failures.length} of ${outcome.sent} chat requests failed`);
    await waitFor(
      'readiness to be ok again',
      async () => (await readiness(stack.gateway.url)).body.status === 'up',
      15_000,
      200,
    );
  });
});
