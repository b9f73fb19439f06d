import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { BlockingWatch, ConsulClient, type ServiceHealthEntry } from '@switchboard/consul';
import { MANAGED_META_KEY, providerTarget } from '@switchboard/fleet';
import { type ProviderName, type ProviderTarget, providerOfServiceName } from '@switchboard/providers';
import { type CatalogInstance, type InstanceStatus, InstanceTable } from './instance-table.js';
import { AppConfig, describeError, readSecretFromEnvironment } from '@switchboard/kernel';
import {
  DISCOVERED_ID_PREFIX,
  type DiscoveredInstance,
  discoveredInstance,
  discoveredKeyProblem,
  offersDiscovery,
} from './discovered-instance.js';

const SEVERITY: Record<InstanceStatus, number> = { passing: 0, warning: 1, critical: 2 };

/**
 * Follows the Consul service of every registered provider (`ai-provider-<name>`) with blocking
 * queries (a catalog watch finds new provider services) and writes each instance's worst check
 * status and draining tag into the table. Services that registered themselves with
 * `switchboard_models` meta (discovered-instance.ts) join the table from here, with their own checks.
 * While Consul is unreachable the watches back off and the table keeps the last known state.
 */
@Injectable()
export class ConsulHealthFeed implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConsulHealthFeed.name);
  private readonly watches = new Map<string, BlockingWatch<ServiceHealthEntry[]>>();
  private catalogWatch: BlockingWatch<Record<string, string[]>> | undefined;
  /** The error since the last successful answer of every watch (for readiness). */
  lastError: string | undefined;
  /** Watches whose last query failed: lastError stands until every one has answered again. */
  private readonly failing = new Set<string>();
  /** What each provider's discovered instances last were, so an unchanged answer rebuilds nothing. */
  private readonly discoveredSignature = new Map<ProviderName, string>();
  /** Why a discovered service is not routed to, by provider and service: each reason is logged once while it lasts. */
  private readonly discoveryProblems = new Map<ProviderName, Map<string, string>>();

  constructor(
    private readonly consul: ConsulClient,
    private readonly table: InstanceTable,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.catalogWatch = new BlockingWatch(
      (index, waitSeconds, signal) => this.consul.catalogServices({ index, waitSeconds, signal }),
      {
        waitSeconds: 30,
        onChange: (services) => {
          for (const name of Object.keys(services)) {
            const provider = providerOfServiceName(name);
            if (provider) this.watchService(name, provider);
          }
        },
        onError: (error, failures, retryInMs) => this.failed('catalog', error, failures, retryInMs),
        onRecovered: () => this.recovered('catalog'),
      },
    );
    this.catalogWatch.start();
  }

  /** Before the Consul client closes: its close waits for in-flight blocking queries. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.catalogWatch?.stop(), ...[...this.watches.values()].map((watch) => watch.stop())]);
  }

  private watchService(name: string, provider: ProviderName): void {
    if (this.watches.has(name)) return;
    const watch = new BlockingWatch<ServiceHealthEntry[]>(
      (index, waitSeconds, signal) => this.consul.healthService(name, { index, waitSeconds, signal }),
      {
        waitSeconds: 30,
        backoffMaxMs: 5_000,
        onChange: (entries) => this.apply(provider, entries),
        onError: (error, failures, retryInMs) => this.failed(name, error, failures, retryInMs),
        onRecovered: () => this.recovered(name),
      },
    );
    this.watches.set(name, watch);
    watch.start();
  }

  private apply(provider: ProviderName, entries: ServiceHealthEntry[]): void {
    const now = Date.now();
    this.applyDiscovered(provider, entries);
    const present = new Set<string>();
    for (const entry of entries) {
      const id = entry.Service.Meta?.[MANAGED_META_KEY] ?? this.discoveredId(entry);
      if (!id) continue;
      present.add(id);
      let worst: InstanceStatus = 'passing';
      for (const check of entry.Checks ?? []) {
        const status =
          (['passing', 'warning', 'critical'] as const).find((known) => known === check.Status) ?? 'critical';
        if (SEVERITY[status] > SEVERITY[worst]) worst = status;
      }
      this.table.setConsulStatus(id, worst, (entry.Service.Tags ?? []).includes('draining'), now);
    }
    this.table.clearConsulStatus(provider, present);
  }

  private discoveredId(entry: ServiceHealthEntry): string | undefined {
    return offersDiscovery(entry, MANAGED_META_KEY) ? `${DISCOVERED_ID_PREFIX}${entry.Service.ID}` : undefined;
  }

  /** Puts the provider's self-registered services into the table, when they changed. */
  private applyDiscovered(provider: ProviderName, entries: ServiceHealthEntry[]): void {
    const rows: CatalogInstance[] = [];
    // Only the problems of this answer are kept: services gone take theirs along, and one that
    // clears and comes back is logged again.
    const previous = this.discoveryProblems.get(provider);
    const problems = new Map<string, string>();
    const note = (serviceId: string, problem: string) => {
      problems.set(serviceId, problem);
      if (previous?.get(serviceId) !== problem) this.logger.warn(problem);
    };
    for (const entry of entries) {
      if (!offersDiscovery(entry, MANAGED_META_KEY)) continue;
      const discovery = discoveredInstance(entry, provider);
      if ('problem' in discovery) {
        note(entry.Service.ID, discovery.problem);
        continue;
      }
      const target = this.config.uses.credentials ? this.target(discovery.instance, note) : undefined;
      if (this.config.uses.credentials && !target) continue;
      rows.push({ ...discovery.instance.row, target });
    }
    if (problems.size > 0) this.discoveryProblems.set(provider, problems);
    else this.discoveryProblems.delete(provider);
    const signature = JSON.stringify(rows);
    if ((this.discoveredSignature.get(provider) ?? '[]') === signature) return;
    this.discoveredSignature.set(provider, signature);
    this.table.replaceDiscovered(provider, rows);
    this.logger.log(
      `Discovered ${provider} instances in Consul: ${rows.map((row) => `${row.name} (${row.models.join(', ')})`).join('; ') || 'none'}`,
    );
  }

  /**
   * A discovered server's key comes from the environment variable its meta names (none when it names
   * none), and only from one under DISCOVERED_KEY_ENV_PREFIX: a registration in Consul must never
   * be able to send a managed instance's key to an address of its choosing.
   */
  private target(
    instance: DiscoveredInstance,
    note: (serviceId: string, problem: string) => void,
  ): ProviderTarget | undefined {
    const { row, apiKeyEnv } = instance;
    if (!apiKeyEnv) return providerTarget({ baseUrl: row.baseUrl, extraHeaders: {} }, '');
    const problem = discoveredKeyProblem(apiKeyEnv, this.config);
    const apiKey = problem ? undefined : readSecretFromEnvironment(apiKeyEnv);
    if (apiKey === undefined) {
      note(
        row.name,
        `${row.name} gets no traffic from this app: ${problem ?? `environment variable ${apiKeyEnv} is not set in this app's environment`}`,
      );
      return undefined;
    }
    return providerTarget({ baseUrl: row.baseUrl, extraHeaders: {} }, apiKey);
  }

  /**
   * A watch answered again. Cleared here rather than on the next change: with nothing changing in
   * Consul, readiness would otherwise say "failing" for as long as the fleet stays as it is.
   */
  private recovered(watch: string): void {
    this.failing.delete(watch);
    if (this.failing.size > 0 || !this.lastError) return;
    this.logger.log('Consul reachable again; provider health is live');
    this.lastError = undefined;
  }

  private failed(watch: string, error: unknown, failures: number, retryInMs: number): void {
    this.failing.add(watch);
    const message = describeError(error);
    if (failures === 1)
      this.logger.warn(
        `Consul watch failed (${message}); routing on the last known health, retrying in ${retryInMs} ms`,
      );
    this.lastError = message;
  }
}
