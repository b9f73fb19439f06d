import type {
  DashboardSource,
  InstanceMonitorView,
  MonitoringDashboard,
  ServiceReplicaView,
} from '../monitoring/dashboard.dto.js';
import { ALERT_NAMES, ALERT_RULES, type AlertingThresholds, type AlertName } from './alerting-thresholds.js';

/** One condition a rule sees now: an alert is this plus its lifecycle (pending, firing, resolved). */
export interface AlertCondition {
  alertname: AlertName;
  severity: string;
  /** Low-cardinality and never secret: provider, instance name, model, service, replica ID. */
  labels: Record<string, string>;
  summary: string;
  description?: string;
  value?: number;
}

type Rule<N extends AlertName> = (
  dashboard: MonitoringDashboard,
  settings: AlertingThresholds['rules'][N],
  now: Date,
) => Omit<AlertCondition, 'alertname' | 'severity'>[];

/** Check outputs come from probes and may be long; a notification needs their gist only. */
const MAX_DESCRIPTION = 500;
const clip = (text: string | undefined) =>
  text && text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text;

const instanceLabels = (instance: InstanceMonitorView) => ({ provider: instance.provider, instance: instance.name });
const enabledInstances = (dashboard: MonitoringDashboard) => dashboard.instances.filter((instance) => instance.enabled);

/**
 * An instance the data plane may send a request to: enabled, not draining, circuit not open, and
 * passing, or unknown. Silence is not evidence (a Consul outage leaves every check unknown while
 * the gateways serve on), so only instances seen failing take a route away.
 */
const routable = (instance: InstanceMonitorView) =>
  instance.enabled &&
  !instance.draining &&
  instance.circuit.state !== 'open' &&
  (instance.health.status === 'passing' || instance.health.status === 'unknown');

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

const providerInstanceCritical: Rule<'ProviderInstanceCritical'> = (dashboard) =>
  enabledInstances(dashboard)
    .filter((instance) => instance.health.status === 'critical')
    .map((instance) => ({
      labels: instanceLabels(instance),
      summary: `Instance ${instance.name} (${instance.provider}) fails its health check`,
      description: clip(instance.health.output),
      value: instance.health.consecutiveFailures,
    }));

/** "2 critical, 1 warning": how many instances are in each check status, worst first. */
function statusCounts(instances: InstanceMonitorView[]): string {
  const counts = new Map<string, number>();
  for (const instance of instances) counts.set(instance.health.status, (counts.get(instance.health.status) ?? 0) + 1);
  const order = ['critical', 'warning', 'maintenance'];
  const rank = (status: string) => (order.includes(status) ? order.indexOf(status) : order.length);
  return [...counts]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
}

/**
 * As for routes, an instance whose health is unknown is not evidence that the provider is down.
 * Warning counts as not passing here (the provider has no healthy instance), so the summary says
 * how many fail and how many merely warn.
 */
const providerNoHealthyInstance: Rule<'ProviderNoHealthyInstance'> = (dashboard) =>
  dashboard.providers.flatMap((provider) => {
    const own = enabledInstances(dashboard).filter((instance) => instance.provider === provider.provider);
    if (provider.instances === 0 || provider.healthy > 0) return [];
    if (own.some((instance) => instance.health.status === 'unknown')) return [];
    return [
      {
        labels: { provider: provider.provider },
        summary: `No healthy instance of ${provider.provider}: none of its ${provider.instances} enabled instances passes (${statusCounts(own)})`,
        value: provider.instances,
      },
    ];
  });

/**
 * The pools (provider/model) the enabled instances serve. Models the routing policy names that no
 * instance was ever configured for are left out: the gateway moves on to the policy's next
 * candidate, and such a gap is configuration (the dashboard shows the policy), not a lost route.
 */
