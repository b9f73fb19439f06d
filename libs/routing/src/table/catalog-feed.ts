import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig, describeError } from '@switchboard/kernel';
import type { ProviderInstance } from '@switchboard/database';
import { InstanceCredentials, InstancesRepository, providerTarget } from '@switchboard/fleet';
import type { ProviderName, ProviderTarget } from '@switchboard/providers';
import { type CatalogInstance, InstanceTable } from './instance-table.js';

/**
 * Loads the enabled provider instances from Postgres (the source of truth) into the table at
 * start-up and every CATALOG_REFRESH_MS, off the request path. Credentials are decrypted here,
 * held in memory only, in apps that call providers. A failed load keeps the last catalog.
 */
@Injectable()
export class CatalogFeed implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CatalogFeed.name);
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  /** Why an instance has no usable key, by id: each reason is logged once, not on every load. */
  private readonly keyProblems = new Map<string, string>();
  lastError: string | undefined;

  constructor(
    private readonly instances: InstancesRepository,
    private readonly table: InstanceTable,
    private readonly config: AppConfig,
    private readonly credentials: InstanceCredentials,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.CATALOG_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Reloads now (deduplicated when a load is already running). */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    try {
      const rows = await this.instances.findMany({ enabled: true });
      this.table.replaceCatalog(rows.map((row) => this.toCatalog(row)));
      const ids = new Set(rows.map((row) => row.id));
      for (const id of this.keyProblems.keys()) if (!ids.has(id)) this.keyProblems.delete(id);
      if (this.lastError) this.logger.log('Instance catalog reloaded from Postgres again');
      this.lastError = undefined;
    } catch (error) {
      const message = describeError(error);
      if (!this.lastError)
        this.logger.warn(`Could not load the instance catalog (${message}); serving the last known one`);
      this.lastError = message;
    }
  }

  private toCatalog(row: ProviderInstance): CatalogInstance {
    return {
      id: row.id,
      name: row.name,
      provider: row.provider as ProviderName,
      models: row.models,
      baseUrl: row.baseUrl,
      weight: row.weight,
      priority: row.priority,
      draining: row.draining,
      // Caps hold per gateway replica; a replica's workers each take their share.
      maxConcurrency: row.maxConcurrency === null ? null : this.config.shareOf(row.maxConcurrency),
      rateLimitRpm: row.rateLimitRpm === null ? null : this.config.shareOf(row.rateLimitRpm),
      timeouts: { requestMs: row.requestTimeoutMs, firstTokenMs: row.firstTokenTimeoutMs, idleMs: row.idleTimeoutMs },
      target: this.config.uses.credentials ? this.target(row) : undefined,
    };
  }

  private target(row: ProviderInstance): ProviderTarget | undefined {
    const credential = this.credentials.resolve(row);
    if (credential.apiKey === undefined) {
      if (this.keyProblems.get(row.id) !== credential.reason) {
        this.logger.warn(
          `Instance ${row.name} gets no traffic from this app (no usable API key): ${credential.reason}`,
        );
        this.keyProblems.set(row.id, credential.reason);
      }
      return undefined;
    }
    if (this.keyProblems.delete(row.id)) this.logger.log(`Instance ${row.name} has a usable API key again`);
    return providerTarget(row, credential.apiKey);
  }
}
