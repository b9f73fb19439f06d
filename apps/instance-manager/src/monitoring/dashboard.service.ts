import { Injectable, Optional } from '@nestjs/common';
import { ConsulClient, type ServiceHealthEntry } from '@switchboard/consul';
import type { ProviderInstance } from '@switchboard/database';
import { HealthStore, type InstanceHealthMetrics, InstancesRepository, instanceServiceId } from '@switchboard/fleet';
import { AppConfig, describeError, withDeadline } from '@switchboard/kernel';
import {
  parseProcessReport,
  PROCESS_REPORT_STALE_AFTER,
  PROCESS_REPORTERS_KEY,
  type ProcessReport,
  processReportKey,
  replicaOfReporter,
} from '@switchboard/platform';
import { PROVIDER_NAMES, PROVIDER_SERVICE_PREFIX, providerServiceName } from '@switchboard/providers';
import { RedisService } from '@switchboard/redis';
import {
  histogramQuantile,
  InstanceTraffic,
  RoutingPolicyDocuments,
  TRAFFIC_SLOT_SECONDS,
  TRAFFIC_WINDOW_SECONDS,
  type TrafficWindow,
  TrafficWindowReader,
  windowTotal,
} from '@switchboard/routing';
import type {
  CircuitView,
  ConsulClusterView,
  CoreServiceView,
  DashboardSource,
  FallbackView,
  InstanceMonitorView,
  InstanceSeriesView,
  MonitoringDashboard,
  ProviderMonitorView,
  RoutingPolicyInForce,
  ServiceReplicaView,
  TrafficView,
} from './dashboard.dto.js';
import { ActiveAlertsSource, MonitoringSource } from './monitoring-source.js';

/** A dashboard this young is served again: many consoles polling cost the sources one read. */
const REUSE_FOR_MS = 1_000;
/**
 * Prisma has no query timeout: a partitioned Postgres (packets dropped, nothing refused) would hold
 * the dashboard, and the alert round that reads it, until TCP gives up. Past this the part is
 * named unavailable (the instance rows are the last read).
 */
const POSTGRES_READ_LIMIT_MS = 3_000;
const CHECK_SEVERITY: Record<string, number> = { passing: 0, warning: 1, critical: 2 };

type Unavailable = (source: DashboardSource) => (error: unknown) => undefined;

/**
 * Assembles the monitoring dashboard from what is already kept elsewhere: instance rows
 * (Postgres, last known while it is away), Consul health, probe metrics and the gateways' traffic
 * window and process reports (Redis), the routing policy (Consul KV). Every source is read in one
 * round trip or a handful, whatever the fleet size; a source that fails is named in
 * `sources.unavailable` and its part is left out, the rest is still served.
 */
@Injectable()
export class DashboardService extends MonitoringSource {
  private lastInstances: ProviderInstance[] = [];
  private recent: { at: number; dashboard: Promise<MonitoringDashboard> } | undefined;

  constructor(
    private readonly consul: ConsulClient,
    private readonly instances: InstancesRepository,
    private readonly health: HealthStore,
    private readonly traffic: TrafficWindowReader,
    private readonly policies: RoutingPolicyDocuments,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
    @Optional() private readonly alerts?: ActiveAlertsSource,
  ) {
    super();
  }

  assemble(): Promise<MonitoringDashboard> {
    const now = Date.now();
    if (!this.recent || now - this.recent.at > REUSE_FOR_MS) this.recent = { at: now, dashboard: this.build(now) };
    return this.recent.dashboard;
  }

  /** One instance's traffic slot by slot over the window, for charts; undefined for an unknown instance. */
  async series(instanceId: string): Promise<InstanceSeriesView | undefined> {
    const known = await withDeadline(this.instances.findById(instanceId), POSTGRES_READ_LIMIT_MS, 'instance row').catch(
      () => this.lastInstances.find((row) => row.id === instanceId),
    );
    if (!known) return undefined;
    const window = await this.traffic.read();
    return {
      instanceId,
      slotSeconds: TRAFFIC_SLOT_SECONDS,
      points: window.slots.map(({ start, traffic }) => {
        const slot = traffic.instances.get(instanceId) ?? new InstanceTraffic();
        return {
          at: new Date(start * 1000).toISOString(),
          requests: slot.requests,
          errors: slot.errors,
          p50Ms: histogramQuantile(slot.latency, 0.5),
          p95Ms: histogramQuantile(slot.latency, 0.95),
          ttftP50Ms: histogramQuantile(slot.firstToken, 0.5),
        };
      }),
    };
  }