function servedPools(dashboard: MonitoringDashboard): Map<string, { provider: string; model: string }> {
  const pools = new Map<string, { provider: string; model: string }>();
  for (const instance of enabledInstances(dashboard))
    for (const model of instance.models)
      pools.set(`${instance.provider}/${model}`, { provider: instance.provider, model });
  return pools;
}

const modelNoRoute: Rule<'ModelNoRoute'> = (dashboard) => {
  const served = new Set(
    dashboard.instances
      .filter(routable)
      .flatMap((instance) => instance.models.map((model) => `${instance.provider}/${model}`)),
  );
  return [...servedPools(dashboard)]
    .filter(([pool]) => !served.has(pool))
    .map(([pool, { provider, model }]) => ({
      labels: { provider, model },
      summary: `No instance can serve ${pool} now: every one is failing, draining or has its circuit open`,
    }));
};

const instanceHighErrorRate: Rule<'InstanceHighErrorRate'> = (dashboard, settings) =>
  enabledInstances(dashboard)
    .filter(
      (instance) =>
        instance.traffic.requests >= settings.minRequests && instance.traffic.errorRate > settings.errorRate,
    )
    .map((instance) => ({
      labels: instanceLabels(instance),
      summary: `Instance ${instance.name} fails ${percent(instance.traffic.errorRate)} of its requests`,
      description: `${instance.traffic.errors} of ${instance.traffic.requests} attempts failed over the last ${dashboard.windowSeconds} s (threshold ${percent(settings.errorRate)})`,
      value: instance.traffic.errorRate,
    }));

const instanceHighLatency: Rule<'InstanceHighLatency'> = (dashboard, settings) =>
  enabledInstances(dashboard)
    .filter(
      (instance) =>
        instance.traffic.requests >= settings.minRequests &&
        instance.traffic.p95Ms !== undefined &&
        instance.traffic.p95Ms > settings.p95Ms,
    )
    .map((instance) => ({
      labels: instanceLabels(instance),
      summary: `Instance ${instance.name} answers slowly: p95 ${Math.round(instance.traffic.p95Ms!)} ms`,
      description: `p95 over the last ${dashboard.windowSeconds} s is above ${settings.p95Ms} ms`,
      value: instance.traffic.p95Ms,
    }));

const circuitOpenTooLong: Rule<'CircuitOpenTooLong'> = (dashboard, settings, now) =>
  enabledInstances(dashboard).flatMap((instance) => {
    const since = instance.circuit.since ? Date.parse(instance.circuit.since) : Number.NaN;
    if (instance.circuit.state !== 'open' || Number.isNaN(since)) return [];
    const openSeconds = (now.getTime() - since) / 1000;
    if (openSeconds <= settings.openSeconds) return [];
    return [
      {
        labels: instanceLabels(instance),
        summary: `The circuit of ${instance.name} has been open for ${Math.round(openSeconds)} s`,
        description: clip(instance.circuit.lastError),
        value: openSeconds,
      },
    ];
  });

const coreServiceDown: Rule<'CoreServiceDown'> = (dashboard) =>
  dashboard.services
    .filter((service) => service.passing === 0)
    .map((service) => ({
      labels: { service: service.name },
      summary: `No replica of ${service.name} passes its checks (${service.replicas.length} registered)`,
      value: service.replicas.length,
    }));

const consulNoLeader: Rule<'ConsulNoLeader'> = (dashboard) => {
  const { consul } = dashboard;
  if (consul.reachable && consul.leader) return [];
  return [
    {
      labels: {},
      summary: consul.reachable ? 'The Consul cluster has no leader' : 'The local Consul agent does not answer',
      description: clip(consul.error),
    },
  ];
};

