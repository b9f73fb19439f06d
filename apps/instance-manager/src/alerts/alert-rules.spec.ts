import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceMonitorView, MonitoringDashboard, TrafficView } from '../monitoring/dashboard.dto.js';
import { evaluateRules, rulesMissingSources } from './alert-rules.js';
import { type AlertingThresholds, DEFAULT_ALERTING_THRESHOLDS } from './alerting-thresholds.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const quiet: TrafficView = { requests: 0, requestRate: 0, errors: 0, errorRate: 0, retries: 0 };

function instance(name: string, overrides: Partial<InstanceMonitorView> = {}): InstanceMonitorView {
  return {
    id: `id-${name}`,
    name,
    provider: 'openai',
    models: ['gpt-4o'],
    enabled: true,
    draining: false,
    weight: 100,
    priority: 0,
    serviceId: `ai-provider-openai-${name}`,
    health: { status: 'passing' },
    circuit: { state: 'closed', replicas: [] },
    inFlight: 0,
    traffic: quiet,
    ...overrides,
  };
}

function dashboard(overrides: Partial<MonitoringDashboard> = {}): MonitoringDashboard {
  const instances = overrides.instances ?? [instance('a')];
  const providers = [...new Set(instances.map((entry) => entry.provider))].map((provider) => {
    const enabled = instances.filter((entry) => entry.provider === provider && entry.enabled);
    const healthy = enabled.filter((entry) => entry.health.status === 'passing').length;
    return { provider, instances: enabled.length, healthy, traffic: quiet };
  });
  return {
    generatedAt: NOW.toISOString(),
    windowSeconds: 300,
    services: [
      {
        name: 'api-gateway',
        passing: 1,
        replicas: [{ id: 'api-gateway-1', address: '127.0.0.1:8000', status: 'passing', checks: [], meta: {} }],
      },
    ],
    providers,
    instances,
    traffic: quiet,
    fallbacks: [],
    routingPolicy: { source: 'default', key: 'k', problems: [], policy: {} },
    alerts: [],
    consul: { reachable: true, leader: '127.0.0.1:8300', servers: ['127.0.0.1:8300'] },
    sources: { unavailable: [], gatewayReplicas: 1 },
    ...overrides,
  };
}

const names = (view: MonitoringDashboard, thresholds: AlertingThresholds = DEFAULT_ALERTING_THRESHOLDS) =>
  evaluateRules(view, thresholds, NOW).map((condition) => condition.alertname);

test('a healthy system raises nothing', () => {
  assert.deepEqual(names(dashboard()), []);
});

test('a critical enabled instance raises ProviderInstanceCritical, and its provider and model lose their route', () => {
  const conditions = evaluateRules(
    dashboard({
      instances: [instance('a', { health: { status: 'critical', output: 'HTTP 500', consecutiveFailures: 3 } })],
    }),
    DEFAULT_ALERTING_THRESHOLDS,
    NOW,
  );
  const critical = conditions.find((condition) => condition.alertname === 'ProviderInstanceCritical');
  assert.deepEqual(critical && { labels: critical.labels, severity: critical.severity, value: critical.value }, {
    labels: { provider: 'openai', instance: 'a' },
    severity: 'critical',
    value: 3,
  });
  assert.equal(critical?.description, 'HTTP 500');
  assert.deepEqual(conditions.map((condition) => condition.alertname).sort(), [
    'ModelNoRoute',
    'ProviderInstanceCritical',
    'ProviderNoHealthyInstance',
  ]);
});

test('a disabled critical instance raises nothing; a second passing one keeps the provider and model routed', () => {
  assert.deepEqual(
    names(dashboard({ instances: [instance('a', { enabled: false, health: { status: 'critical' } })] })),
    [],
  );
  assert.deepEqual(
    names(dashboard({ instances: [instance('a', { health: { status: 'critical' } }), instance('b')] })),
    ['ProviderInstanceCritical'],
  );
});

test('unknown health is not evidence: no provider or route alert while checks are unknown', () => {
  assert.deepEqual(names(dashboard({ instances: [instance('a', { health: { status: 'unknown' } })] })), []);
});

test('ModelNoRoute is per pool: one model losing its only instance, and not models only the policy names', () => {
  const view = dashboard({
    instances: [
      instance('a', { models: ['gpt-4o', 'gpt-4o-mini'] }),
      instance('b', { models: ['gpt-4o'], health: { status: 'critical' } }),
      instance('c', { models: ['o3'], health: { status: 'critical' } }),
    ],
    routingPolicy: {
      source: 'consul',
      key: 'k',
      problems: [],
      policy: { tiers: { fast: ['openai/gpt-4.1-nano', 'claude/claude-haiku-4-5'] } },
    },
  });
  const routes = evaluateRules(view, DEFAULT_ALERTING_THRESHOLDS, NOW).filter(
    (condition) => condition.alertname === 'ModelNoRoute',
  );
  assert.deepEqual(
    routes.map((condition) => condition.labels),
    [{ provider: 'openai', model: 'o3' }],
  );
});

test('a draining instance or an open circuit gives no route', () => {
  assert.deepEqual(names(dashboard({ instances: [instance('a', { draining: true })] })), ['ModelNoRoute']);
  const open = instance('a', { circuit: { state: 'open', since: NOW.toISOString(), replicas: ['gw-1'] } });
  assert.deepEqual(names(dashboard({ instances: [open] })), ['ModelNoRoute']);
});