  private async build(now: number): Promise<MonitoringDashboard> {
    const unavailable: string[] = [];
    const failed: Unavailable = (source) => (error) => {
      unavailable.push(`${source}: ${describeError(error)}`);
      return undefined;
    };
    const rows = await this.instanceRows(failed);
    const [providerChecks, services, health, window, policy, consul, alerts] = await Promise.all([
      this.providerChecks().catch(failed('consul')),
      this.coreServices(failed),
      this.redisRead(() => this.health.readMany(rows.map((row) => row.id))).catch(failed('redis')),
      this.redisRead(() => this.traffic.read(now)).catch(failed('redis')),
      this.policyInForce().catch(failed('consul kv')),
      this.consulCluster(),
      this.alerts &&
        withDeadline(this.alerts.active(), POSTGRES_READ_LIMIT_MS, 'active alerts').catch(failed('alerts')),
    ]);
    const totals = new Map(rows.map((row) => [row.id, window ? windowTotal(window, row.id) : new InstanceTraffic()]));
    const instances = rows.map((row) =>
      this.instanceView(
        row,
        providerChecks?.get(instanceServiceId(row)),
        health?.get(row.id),
        window,
        totals.get(row.id)!,
        now,
      ),
    );
    return {
      generatedAt: new Date(now).toISOString(),
      windowSeconds: TRAFFIC_WINDOW_SECONDS,
      services,
      providers: providerViews(instances, totals),
      instances,
      traffic: trafficView(sumTraffic([...totals.values()])),
      fallbacks: fallbackViews(window),
      routingPolicy: policy ?? { source: 'default', key: this.policies.key, problems: [], policy: {} },
      alerts: alerts ?? [],
      consul,
      sources: { unavailable: [...new Set(unavailable)], gatewayReplicas: window?.replicas.length ?? 0 },
    };
  }

  /** Every instance row, enabled or not; the last list read while Postgres is away. */
  private async instanceRows(failed: Unavailable): Promise<ProviderInstance[]> {
    try {
      this.lastInstances = await withDeadline(this.instances.findMany({}), POSTGRES_READ_LIMIT_MS, 'instance rows');
    } catch (error) {
      failed('postgres')(error);
    }
    return this.lastInstances;
  }

  private redisRead<T>(read: () => Promise<T>): Promise<T> {
    if (!this.redis.available) return Promise.reject(new Error('Redis is not connected'));
    return read();
  }

  /** Consul's checks of every provider instance by service ID: one health query per provider. */
  private async providerChecks(): Promise<Map<string, ServiceHealthEntry>> {
    const entries = await Promise.all(
      PROVIDER_NAMES.map(async (provider) => (await this.consul.healthService(providerServiceName(provider))).body),
    );
    return new Map(entries.flat().map((entry) => [entry.Service.ID, entry]));
  }

  private async coreServices(failed: Unavailable): Promise<CoreServiceView[]> {
    const [catalog, reports] = await Promise.all([
      this.consul.catalogServices().catch(failed('consul')),
      this.redisRead(() => this.processReports()).catch(failed('redis')),
    ]);
    if (!catalog) return [];
    const names = Object.entries(catalog.body)
      .filter(([name, tags]) => tags.includes('switchboard') && !name.startsWith(PROVIDER_SERVICE_PREFIX))
      .map(([name]) => name)
      .sort();
    return Promise.all(
      names.map(async (name) => {
        const entries = (await this.consul.healthService(name).catch(failed('consul')))?.body ?? [];
        const replicas = entries.map((entry) => replicaView(entry, reports ?? []));
        return { name, passing: replicas.filter((replica) => replica.status === 'passing').length, replicas };
      }),
    );
  }

  private async processReports(): Promise<ProcessReport[]> {
    const client = this.redis.client;
    const staleBefore = Date.now() - PROCESS_REPORT_STALE_AFTER * this.config.REPORT_INTERVAL_MS;
    const reporters = await client.zrangebyscore(PROCESS_REPORTERS_KEY, staleBefore, '+inf');
    const pipeline = client.pipeline();
    for (const reporter of reporters) pipeline.hgetall(processReportKey(reporter));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, hash], index) => {
      const report = error ? undefined : parseProcessReport(reporters[index]!, hash as Record<string, string>);
      return report ? [report] : [];
    });
  }

  private async policyInForce(): Promise<RoutingPolicyInForce> {
    const document = await this.policies.read();
    return {
      source: document.source,
      key: document.key,
      version: document.modifyIndex || undefined,
      problems: document.problems,
      policy: document.policy as unknown as Record<string, unknown>,
    };
  }

  private async consulCluster(): Promise<ConsulClusterView> {
    try {
      const [leader, servers] = await Promise.all([this.consul.leader(), this.consul.peers()]);
      const view: ConsulClusterView = { reachable: true, leader: leader || undefined, servers };
      try {
        const autopilot = await this.consul.autopilotHealth();
        view.healthy = autopilot.Healthy;
        view.failureTolerance = autopilot.FailureTolerance;
      } catch (error) {
        // A token without operator:read still shows leader and peers.
        view.error = `autopilot health: ${describeError(error)}`;
      }
      return view;
    } catch (error) {
      return { reachable: false, servers: [], error: describeError(error) };
    }
  }

  private instanceView(
    row: ProviderInstance,
    check: ServiceHealthEntry | undefined,
    probe: InstanceHealthMetrics | undefined,
    window: TrafficWindow | undefined,
    traffic: InstanceTraffic,
    now: number,
  ): InstanceMonitorView {
    const probeCheck = check?.Checks.find((entry) => entry.ServiceID === check.Service.ID);
    return {
      id: row.id,
      name: row.name,
      provider: row.provider,
      models: row.models,
      region: row.region ?? undefined,
      enabled: row.enabled,
      draining: row.draining,
      weight: row.weight,
      priority: row.priority,
      serviceId: instanceServiceId(row),
      health: {
        status: probeCheck?.Status ?? 'unknown',
        score: probe?.score,
        lastProbeAt: probe?.lastProbeAt || undefined,
        output: probeCheck?.Output || undefined,
        latencyEwmaMs: probe?.latencyEwmaMs,
        consecutiveFailures: probe?.consecutiveFailures,
      },
      circuit: circuitView(row.id, window, now),
      inFlight: window?.replicas.reduce((sum, replica) => sum + (replica.inFlight.get(row.id) ?? 0), 0) ?? 0,
      traffic: trafficView(traffic),
    };
  }
}