/** Each replica's process figure above a threshold, labelled with its service and Consul service ID. */
function replicasAbove(
  dashboard: MonitoringDashboard,
  figure: (replica: ServiceReplicaView) => number | undefined,
  threshold: number,
  describe: (service: string, value: number) => string,
): Omit<AlertCondition, 'alertname' | 'severity'>[] {
  return dashboard.services.flatMap((service) =>
    service.replicas.flatMap((replica) => {
      const value = figure(replica);
      if (value === undefined || value <= threshold) return [];
      return [
        { labels: { service: service.name, replica: replica.id }, summary: describe(service.name, value), value },
      ];
    }),
  );
}

const appHighMemory: Rule<'AppHighMemory'> = (dashboard, settings) =>
  replicasAbove(
    dashboard,
    (replica) => replica.rssBytes,
    settings.rssBytes,
    (service, value) => `A ${service} replica uses ${Math.round(value / 1_048_576)} MiB of memory`,
  );

const appEventLoopLag: Rule<'AppEventLoopLag'> = (dashboard, settings) =>
  replicasAbove(
    dashboard,
    (replica) => replica.eventLoopDelayMs,
    settings.eventLoopDelayMs,
    (service, value) => `A ${service} replica's event loop lags ${Math.round(value)} ms (p99)`,
  );

const RULES: { [N in AlertName]: Rule<N> } = {
  ProviderInstanceCritical: providerInstanceCritical,
  ProviderNoHealthyInstance: providerNoHealthyInstance,
  ModelNoRoute: modelNoRoute,
  InstanceHighErrorRate: instanceHighErrorRate,
  InstanceHighLatency: instanceHighLatency,
  CircuitOpenTooLong: circuitOpenTooLong,
  CoreServiceDown: coreServiceDown,
  ConsulNoLeader: consulNoLeader,
  AppHighMemory: appHighMemory,
  AppEventLoopLag: appEventLoopLag,
};

/**
 * The dashboard sources each rule reads. While one is unavailable the dashboard leaves its part
 * empty (Redis down: no traffic, circuits or process reports; Consul down: every check unknown, no
 * services), which reads as "the condition is gone": such a rule is not judged that round and its
 * open alerts are carried over as they are. Postgres is not listed: the dashboard keeps the last
 * instance rows it read. ConsulNoLeader reads Consul's own answer and fires when none comes.
 */
export const RULE_SOURCES: { readonly [N in AlertName]: readonly DashboardSource[] } = {
  ProviderInstanceCritical: ['consul'],
  ProviderNoHealthyInstance: ['consul'],
  ModelNoRoute: ['consul', 'redis'],
  InstanceHighErrorRate: ['redis'],
  InstanceHighLatency: ['redis'],
  CircuitOpenTooLong: ['redis'],
  CoreServiceDown: ['consul'],
  ConsulNoLeader: [],
  AppHighMemory: ['consul', 'redis'],
  AppEventLoopLag: ['consul', 'redis'],
};

/** The rules that cannot be judged on this dashboard: a source they read is listed as unavailable. */
export function rulesMissingSources(dashboard: MonitoringDashboard): Set<AlertName> {
  const unavailable = new Set(dashboard.sources.unavailable.map((entry) => entry.split(':', 1)[0]));
  return new Set(ALERT_NAMES.filter((alertname) => RULE_SOURCES[alertname].some((source) => unavailable.has(source))));
}

/**
 * Every condition the enabled rules see in this dashboard, leaving out the rules that cannot be
 * judged on it (rulesMissingSources). Pure: time is passed in.
 */
export function evaluateRules(
  dashboard: MonitoringDashboard,
  thresholds: AlertingThresholds,
  now: Date,
): AlertCondition[] {
  const missingSources = rulesMissingSources(dashboard);
  return ALERT_NAMES.flatMap((alertname) => {
    const settings = thresholds.rules[alertname];
    if (!settings.enabled || missingSources.has(alertname)) return [];
    const rule = RULES[alertname] as Rule<typeof alertname>;
    return rule(dashboard, settings as never, now).map((condition) => ({
      alertname,
      severity: ALERT_RULES[alertname],
      ...condition,
    }));
  });
}