test('InstanceHighErrorRate needs both the rate and the minimum number of requests', () => {
  const traffic = (requests: number, errors: number): TrafficView => ({
    ...quiet,
    requests,
    errors,
    errorRate: errors / requests,
  });
  assert.deepEqual(names(dashboard({ instances: [instance('a', { traffic: traffic(10, 10) })] })), []);
  assert.deepEqual(names(dashboard({ instances: [instance('a', { traffic: traffic(100, 20) })] })), []);
  const [condition] = evaluateRules(
    dashboard({ instances: [instance('a', { traffic: traffic(100, 21) })] }),
    DEFAULT_ALERTING_THRESHOLDS,
    NOW,
  );
  assert.equal(condition?.alertname, 'InstanceHighErrorRate');
  assert.equal(condition?.value, 0.21);
});

test('InstanceHighLatency compares p95 with the threshold when there were enough requests', () => {
  const slow = { ...quiet, requests: 50, p95Ms: 25_000 };
  assert.deepEqual(names(dashboard({ instances: [instance('a', { traffic: slow })] })), ['InstanceHighLatency']);
  assert.deepEqual(names(dashboard({ instances: [instance('a', { traffic: { ...slow, p95Ms: 19_000 } })] })), []);
});

test('CircuitOpenTooLong fires only past openSeconds', () => {
  const openSince = (seconds: number) =>
    instance('a', {
      circuit: { state: 'open', since: new Date(NOW.getTime() - seconds * 1000).toISOString(), replicas: ['gw'] },
    });
  const withTwo = (first: InstanceMonitorView) => dashboard({ instances: [first, instance('b')] });
  assert.deepEqual(names(withTwo(openSince(299))), []);
  assert.deepEqual(names(withTwo(openSince(301))), ['CircuitOpenTooLong']);
});

test('CoreServiceDown, ConsulNoLeader, AppHighMemory and AppEventLoopLag read services and Consul', () => {
  const replica = { id: 'gw-1', address: '127.0.0.1:8000', status: 'critical', checks: [], meta: {} };
  assert.deepEqual(names(dashboard({ services: [{ name: 'api-gateway', passing: 0, replicas: [replica] }] })), [
    'CoreServiceDown',
  ]);
  assert.deepEqual(names(dashboard({ consul: { reachable: true, servers: [] } })), ['ConsulNoLeader']);
  assert.deepEqual(names(dashboard({ consul: { reachable: false, servers: [], error: 'ECONNREFUSED' } })), [
    'ConsulNoLeader',
  ]);
  const heavy = { ...replica, status: 'passing', rssBytes: 2 * 1024 ** 3, eventLoopDelayMs: 900 };
  const conditions = evaluateRules(
    dashboard({ services: [{ name: 'api-gateway', passing: 1, replicas: [heavy] }] }),
    DEFAULT_ALERTING_THRESHOLDS,
    NOW,
  );
  assert.deepEqual(
    conditions.map((condition) => [condition.alertname, condition.labels]),
    [
      ['AppHighMemory', { service: 'api-gateway', replica: 'gw-1' }],
      ['AppEventLoopLag', { service: 'api-gateway', replica: 'gw-1' }],
    ],
  );
});

test('a disabled rule raises nothing', () => {
  const thresholds = structuredClone(DEFAULT_ALERTING_THRESHOLDS);
  thresholds.rules.ConsulNoLeader.enabled = false;
  assert.deepEqual(names(dashboard({ consul: { reachable: false, servers: [] } }), thresholds), []);
});

test('ProviderNoHealthyInstance says how many instances fail and how many merely warn', () => {
  const [condition] = evaluateRules(
    dashboard({
      instances: [
        instance('a', { health: { status: 'warning' } }),
        instance('b', { health: { status: 'critical' } }),
        instance('c', { health: { status: 'warning' } }),
      ],
    }),
    DEFAULT_ALERTING_THRESHOLDS,
    NOW,
  ).filter((found) => found.alertname === 'ProviderNoHealthyInstance');
  assert.equal(
    condition?.summary,
    'No healthy instance of openai: none of its 3 enabled instances passes (1 critical, 2 warning)',
  );
});

test('with Consul unavailable its rules are not judged, and ConsulNoLeader fires', () => {
  // What the dashboard shows then: every check unknown, no core services, the agent unreachable.
  const consulDown = dashboard({
    instances: [instance('a', { health: { status: 'unknown' } })],
    services: [],
    consul: { reachable: false, servers: [], error: 'ECONNREFUSED' },
    sources: { unavailable: ['consul: connect ECONNREFUSED 127.0.0.1:8500'], gatewayReplicas: 1 },
  });
  assert.deepEqual([...rulesMissingSources(consulDown)].sort(), [
    'AppEventLoopLag',
    'AppHighMemory',
    'CoreServiceDown',
    'ModelNoRoute',
    'ProviderInstanceCritical',
    'ProviderNoHealthyInstance',
  ]);
  assert.deepEqual(names(consulDown), ['ConsulNoLeader']);
});

test('with Redis unavailable its rules are not judged, and the rules on Consul health still are', () => {
  const failing = { ...quiet, requests: 100, errors: 50, errorRate: 0.5 };
  const redisDown = dashboard({
    instances: [instance('a', { health: { status: 'critical' }, traffic: failing })],
    sources: { unavailable: ['redis: Redis is not connected', 'consul kv: timeout'], gatewayReplicas: 0 },
  });
  assert.deepEqual([...rulesMissingSources(redisDown)].sort(), [
    'AppEventLoopLag',
    'AppHighMemory',
    'CircuitOpenTooLong',
    'InstanceHighErrorRate',
    'InstanceHighLatency',
    'ModelNoRoute',
  ]);
  assert.deepEqual(names(redisDown), ['ProviderInstanceCritical', 'ProviderNoHealthyInstance']);
});
