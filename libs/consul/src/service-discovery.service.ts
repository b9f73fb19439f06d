import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BlockingWatch } from './blocking-watch.js';
import { ConsulClient } from './consul.client.js';
import type { ServiceHealthEntry } from './consul.types.js';

export const CONSUL_DISCOVERY_OPTIONS = Symbol('CONSUL_DISCOVERY_OPTIONS');

export interface ServiceDiscoveryOptions {
  /** Services whose passing instances are kept in memory from start-up. */
  services?: string[];
  /** Served for a service when Consul is unreachable and nothing was ever learned from it. */
  fallback?: Record<string, string[]>;
  waitSeconds?: number;
}

export interface ServiceInstance {
  id: string;
  service: string;
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
}

export type DiscoverySource = 'consul' | 'stale' | 'fallback' | 'none';

export interface DiscoveryStatus {
  service: string;
  /** consul: fresh from a watch; stale: last known state while Consul fails; fallback: static. */
  source: DiscoverySource;
  instances: number;
  index: number;
  updatedAt?: string;
  lastError?: string;
}

interface Entry {
  watch: BlockingWatch<ServiceHealthEntry[]>;
  instances: ServiceInstance[] | undefined;
  updatedAt?: Date;
  lastError?: string;
}

/**
 * Keeps the passing instances of named services in memory, fed by Consul blocking queries.
 * Reads are synchronous: a caller never waits on Consul. When Consul fails the last known state
 * is served (marked stale), and the configured static fallback when nothing was ever known.
 */
@Injectable()
export class ServiceDiscovery implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ServiceDiscovery.name);
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly consul: ConsulClient,
    @Inject(CONSUL_DISCOVERY_OPTIONS) private readonly options: ServiceDiscoveryOptions,
  ) {}

  onModuleInit(): void {
    for (const service of this.options.services ?? []) this.watch(service);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => entry.watch.stop()));
  }

  /** Starts watching a service (idempotent). */
  watch(service: string): void {
    if (this.entries.has(service)) return;
    const entry: Entry = {
      instances: undefined,
      watch: new BlockingWatch<ServiceHealthEntry[]>(
        (index, waitSeconds, signal) => this.consul.healthService(service, { passing: true, index, waitSeconds, signal }),
        {
          waitSeconds: this.options.waitSeconds ?? 30,
          onChange: (health) => {
            entry.instances = health.map(toInstance);
            entry.updatedAt = new Date();
            if (entry.lastError) this.logger.log(`Consul reachable again; watching ${service}`);
            entry.lastError = undefined;
          },
          onError: (error, failures, retryInMs) => {
            entry.lastError = error instanceof Error ? error.message : String(error);
            if (failures === 1 || failures % 20 === 0) {
              this.logger.warn(`Watch of ${service} failed ${failures}x (${entry.lastError}); serving the last known state, retrying in ${retryInMs} ms`);
            }
          },
          onReset: (previous, received) => this.logger.warn(`Consul index of ${service} went back from ${previous} to ${received}; following it`),
        },
      ),
    };
    this.entries.set(service, entry);
    entry.watch.start();
  }

  /** Passing instances of a service, from memory. */
  instances(service: string): ServiceInstance[] {
    const entry = this.entries.get(service);
    if (entry?.instances) return entry.instances;
    return (this.options.fallback?.[service] ?? []).map((address, position) => fromAddress(service, address, position));
  }

  status(service: string): DiscoveryStatus {
    const entry = this.entries.get(service);
    const known = entry?.instances;
    const source: DiscoverySource = known
      ? entry.lastError ? 'stale' : 'consul'
      : this.options.fallback?.[service]?.length ? 'fallback' : 'none';
    return {
      service,
      source,
      instances: this.instances(service).length,
      index: entry?.watch.lastIndex ?? 0,
      updatedAt: entry?.updatedAt?.toISOString(),
      lastError: entry?.lastError,
    };
  }

  /** Every watched service's status, for readiness and admin output. */
  statuses(): DiscoveryStatus[] {
    return [...this.entries.keys()].map((service) => this.status(service));
  }

}

function toInstance(entry: ServiceHealthEntry): ServiceInstance {
  return {
    id: entry.Service.ID,
    service: entry.Service.Service,
    // An empty service address means "the node's address" in Consul.
    address: entry.Service.Address || entry.Node.Address,
    port: entry.Service.Port,
    tags: entry.Service.Tags ?? [],
    meta: entry.Service.Meta ?? {},
  };
}

function fromAddress(service: string, address: string, position: number): ServiceInstance {
  const separator = address.lastIndexOf(':');
  return {
    id: `${service}-fallback-${position}`,
    service,
    address: separator > 0 ? address.slice(0, separator).replace(/^\[|\]$/g, '') : address,
    port: separator > 0 ? Number(address.slice(separator + 1)) : 0,
    tags: ['fallback'],
    meta: {},
  };
}
