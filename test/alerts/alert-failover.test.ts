import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { AppProcess } from '../support/app-process.js';
import { ConsulAgent } from '../support/consul-agent.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { admin, instanceManagerEnv } from '../support/instance-manager-env.js';
import { freePorts } from '../support/ports.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { waitFor } from '../support/wait.js';

const PROVIDER_KEY = 'sk-test-FailoverProviderKey-1234567890';
const EVAL_INTERVAL_MS = 250;

/**
 * One failed probe turns the check critical, with no warning step, and probes come slowly enough
 * that their check's TTL (three intervals) never runs out on a busy machine: a failing instance
 * stays critical, so the alert cannot flap and every change the test sees is the one it caused.
 */
const STEADY_HEALTH = {
  PROBE_INTERVAL_MS: '1000',
  HEALTH_WARN_AFTER_FAILURES: '1',
  HEALTH_CRITICAL_AFTER_FAILURES: '1',
};

/** The firing metric line of ProviderInstanceCritical on one replica's /metrics. */
const FIRING_METRIC = /switchboard_alerts_active\{[^}]*alertname="ProviderInstanceCritical"[^}]*\} (\d+)/;

/**
 * Alerts across instance-manager replicas and through a Postgres outage: a new leader continues
 * the alert the last one fired (same alert, no second firing notification within the repeat
 * interval), and while Postgres is away the leader still evaluates and notifies, and its writes
 * catch up when Postgres is back. Postgres is a cluster of this test's own, so it can be stopped.
 */
describe('instance-manager: alerts across a leader failover and a Postgres outage', () => {
  let postgres: PrivatePostgres;
  let agent: ConsulAgent;
  let database: TestDatabase;
  let simulator: ProviderSimulator;
  let receiver: Server;
  const received: { status: string; id: string; fingerprint: string }[] = [];
  const managers: AppProcess[] = [];
  let alertId: string;

  const leader = async (): Promise<AppProcess | undefined> => {
    for (const manager of managers) {
      const response = await admin(manager.url)('GET', '/admin/instances/supervisor').catch(() => undefined);
      if (response?.body?.leader) return manager;
    }
    return undefined;
  };
  const firingMetric = async (manager: AppProcess) =>
    Number(FIRING_METRIC.exec(await (await fetch(`${manager.url}/metrics`)).text())?.[1] ?? -1);
  const criticalAlerts = (alerts: { alertname: string; id: string; state: string }[]) =>
    alerts.filter((alert) => alert.alertname === 'ProviderInstanceCritical').map((alert) => [alert.id, alert.state]);
  const notices = (status: string) => received.filter((entry) => entry.status === status);

  before(async () => {
    postgres = await PrivatePostgres.start();
    [agent, database, simulator] = await Promise.all([
      ConsulAgent.start(),
      createTestDatabase({ adminUrl: postgres.adminUrl }),
      ProviderSimulator.start({ controlPort: 0 }),
    ]);
    receiver = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => {
        const body = JSON.parse(text);
        received.push({
          status: body.status,
          id: body.alerts[0].labels.instance,
          fingerprint: body.alerts[0].fingerprint,
        });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { baseUrl } = await simulator.addInstance({ id: 'openai-f', provider: 'openai', apiKey: PROVIDER_KEY });
    for (const port of await freePorts(2))
      managers.push(
        await AppProcess.start(
          'instance-manager',
          port,
          instanceManagerEnv(agent.address, database.url, {
            ...STEADY_HEALTH,
            ALERT_EVAL_INTERVAL_MS: String(EVAL_INTERVAL_MS),
          }),
        ),
      );
    const call = admin(managers[0]!.url);
    // An hour between repeats: any second firing notification in this test is a duplicate.
    const thresholds = await call('PUT', '/admin/alerts/thresholds', {
      repeatIntervalSeconds: 3600,
      rules: { ProviderInstanceCritical: { forSeconds: 0 } },
    });
    assert.equal(thresholds.status, 200, thresholds.text);
    const hook = await call('POST', '/admin/alerts/webhooks', {
      name: 'ops',
      kind: 'json',
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook/secret-token`,
    });
    assert.equal(hook.status, 201, hook.text);
    const created = await call('POST', '/admin/instances', {
      name: 'openai-f',
      provider: 'openai',
      baseUrl,
      models: ['gpt-4o'],
      apiKey: PROVIDER_KEY,
    });
    assert.equal(created.status, 201, created.text);
    await waitFor(
      'the instance to pass',
      async () => (await call('GET', '/admin/instances?health=passing')).body.total === 1,
      20_000,
    );
  });

  after(async () => {
    await Promise.all(managers.map((manager) => manager.stop()));
    await Promise.all([agent?.stop(), simulator?.stop()]);
    receiver?.closeAllConnections();
    receiver?.close();
    await postgres?.resume().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await postgres?.destroy();
  });

  it('a new leader continues the firing alert from Postgres without notifying it again', async () => {
    await simulator.updateKnobs('openai-f', { error: { kind: 'server' } });
    await waitFor('the firing notification', () => notices('firing').length === 1, 30_000);
    const first = (await waitFor('a leader', leader))!;
    const active = (await admin(first.url)('GET', '/admin/alerts')).body.active;
    alertId = active.find((alert: { alertname: string }) => alert.alertname === 'ProviderInstanceCritical').id;
    const follower = managers.find((manager) => manager !== first)!;
    assert.equal(await firingMetric(follower), 0, 'only the leader exports a firing alert');
    // The follower answers from Postgres: the same alert the leader holds in memory.
    const seenByFollower = (await admin(follower.url)('GET', '/admin/alerts')).body.active;
    assert.deepEqual(criticalAlerts(seenByFollower), [[alertId, 'firing']]);

    await first.stop();
    managers.splice(managers.indexOf(first), 1);
    await waitFor(
      'the other replica to lead and export the alert',
      async () => (await firingMetric(follower)) === 1,
      30_000,
    );
    const continued = (await admin(follower.url)('GET', '/admin/alerts')).body.active;
    assert.deepEqual(criticalAlerts(continued), [[alertId, 'firing']], 'the same alert, still firing');
    // Absence takes waiting: several evaluation rounds of the new leader, none may notify again.
    await delay(EVAL_INTERVAL_MS * 8);
    assert.equal(notices('firing').length, 1);
  });

  it('keeps evaluating and notifying while Postgres is away, and writes the changes once it is back', async () => {
    const [current] = managers;
    await postgres.halt();
    await simulator.updateKnobs('openai-f', { error: null });
    const resolvedNotice = await waitFor('the resolved notification', () => notices('resolved')[0], 30_000);
    assert.equal(resolvedNotice.id, 'openai-f');
    assert.equal(await firingMetric(current!), 0);

    await postgres.resume();
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const row = await waitFor(
        'the resolution and its delivery in Postgres',
        async () => {
          const { rows } = await db.query(
            `SELECT a.state, a.ends_at, d.notified_state, d.outcome FROM alerts a
             JOIN alert_deliveries d ON d.alert_id = a.id WHERE a.id = $1`,
            [alertId],
          );
          const [row] = rows;
          return row?.state === 'resolved' && row.notified_state === 'resolved' && row.outcome === 'delivered'
            ? row
            : undefined;
        },
        30_000,
      );
      assert.ok(row.ends_at instanceof Date);
    } finally {
      await db.end();
    }
    assert.ok(current!.logs.includes('cannot write alerts to Postgres'), 'the outage was noticed');
    assert.equal(notices('resolved').length, 1);
    assert.equal(notices('firing').length, 1);
  });
});