function replicaView(entry: ServiceHealthEntry, reports: ProcessReport[]): ServiceReplicaView {
  const checks = entry.Checks.map((check) => ({ id: check.CheckID, status: check.Status, output: check.Output }));
  const worst = checks.reduce(
    (status, check) => (CHECK_SEVERITY[check.status]! > CHECK_SEVERITY[status]! ? check.status : status),
    'passing',
  );
  const own = reports.filter((report) => replicaOfReporter(report.reporterId) === entry.Service.ID);
  const view: ServiceReplicaView = {
    id: entry.Service.ID,
    address: `${entry.Service.Address}:${entry.Service.Port}`,
    status: worst,
    checks,
    meta: entry.Service.Meta ?? {},
  };
  if (own.length > 0) {
    // Workers of one replica: their memory adds up, the slowest event loop is the one that matters.
    view.rssBytes = own.reduce((sum, report) => sum + report.rssBytes, 0);
    view.eventLoopDelayMs = Math.max(...own.map((report) => report.eventLoopDelayMs));
    view.reportedAt = new Date(Math.max(...own.map((report) => report.at))).toISOString();
  }
  return view;
}

/** The worst circuit any gateway replica holds for the instance, since the earliest of those. */
function circuitView(instanceId: string, window: TrafficWindow | undefined, now: number): CircuitView {
  const holders = (window?.replicas ?? []).flatMap((replica) => {
    const circuit = replica.circuits.get(instanceId);
    return circuit ? [{ replicaId: replica.replicaId, ...circuit }] : [];
  });
  if (holders.length === 0) return { state: 'closed', replicas: [] };
  const state = holders.some((holder) => holder.state === 'open') ? 'open' : 'half_open';
  const earliest = holders.reduce((first, holder) => (holder.sinceMs < first.sinceMs ? holder : first));
  return {
    state,
    since: new Date(Math.min(earliest.sinceMs, now)).toISOString(),
    replicas: holders.map((holder) => holder.replicaId),
    lastError: earliest.reason,
  };
}

function trafficView(traffic: InstanceTraffic): TrafficView {
  return {
    requests: traffic.requests,
    requestRate: Math.round((traffic.requests / TRAFFIC_WINDOW_SECONDS) * 1000) / 1000,
    errors: traffic.errors,
    errorRate: traffic.requests === 0 ? 0 : Math.round((traffic.errors / traffic.requests) * 10_000) / 10_000,
    p50Ms: histogramQuantile(traffic.latency, 0.5),
    p95Ms: histogramQuantile(traffic.latency, 0.95),
    ttftP50Ms: histogramQuantile(traffic.firstToken, 0.5),
    ttftP95Ms: histogramQuantile(traffic.firstToken, 0.95),
    retries: traffic.retries,
  };
}

function sumTraffic(parts: InstanceTraffic[]): InstanceTraffic {
  const total = new InstanceTraffic();
  for (const part of parts) total.add(part);
  return total;
}

/** Per provider, its enabled instances: how many, how many pass, and their traffic added up. */
function providerViews(instances: InstanceMonitorView[], totals: Map<string, InstanceTraffic>): ProviderMonitorView[] {
  const providers = [...new Set(instances.map((instance) => instance.provider))].sort();
  return providers.map((provider) => {
    const own = instances.filter((instance) => instance.provider === provider && instance.enabled);
    return {
      provider,
      instances: own.length,
      healthy: own.filter((instance) => instance.health.status === 'passing').length,
      traffic: trafficView(sumTraffic(own.map((instance) => totals.get(instance.id)!))),
    };
  });
}

function fallbackViews(window: TrafficWindow | undefined): FallbackView[] {
  const counts = new Map<string, number>();
  for (const { traffic } of window?.slots ?? [])
    for (const [pair, count] of traffic.fallbacks) counts.set(pair, (counts.get(pair) ?? 0) + count);
  return [...counts.entries()].map(([pair, count]) => {
    const [fromProvider = '', toProvider = ''] = pair.split('|');
    return { fromProvider, toProvider, count };
  });
}
