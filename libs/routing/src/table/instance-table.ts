import { Injectable } from '@nestjs/common';
import type { ProviderName, ProviderTarget } from '@switchboard/providers';
import type { MinuteWindow } from '../admission/minute-window.js';
import { poolKey } from '../policy/routing-policy.js';

export type InstanceStatus = 'passing' | 'warning' | 'critical';

/** One provider instance as the gateway knows it, all in memory. */
export interface TableInstance {
  id: string;
  name: string;
  provider: ProviderName;
  models: string[];
  baseUrl: string;
  weight: number;
  priority: number;
  draining: boolean;
  maxConcurrency: number | null;
  /** Requests per minute this replica sends the instance at most (the stored limit; none when null). */
  rateLimitRpm?: number | null;
  timeouts: { requestMs: number; firstTokenMs: number; idleMs: number };
  /** Endpoint and credentials; absent in apps that never call providers. */
  target?: ProviderTarget;
  /** Registered in Consul by its own agent (discovered-instance.ts): its checks are its only health. */
  discovered?: boolean;
  /** The instance's Consul check, as the last watch answer said. */
  consul?: { status: InstanceStatus; draining: boolean; at: number };
  /** The prober's metrics from Redis (hash read or pub/sub event). */
  probe?: { status: InstanceStatus; score: number; latencyEwmaMs: number; at: number };
  /** What this gateway saw itself. */
  observed: {
    inFlight: number;
    latencyEwmaMs?: number;
    coolingUntil: number;
    lastError?: string;
    /** When live traffic last succeeded and last failed on it (epoch ms). */
    lastSuccessAt?: number;
    lastFailureAt?: number;
    /** Attempts sent, for the instance's rate limit. */
    sent?: MinuteWindow;
  };
}

/** The catalog row fields a table instance is made of (from Postgres). */
export type CatalogInstance = Omit<TableInstance, 'consul' | 'probe' | 'observed'>;

const OBSERVED_EWMA_WEIGHT = 0.2;
const MANAGED = 'managed';
/** Live traffic this recent outweighs a control plane that has gone quiet. */
export const TRAFFIC_PROOF_MS = 30_000;
/** A probe result older than this says nothing about now. */
export const PROBE_STALE_MS = 30_000;

/**
 * The healthy-instance table the gateway reads per request. Feeds write into it (the catalog
 * from Postgres, check status from Consul watches, probe metrics from Redis, the gateway's own
 * observations); readers only ever look at memory, so a request never waits on Consul, Redis or
 * Postgres, and the last known state keeps serving while one of them is down.
 */
@Injectable()
export class InstanceTable {
  private readonly instances = new Map<string, TableInstance>();
  private pools = new Map<string, TableInstance[]>();
  private readonly modelProviders = new Map<string, ProviderName[]>();
  private readonly listeners: (() => void)[] = [];
  /** The rows of each catalog source: Postgres (managed), and Consul per provider (discovered). */
  private readonly sources = new Map<string, readonly CatalogInstance[]>();
  /** When the catalog was last loaded (0: never). */
  catalogLoadedAt = 0;
  /**
   * Moves on whenever a feed changes what the table says of an instance's health (catalog, Consul,
   * probes), so a reader that keeps a summary of a pool knows when to work it out again.
   */
  healthVersion = 0;

  /** Replaces the managed catalog (Postgres), keeping what feeds and observations learnt of instances that stay. */
  replaceCatalog(rows: readonly CatalogInstance[]): void {
    this.sources.set(MANAGED, rows);
    this.compose();
    this.catalogLoadedAt = Date.now();
  }

  /** Replaces the instances of one provider that registered themselves in Consul. */
  replaceDiscovered(provider: ProviderName, rows: readonly CatalogInstance[]): void {
    this.sources.set(`discovered:${provider}`, rows);
    this.compose();
  }

