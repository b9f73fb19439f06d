import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { BlockingWatch, ConsulClient, type ServiceHealthEntry } from '@switchboard/consul';
import { MANAGED_META_KEY } from '@switchboard/fleet';
import { type ProviderName, providerOfServiceName } from '@switchboard/providers';
import { type InstanceStatus, InstanceTable } from './instance-table.js';
import { describeError } from '@switchboard/kernel';

const SEVERITY: Record<InstanceStatus, number> = { passing: 0, warning: 1, critical: 2 };

/**
 * Follows the Consul service of every registered provider (`ai-provider-<name>`) with blocking
 * queries (a catalog watch finds new provider services) and writes each instance's worst check
 * status and draining tag into the table.
 * While Consul is unreachable the watches back off and the table keeps the last known state.
 */
@Injectable()
export class ConsulHealthFeed implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConsulHealthFeed.name);
  private readonly watches = new Map<string, BlockingWatch<ServiceHealthEntry[]>>();
  private catalogWatch: BlockingWatch<Record<string, string[]>> | undefined;
  /** Last successful answer, and the error since (for readiness and /pools). */
  lastUpdateAt = 0;
  lastError: string | undefined;

  constructor(
    private readonly consul: ConsulClient,
    private readonly table: InstanceTable,
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
        onError: (error, failures, retryInMs) => this.failed(error, failures, retryInMs),
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
        onError: (error, failures, retryInMs) => this.failed(error, failures, retryInMs),
      },
    );
    this.watches.set(name, watch);
    watch.start();
  }

  private apply(provider: ProviderName, entries: ServiceHealthEntry[]): void {
    const now = Date.now();
    const present = new Set<string>();
    for (const entry of entries) {
      const id = entry.Service.Meta?.[MANAGED_META_KEY];
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
    this.lastUpdateAt = now;
    if (this.lastError) this.logger.log('Consul reachable again; provider health is live');
    this.lastError = undefined;
  }

  private failed(error: unknown, failures: number, retryInMs: number): void {
    const message = describeError(error);
    if (failures === 1)
      this.logger.warn(
        `Consul watch failed (${message}); routing on the last known health, retrying in ${retryInMs} ms`,
      );
    this.lastError = message;
  }
}
