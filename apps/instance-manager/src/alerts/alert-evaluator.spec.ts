import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceSupervisor } from '@switchboard/fleet';
import type { AppConfig, MetricsService } from '@switchboard/kernel';
import { waitFor } from '../../../../test/support/wait.js';
import type { MonitoringDashboard, TrafficView } from '../monitoring/dashboard.dto.js';
import type { MonitoringSource } from '../monitoring/monitoring-source.js';
import { AlertBook } from './alert-book.js';
import { AlertEvaluator } from './alert-evaluator.js';
import type { AlertRecord } from './alert-lifecycle.js';
import type { AlertNotifier } from './alert-notifier.js';
import { DEFAULT_ALERTING_THRESHOLDS } from './alerting-thresholds.js';
import type { AlertingThresholdsStore } from './alerting-thresholds.store.js';
import type { AlertsRepository } from './alerts.repository.js';

const quiet: TrafficView = { requests: 0, requestRate: 0, errors: 0, errorRate: 0, retries: 0 };
const failing: TrafficView = { ...quiet, requests: 100, errors: 50, errorRate: 0.5 };

/** One passing instance with the given traffic, and the sources the dashboard could not read. */
function dashboard(traffic: TrafficView, unavailable: string[] = []): MonitoringDashboard {
  return {
    generatedAt: new Date().toISOString(),
    windowSeconds: 300,
    services: [],
    providers: [{ provider: 'openai', instances: 1, healthy: 1, traffic }],
    instances: [
      {
        id: 'id-a',
        name: 'a',
        provider: 'openai',
        models: ['gpt-4o'],
        enabled: true,
        draining: false,
        weight: 100,
        priority: 0,
        serviceId: 'ai-provider-openai-a',
        health: { status: 'passing' },
        circuit: { state: 'closed', replicas: [] },
        inFlight: 0,
        traffic,
      },
    ],
    traffic,
    fallbacks: [],
    routingPolicy: { source: 'default', key: 'k', problems: [], policy: {} },
    alerts: [],
    consul: { reachable: true, leader: '127.0.0.1:8300', servers: ['127.0.0.1:8300'] },
    sources: { unavailable, gatewayReplicas: unavailable.length ? 0 : 1 },
  };
}

/** A Postgres that records the alert rows written; with `hang`, no write ever answers. */
class RecordingRepository {
  readonly saved: Pick<AlertRecord, 'id' | 'state'>[] = [];
  constructor(private readonly hang = false) {}
  async loadForLeader() {
    return { alerts: [], deliveries: [] };
  }
  async saveAlert(alert: AlertRecord): Promise<void> {
    if (this.hang) await new Promise(() => {});
    this.saved.push({ id: alert.id, state: alert.state });
  }
  async deleteAlert(): Promise<void> {}
  async saveDelivery(): Promise<void> {}
}

/** An evaluator leading on fakes, evaluating every 10 ms the dashboards given, the last one repeated. */
function leadingEvaluator(repository: RecordingRepository, dashboards: MonitoringDashboard[]) {
  let rounds = 0;
  const source = { assemble: async () => dashboards[Math.min(rounds++, dashboards.length - 1)]! };
  const thresholds = structuredClone(DEFAULT_ALERTING_THRESHOLDS);
  thresholds.rules.InstanceHighErrorRate.forSeconds = 0;
  const book = new AlertBook(repository as unknown as AlertsRepository);
  const notifier = { refreshWebhooks: async () => {}, dispatch: () => {}, owes: () => false, stopAll: () => {} };
  const evaluator = new AlertEvaluator(
    { ALERT_EVAL_INTERVAL_MS: 10 } as AppConfig,
    { isLeader: true } as InstanceSupervisor,
    source as MonitoringSource,
    { thresholds } as AlertingThresholdsStore,
    book,
    notifier as unknown as AlertNotifier,
    { addCollector: () => {} } as unknown as MetricsService,
  );
  evaluator.onApplicationBootstrap();
  return { evaluator, book, rounds: () => rounds };
}

test('while Redis is unavailable a firing error-rate alert stays firing: no resolve, no new alert after', async () => {
  const repository = new RecordingRepository();
  const redisDown = dashboard(quiet, ['redis: Redis is not connected']);
  const { evaluator, book, rounds } = leadingEvaluator(repository, [
    dashboard(failing),
    redisDown,
    redisDown,
    redisDown,
    dashboard(failing),
  ]);
  try {
    await waitFor('rounds past the Redis outage', () => rounds() >= 7, 10_000, 10);
  } finally {
    evaluator.onApplicationShutdown();
  }
  assert.ok(await book.writesSettled(5_000));
  const [open, ...others] = book.openAlerts();
  assert.deepEqual(others, []);
  assert.deepEqual([open?.alertname, open?.state], ['InstanceHighErrorRate', 'firing']);
  assert.deepEqual(
    repository.saved.filter((row) => row.id !== open?.id || row.state !== 'firing'),
    [],
    'one alert, only ever stored firing',
  );
  assert.deepEqual(book.notifiable(), [open], 'no resolved alert owes a notification');
});

test('a Postgres that never answers a write does not hold up the rounds', async () => {
  const { evaluator, rounds } = leadingEvaluator(new RecordingRepository(true), [dashboard(failing)]);
  try {
    await waitFor('rounds going on while the first write hangs', () => rounds() >= 3, 10_000, 10);
    assert.ok(evaluator.status.lastEvaluationAt, 'the rounds complete');
  } finally {
    evaluator.onApplicationShutdown();
  }
});
