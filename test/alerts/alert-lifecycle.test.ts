import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
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
import { waitFor } from '../support/wait.js';

const PROVIDER_KEY = 'sk-test-AlertsProviderKey-1234567890';
const THRESHOLDS_KEY = 'switchboard/config/alerting';
/** The receivers' paths stand for the secret part of a real webhook URL (Slack's token). */
const JSON_HOOK_PATH = '/hooks/T0SECRET/B0SECRET/json-token-abcdef';
const SLACK_HOOK_PATH = '/services/T0SECRET/B0SECRET/slack-token-123456';
const REPEAT_SECONDS = 3;

interface Received {
  path: string;
  at: number;
  body: any;
}

/** A webhook receiver: records every POST; answers 500 to the first `failFirst` ones. */
class Receiver {
  readonly received: Received[] = [];
  /** POSTs answered 500 so far. */
  refused = 0;
  private constructor(
    private readonly server: Server,
    private failuresLeft: number,
  ) {}

  static async start(failFirst = 0): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server, failFirst);
    server.on('request', (request, response) => void receiver.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(request: IncomingMessage, response: import('node:http').ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += chunk;
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      this.refused += 1;
      response.writeHead(500).end('receiver down');
      return;
    }
    this.received.push({ path: request.url ?? '', at: Date.now(), body: JSON.parse(text) });
    response.writeHead(200).end('ok');
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The alert lifecycle against a real instance-manager, Postgres and Consul: an instance made to
 * fail through the simulator's control API raises ProviderInstanceCritical, which goes pending,
 * fires (stored, exported as a metric, sent to webhooks once per repeat interval, a failing
 * receiver retried) and resolves when the instance recovers.
 */
describe('instance-manager: alerts from failure to webhook and back', () => {
  let agent: ConsulAgent;
  let database: TestDatabase;
  let simulator: ProviderSimulator;
  let manager: AppProcess;
  let jsonReceiver: Receiver;
  let slackReceiver: Receiver;
  let call: ReturnType<typeof admin>;
  let db: pg.Client;
  let instanceId: string;
  let jsonHookId: string;
  let slackHookId: string;
  let failedAt = 0;

  const knobs = async (patch: unknown) => {
    const response = await fetch(`${simulator.controlUrl}/instances/openai-alerts/knobs`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
    assert.equal(response.status, 200, await response.text());
  };
  const alertsNow = async () => {
    const response = await call('GET', '/admin/alerts');
    assert.equal(response.status, 200, response.text);
    return response.body as { active: any[]; history: any[] };
  };
  const criticalAlert = (alerts: any[]) =>
    alerts.find((alert) => alert.alertname === 'ProviderInstanceCritical' && alert.labels.instance === 'openai-alerts');
  const firingNotices = (receiver: Receiver) =>
    receiver.received.filter(
      (entry) => (entry.body.status ?? '') === 'firing' || /^\[FIRING/.test(entry.body.text ?? ''),
    );

  before(async () => {
    [agent, database, simulator, jsonReceiver, slackReceiver] = await Promise.all([
      ConsulAgent.start(),
      createTestDatabase(),
      ProviderSimulator.start({ controlPort: 0 }),
      Receiver.start(),
      Receiver.start(2),
    ]);
    const { baseUrl } = await simulator.addInstance({ id: 'openai-alerts', provider: 'openai', apiKey: PROVIDER_KEY });
    const [port] = await freePorts(1);
    manager = await AppProcess.start(
      'instance-manager',
      port!,
      instanceManagerEnv(agent.address, database.url, {
        // One failed probe is critical (no warning step), and a check's TTL (three probe intervals)
        // does not run out on a busy machine: the alert follows the simulator's knob, never flaps.
        PROBE_INTERVAL_MS: '1000',
        HEALTH_WARN_AFTER_FAILURES: '1',
        HEALTH_CRITICAL_AFTER_FAILURES: '1',
        ALERT_EVAL_INTERVAL_MS: '250',
        ALERT_WEBHOOK_RETRY_BASE_MS: '100',
        ALERT_WEBHOOK_TIMEOUT_MS: '3000',
      }),
    );
    call = admin(manager.url);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const created = await call('POST', '/admin/instances', {
      name: 'openai-alerts',
      provider: 'openai',
      baseUrl,
      models: ['gpt-4o'],
      apiKey: PROVIDER_KEY,
    });
    assert.equal(created.status, 201, created.text);
    instanceId = created.body.id;
    await waitFor(
      'the instance to pass its probes',
      async () => (await call('GET', '/admin/instances?health=passing')).body.total === 1,
      20_000,
    );
  });

  after(async () => {
    await manager?.stop();
    await db?.end();
    await Promise.all([agent?.stop(), simulator?.stop(), jsonReceiver?.stop(), slackReceiver?.stop()]);
    await database?.drop();
  });

  it('serves the default thresholds, refuses a mistake with a 400 naming the field, and takes a valid document', async () => {
    const initial = await call('GET', '/admin/alerts/thresholds');
    assert.equal(initial.status, 200);
    assert.equal(initial.body.source, 'default');
    assert.equal(initial.body.thresholds.repeatIntervalSeconds, 14_400);

    const refused = await call('PUT', '/admin/alerts/thresholds', {
      repeatIntervalSeconds: 'soon',
      rules: { ProviderInstanceCritical: { forSeconds: -5 } },
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.details, [
      'repeatIntervalSeconds: must be a number of seconds from 1 to 2592000',
      'rules.ProviderInstanceCritical.forSeconds: must be a number of seconds from 0 to 86400',
    ]);
    assert.equal((await agent.kvEntries(THRESHOLDS_KEY)).length, 0, 'nothing was stored');

    const accepted = await call('PUT', '/admin/alerts/thresholds', {
      repeatIntervalSeconds: REPEAT_SECONDS,
      rules: { ProviderInstanceCritical: { forSeconds: 1 } },
    });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.source, 'consul');
    assert.equal(accepted.body.thresholds.rules.ProviderInstanceCritical.forSeconds, 1);
    assert.equal(accepted.body.thresholds.rules.ModelNoRoute.forSeconds, 60, 'left out: the default');
  });

  it('ignores a bad document written straight to Consul KV, keeping the last good one', async () => {
    const good = (await call('GET', '/admin/alerts/thresholds')).body;
    await agent.api('PUT', `/v1/kv/${THRESHOLDS_KEY}`, '{"repeatIntervalSeconds": -1}');
    const seen = await waitFor('the refusal to show', async () => {
      const current = (await call('GET', '/admin/alerts/thresholds')).body;
      return current.refused ? current : undefined;
    });
    assert.deepEqual(seen.refused.problems, ['repeatIntervalSeconds: must be a number of seconds from 1 to 2592000']);
    assert.equal(seen.modifyIndex, good.modifyIndex);
    assert.equal(seen.thresholds.repeatIntervalSeconds, REPEAT_SECONDS);
    assert.ok(manager.logs.includes('Refused the alerting thresholds'), 'a warning is logged');
    const restored = await call('PUT', '/admin/alerts/thresholds', good.thresholds);
    assert.equal(restored.status, 200);
  });

  it('adds webhooks after validating them, and never shows their URL past the host', async () => {
    const bad = await call('POST', '/admin/alerts/webhooks', { name: 'x', kind: 'xml', url: 'ftp://host/x' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.details, ['kind must be one of json, slack', 'url must be an http(s) URL']);
    const metadata = await call('POST', '/admin/alerts/webhooks', {
      name: 'meta',
      kind: 'json',
      url: 'http://169.254.169.254/latest',
    });
    assert.equal(metadata.status, 400);
    assert.match(metadata.body.message, /^url: points at a cloud metadata address/);

    const json = await call('POST', '/admin/alerts/webhooks', {
      name: 'ops-json',
      kind: 'json',
      url: `${jsonReceiver.origin}${JSON_HOOK_PATH}`,
    });
    assert.equal(json.status, 201, json.text);
    jsonHookId = json.body.id;
    const slack = await call('POST', '/admin/alerts/webhooks', {
      name: 'ops-slack',
      kind: 'slack',
      url: `${slackReceiver.origin}${SLACK_HOOK_PATH}`,
    });
    assert.equal(slack.status, 201);
    slackHookId = slack.body.id;
    assert.equal(
      (await call('POST', '/admin/alerts/webhooks', { name: 'ops-json', kind: 'json', url: jsonReceiver.origin }))
        .status,
      409,
    );

    const listed = await call('GET', '/admin/alerts/webhooks');
    assert.deepEqual(
      listed.body.map((hook: any) => [hook.name, hook.kind, hook.target, hook.enabled]),
      [
        ['ops-json', 'json', jsonReceiver.origin, true],
        ['ops-slack', 'slack', slackReceiver.origin, true],
      ],
    );
    for (const text of [listed.text, json.text, slack.text]) assert.ok(!text.includes('SECRET'), text);
    const stored = await db.query('SELECT url_ciphertext FROM alert_webhooks');
    assert.ok(
      stored.rows.every((row) => !String(row.url_ciphertext).includes('SECRET')),
      'encrypted at rest',
    );
  });

  it('raises ProviderInstanceCritical: pending, then firing, stored, exported and sent to each webhook', async () => {
    await knobs({ error: { kind: 'server' } });
    failedAt = Date.now();
    const firing = await waitFor(
      'ProviderInstanceCritical to fire',
      async () => {
        const alert = criticalAlert((await alertsNow()).active);
        return alert?.state === 'firing' ? alert : undefined;
      },
      30_000,
    );
    const firedAt = Date.now();
    assert.equal(firing.severity, 'critical');
    assert.deepEqual(firing.labels, { provider: 'openai', instance: 'openai-alerts' });
    assert.ok(
      Date.parse(firing.firedAt) - Date.parse(firing.startsAt) >= 1_000,
      'it was pending for its for duration (1 s) first',
    );
    const row = await waitFor('the firing alert in Postgres', async () => {
      const { rows } = await db.query("SELECT * FROM alerts WHERE id = $1 AND state = 'firing'", [firing.id]);
      return rows[0];
    });
    assert.equal(row.alertname, 'ProviderInstanceCritical');
    assert.equal(row.fired_at.toISOString(), firing.firedAt);

    const metrics = await (await fetch(`${manager.url}/metrics`)).text();
    assert.match(
      metrics,
      /switchboard_alerts_active\{[^}]*alertname="ProviderInstanceCritical"[^}]*severity="critical"[^}]*\} 1/,
    );
    assert.match(metrics, /switchboard_alerts_active\{[^}]*alertname="AppHighMemory"[^}]*\} 0/);

    const notice = await waitFor('the JSON webhook to receive it', () => firingNotices(jsonReceiver)[0], 10_000);
    const deliveredAt = Date.now();
    assert.equal(notice.path, JSON_HOOK_PATH);
    assert.equal(notice.body.version, '4');
    assert.equal(notice.body.receiver, 'ops-json');
    assert.equal(notice.body.alerts[0].status, 'firing');
    assert.equal(notice.body.alerts[0].labels.alertname, 'ProviderInstanceCritical');
    assert.equal(notice.body.alerts[0].labels.instance, 'openai-alerts');
    assert.equal(notice.body.alerts[0].startsAt, firing.startsAt);
    assert.equal(notice.body.alerts[0].endsAt, '0001-01-01T00:00:00Z');
    console.log(
      `timings: failure -> firing ${firedAt - failedAt} ms (or sooner); failure -> JSON webhook ${deliveredAt - failedAt} ms`,
    );
    assert.ok(!JSON.stringify(notice.body).includes(PROVIDER_KEY));
  });

  it('retries a receiver that answers 500 until it takes the notification', async () => {
    const slackNotice = await waitFor('the Slack webhook to take it', () => firingNotices(slackReceiver)[0], 15_000);
    assert.equal(slackNotice.path, SLACK_HOOK_PATH);
    assert.match(slackNotice.body.text, /^\[FIRING CRITICAL\] ProviderInstanceCritical: Instance openai-alerts/);
    assert.equal(slackNotice.body.blocks[0].text.type, 'mrkdwn');
    assert.equal(slackReceiver.refused, 2, 'taken at the third attempt, after two answers of 500');
    const delivery = await waitFor('the delivery to be recorded', async () => {
      const alert = criticalAlert((await alertsNow()).active);
      const notice = alert?.notifications?.find((entry: any) => entry.webhookId === slackHookId);
      return notice?.outcome === 'delivered' ? notice : undefined;
    });
    assert.equal(delivery.webhook, 'ops-slack');
    const hook = (await call('GET', '/admin/alerts/webhooks')).body.find((entry: any) => entry.id === slackHookId);
    assert.ok(hook.lastDeliveryAt, 'a success is recorded on the webhook');
    assert.equal(hook.lastError, undefined);
  });

  it('repeats a firing notification once per repeat interval, not more', async () => {
    await waitFor('a repeated notification', () => firingNotices(jsonReceiver).length >= 2, 15_000);
    const [first, second] = firingNotices(jsonReceiver);
    assert.ok(
      second!.at - first!.at >= REPEAT_SECONDS * 1000 - 500,
      `repeated after ${second!.at - first!.at} ms, not before the ${REPEAT_SECONDS} s interval`,
    );
    assert.equal(second!.body.alerts[0].fingerprint, first!.body.alerts[0].fingerprint);
    // A busy machine can only delay notifications, never add any: at most one per interval so far.
    const intervals = Math.floor((Date.now() - first!.at) / (REPEAT_SECONDS * 1000 - 500));
    assert.ok(firingNotices(jsonReceiver).length <= 1 + intervals, `${firingNotices(jsonReceiver).length} notices`);
  });

  it('resolves when the instance recovers, tells each webhook once, and keeps it in the history', async () => {
    await knobs({ error: null });
    const recoveredAt = Date.now();
    const resolved = await waitFor(
      'the alert in the history',
      async () => criticalAlert((await alertsNow()).history),
      30_000,
    );
    assert.equal(resolved.state, 'resolved');
    assert.ok(resolved.endsAt && resolved.firedAt);
    assert.equal(criticalAlert((await alertsNow()).active), undefined);
    const notice = await waitFor(
      'the resolved notification',
      () => jsonReceiver.received.find((entry) => entry.body.status === 'resolved'),
      10_000,
    );
    console.log(`timings: recovery -> resolved notification ${notice.at - recoveredAt} ms`);
    assert.equal(notice.body.alerts[0].endsAt, resolved.endsAt);
    await waitFor('the Slack resolved notification', () =>
      slackReceiver.received.some((entry) => /^\[RESOLVED\]/.test(entry.body.text)),
    );
    const metrics = await (await fetch(`${manager.url}/metrics`)).text();
    assert.match(metrics, /switchboard_alerts_active\{[^}]*alertname="ProviderInstanceCritical"[^}]*\} 0/);
    const { rows } = await db.query('SELECT state, ends_at FROM alerts WHERE id = $1', [resolved.id]);
    assert.deepEqual(
      rows.map((row) => row.state),
      ['resolved'],
    );
    // Absence can only be shown by waiting: longer than a repeat interval, in which a resolved
    // alert wrongly still firing would have been sent again. A slow machine only waits longer.
    const firingCount = firingNotices(jsonReceiver).length;
    await delay(REPEAT_SECONDS * 1000 + 1000);
    assert.equal(jsonReceiver.received.filter((entry) => entry.body.status === 'resolved').length, 1);
    assert.equal(firingNotices(jsonReceiver).length, firingCount);
  });

  it('sends a test notification on request, deletes a webhook, and audits both', async () => {
    const tested = await call('POST', `/admin/alerts/webhooks/${jsonHookId}/test`);
    assert.equal(tested.status, 200, tested.text);
    assert.deepEqual(tested.body, { delivered: true, attempts: 1 });
    assert.ok(
      jsonReceiver.received.some((entry) => entry.body.alerts[0].labels.alertname === 'SwitchboardTestNotification'),
    );
    assert.equal((await call('POST', '/admin/alerts/webhooks/not-an-id/test')).status, 404);
    assert.equal((await call('DELETE', `/admin/alerts/webhooks/${slackHookId}`)).status, 204);
    assert.deepEqual(
      (await call('GET', '/admin/alerts/webhooks')).body.map((hook: any) => hook.name),
      ['ops-json'],
    );
    const audit = (await call('GET', '/admin/audit')).body as { action: string; targetId: string; details: any }[];
    const actions = audit.filter((entry) => entry.action.startsWith('alert')).map((entry) => entry.action);
    for (const action of [
      'alert_webhook.create',
      'alert_webhook.test',
      'alert_webhook.delete',
      'alerting_thresholds.replace',
    ])
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    assert.ok(!JSON.stringify(audit).includes('SECRET'), 'no webhook URL in the audit log');
  });

  it('keeps the history bounded by ?limit= and refuses a bad limit naming it', async () => {
    assert.equal((await call('GET', '/admin/alerts?limit=1')).body.history.length, 1);
    const bad = await call('GET', '/admin/alerts?limit=0');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^limit must be a whole number from 1 to 500/);
    assert.equal((await fetch(`${manager.url}/admin/alerts`)).status, 401);
  });

  it('documents its responses in OpenAPI, and never logs a webhook URL', async () => {
    const document = (await (await fetch(`${manager.url}/docs-json`)).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
      >;
    };
    const schemaOf = (path: string, method: string, status: string) =>
      document.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
    assert.deepEqual(schemaOf('/admin/alerts', 'get', '200'), { $ref: '#/components/schemas/AlertsResponse' });
    assert.deepEqual(schemaOf('/admin/alerts/webhooks', 'post', '201'), { $ref: '#/components/schemas/WebhookView' });
    assert.deepEqual(schemaOf('/admin/alerts/thresholds', 'get', '200'), {
      $ref: '#/components/schemas/ThresholdsInForceView',
    });
    assert.ok(instanceId);
    assert.ok(manager.logs.includes('ProviderInstanceCritical'), 'the alert transitions are logged');
    assert.ok(!manager.logs.includes('SECRET'), 'no webhook URL path in the logs');
  });
});
