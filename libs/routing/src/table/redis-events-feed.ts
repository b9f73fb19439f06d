import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HEALTH_EVENTS_CHANNEL, HEALTH_KEY_PREFIX, type HealthEvent } from '@switchboard/fleet';
import { RedisService } from '@switchboard/redis';
import type { Redis } from 'ioredis';
import { type InstanceStatus, InstanceTable } from './instance-table.js';
import { describeError } from '@switchboard/kernel';

/** Where gateways tell each other that an instance's circuit opened. */
export const CIRCUIT_EVENTS_CHANNEL = 'switchboard:circuit-events';

export interface CircuitEvent {
  type: 'circuit';
  instanceId: string;
  state: 'open';
  /** The replica that saw it trip (it ignores its own event). */
  origin: string;
}

const STATUSES = new Set<string>(['passing', 'warning', 'critical']);

/**
 * The gateway's Redis inputs, off the request path: probe metrics (read once per catalog change,
 * then followed through pub/sub) and circuit trips of other replicas. One subscriber connection;
 * when Redis is away it reconnects by itself and re-reads what it may have missed.
 */
@Injectable()
export class RedisEventsFeed implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisEventsFeed.name);
  private subscriber: Redis | undefined;
  private readonly circuitListeners: ((event: CircuitEvent) => void)[] = [];

  constructor(
    private readonly redis: RedisService,
    private readonly table: InstanceTable,
  ) {}

  onModuleInit(): void {
    const subscriber = this.redis.client.duplicate({
      connectionName: `${this.redis.client.options.connectionName ?? 'switchboard'}-events`,
    });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // the main connection already reports Redis being down
    subscriber.on('ready', () => {
      subscriber
        .subscribe(HEALTH_EVENTS_CHANNEL, CIRCUIT_EVENTS_CHANNEL)
        .catch((error: Error) => this.logger.warn(`Could not subscribe to Redis events: ${error.message}`));
      void this.readAll();
    });
    subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    this.table.onChange(() => void this.readAll());
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  onCircuitEvent(listener: (event: CircuitEvent) => void): void {
    this.circuitListeners.push(listener);
  }

  /** Tells other replicas; fire and forget (a lost event only means they find out themselves). */
  publishCircuit(event: CircuitEvent): void {
    if (!this.redis.available) return;
    this.redis.client.publish(CIRCUIT_EVENTS_CHANNEL, JSON.stringify(event)).catch(() => undefined);
  }

  private receive(channel: string, message: string): void {
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch {
      return;
    }
    if (channel === HEALTH_EVENTS_CHANNEL) {
      const health = event as Partial<HealthEvent>;
      if (typeof health.instanceId === 'string' && STATUSES.has(String(health.status))) {
        this.table.setProbeMetrics(health.instanceId, {
          status: health.status as InstanceStatus,
          score: Number(health.score) || 0,
          latencyEwmaMs: Number(health.latencyEwmaMs) || 0,
        });
      }
    } else if (channel === CIRCUIT_EVENTS_CHANNEL) {
      const circuit = event as Partial<CircuitEvent>;
      if (circuit.type === 'circuit' && typeof circuit.instanceId === 'string' && typeof circuit.origin === 'string') {
        for (const listener of this.circuitListeners) listener(circuit as CircuitEvent);
      }
    }
  }

  /** The stored metrics of every known instance, in one pipeline. */
  private async readAll(): Promise<void> {
    if (!this.redis.available) return;
    const instances = [...this.table.all()];
    if (instances.length === 0) return;
    try {
      const pipeline = this.redis.client.pipeline();
      for (const instance of instances)
        pipeline.hmget(HEALTH_KEY_PREFIX + instance.id, 'status', 'score', 'latencyEwmaMs', 'lastProbeAt');
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, value], position) => {
        const [status, score, latency, lastProbeAt] = (value ?? []) as (string | null)[];
        const instance = instances[position]!;
        if (error || !status || !STATUSES.has(status)) return;
        const at = lastProbeAt ? Date.parse(lastProbeAt) : 0;
        // Never let an older stored value overwrite a newer event.
        if (instance.probe && instance.probe.at >= at) return;
        this.table.setProbeMetrics(
          instance.id,
          { status: status as InstanceStatus, score: Number(score) || 0, latencyEwmaMs: Number(latency) || 0 },
          at,
        );
      });
    } catch (error) {
      this.logger.debug(`Could not read probe metrics from Redis: ${describeError(error)}`);
    }
  }
}