  /**
   * The table from its sources: every managed instance, then each discovered one whose endpoint
   * no managed instance already serves (an adopted server must not be routed to twice).
   */
  private compose(): void {
    const managed = this.sources.get(MANAGED) ?? [];
    const managedUrls = new Set(managed.map((row) => row.baseUrl));
    const rows = [...managed];
    for (const [source, list] of this.sources)
      if (source !== MANAGED) for (const row of list) if (!managedUrls.has(row.baseUrl)) rows.push(row);
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.id);
      const existing = this.instances.get(row.id);
      if (existing) Object.assign(existing, row);
      else this.instances.set(row.id, { ...row, observed: { inFlight: 0, coolingUntil: 0 } });
    }
    for (const id of [...this.instances.keys()]) if (!seen.has(id)) this.instances.delete(id);
    this.rebuildPools();
  }

  /** Consul's view of an instance's checks (worst check wins) and its draining tag. */
  setConsulStatus(id: string, status: InstanceStatus, draining: boolean, at = Date.now()): void {
    const instance = this.instances.get(id);
    if (!instance) return;
    instance.consul = { status, draining, at };
    this.healthVersion += 1;
  }

  /** Instances Consul no longer lists (deregistered): forget its view of them. */
  clearConsulStatus(provider: ProviderName, present: ReadonlySet<string>): void {
    for (const instance of this.instances.values()) {
      if (instance.provider === provider && !present.has(instance.id) && instance.consul) {
        instance.consul = undefined;
        this.healthVersion += 1;
      }
    }
  }

  setProbeMetrics(
    id: string,
    metrics: { status: InstanceStatus; score: number; latencyEwmaMs: number },
    at = Date.now(),
  ): void {
    const instance = this.instances.get(id);
    if (!instance) return;
    instance.probe = { ...metrics, at };
    this.healthVersion += 1;
  }

  /** The status routing goes by: the fresher of Consul's check and the prober's event; unknown counts as warning. */
  /**
   * The instance's status: the fresher of its Consul check and its last probe. Critical is
   * overruled only by the gateway's own evidence: when no fresh probe found it failing and live
   * traffic succeeded on it recently (after its last failure), a critical check is the control
   * plane gone quiet (a TTL expired because nobody probed), not the instance, so it stays usable,
   * as warning.
   */
  statusOf(instance: TableInstance, now = Date.now()): InstanceStatus {
    const { consul, probe } = instance;
    const reported =
      consul && probe ? (probe.at > consul.at ? probe.status : consul.status) : (consul?.status ?? probe?.status);
    if (reported === undefined) return 'warning';
    if (reported !== 'critical') return reported;
    // A self-registered server's own check is the probe: its critical is evidence, not silence.
    if (instance.discovered) return 'critical';
    const probeFoundItFailing = probe?.status === 'critical' && now - probe.at < PROBE_STALE_MS;
    return !probeFoundItFailing && this.trafficProvesHealthy(instance, now) ? 'warning' : 'critical';
  }

  private trafficProvesHealthy(instance: TableInstance, now: number): boolean {
    const { lastSuccessAt, lastFailureAt } = instance.observed;
    return (
      lastSuccessAt !== undefined &&
      now - lastSuccessAt < TRAFFIC_PROOF_MS &&
      (lastFailureAt === undefined || lastSuccessAt > lastFailureAt)
    );
  }

  scoreOf(instance: TableInstance): number {
    const status = this.statusOf(instance);
    if (status === 'critical') return 0;
    if (instance.probe && instance.probe.status === status) return instance.probe.score;
    return status === 'passing' ? 1 : 0.5;
  }

  /** The gateway's own latency view when it has one, else the prober's. */
  latencyOf(instance: TableInstance): number {
    return instance.observed.latencyEwmaMs ?? instance.probe?.latencyEwmaMs ?? 0;
  }

  isDraining(instance: TableInstance): boolean {
    return instance.draining || instance.consul?.draining === true;
  }

  observeLatency(instance: TableInstance, latencyMs: number): void {
    const previous = instance.observed.latencyEwmaMs;
    instance.observed.latencyEwmaMs =
      previous === undefined ? latencyMs : OBSERVED_EWMA_WEIGHT * latencyMs + (1 - OBSERVED_EWMA_WEIGHT) * previous;
  }

  /** Keeps an instance out of rotation until a time (a Retry-After it sent). */
  coolDown(instance: TableInstance, untilMs: number): void {
    instance.observed.coolingUntil = Math.max(instance.observed.coolingUntil, untilMs);
  }

  get(id: string): TableInstance | undefined {
    return this.instances.get(id);
  }

  all(): IterableIterator<TableInstance> {
    return this.instances.values();
  }

  /** The instances serving `provider/model` (any health). */
  pool(pool: string): readonly TableInstance[] {
    return this.pools.get(pool) ?? [];
  }

  poolNames(): string[] {
    return [...this.pools.keys()].sort();
  }

  /** Providers with an instance listing the model (for the router's catalog). */
  providersServing(model: string): readonly ProviderName[] {
    return this.modelProviders.get(model) ?? [];
  }

  /** Called after each catalog change. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private rebuildPools(): void {
    const pools = new Map<string, TableInstance[]>();
    this.modelProviders.clear();
    for (const instance of this.instances.values()) {
      for (const model of instance.models) {
        const key = poolKey(instance.provider, model);
        let members = pools.get(key);
        if (!members) {
          members = [];
          pools.set(key, members);
        }
        members.push(instance);
        const providers = this.modelProviders.get(model) ?? [];
        if (!providers.includes(instance.provider)) providers.push(instance.provider);
        this.modelProviders.set(model, providers);
      }
    }
    this.pools = pools;
    this.healthVersion += 1;
    for (const listener of this.listeners) listener();
  }
}
