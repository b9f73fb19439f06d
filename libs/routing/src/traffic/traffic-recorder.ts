import cluster from 'node:cluster';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig, describeError } from '@switchboard/kernel';
import { RedisService } from '@switchboard/redis';
import { InstanceCircuits } from '../resilience/instance-circuits.js';
import { InstanceTable } from '../table/instance-table.js';
import {
  bucketOf,
  fallbackField,
  InstanceTraffic,
  liveFields,
  liveKey,
  REPLICA_STALE_AFTER_REPORTS,
  type ReplicaLive,
  SLOT_TTL_SECONDS,
  slotKey,
  slotStart,
  TRAFFIC_REPLICAS_KEY,
  TRAFFIC_WINDOW_SECONDS,
} from './traffic-window.js';

/** What this replica counted in one slot and has not written to Redis yet. */
interface PendingSlot {
  instances: Map<string, InstanceTraffic>;
  fallbacks: Map<string, number>;
}

/**
 * The gateway side of the rolling traffic window: counts attempts in memory (a few array
 * increments per request, nothing awaited) and writes them to Redis every REPORT_INTERVAL_MS,
 * with a snapshot of what this replica holds now (in-flight attempts, circuits not closed).
 * While Redis is away the counts wait, for as long as their slot is still in the window.
 */
@Injectable()
export class TrafficRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TrafficRecorder.name);
  private readonly pending = new Map<number, PendingSlot>();
  private current: { start: number; slot: PendingSlot } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastFailure: string | undefined;
  /** Workers of one gateway are replicas of their own here: their in-flight counts add up. */
  readonly replicaId: string;

  constructor(
    private readonly redis: RedisService,
    private readonly table: InstanceTable,
    private readonly circuits: InstanceCircuits,
    private readonly config: AppConfig,
  ) {
    this.replicaId = cluster.isWorker ? `${config.serviceId}#${cluster.worker?.id}` : config.serviceId;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.REPORT_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  attempt(instanceId: string, ok: boolean, elapsedMs: number): void {
    const traffic = this.instance(instanceId);
    traffic.requests += 1;
    if (!ok) traffic.errors += 1;
    traffic.latency[bucketOf(elapsedMs)]! += 1;
  }

  retry(instanceId: string): void {
    this.instance(instanceId).retries += 1;
  }

  firstToken(instanceId: string, elapsedMs: number): void {
    this.instance(instanceId).firstToken[bucketOf(elapsedMs)]! += 1;
  }

  fallback(fromProvider: string, toProvider: string): void {
    const fallbacks = this.slot().fallbacks;
    const field = fallbackField(fromProvider, toProvider);
    fallbacks.set(field, (fallbacks.get(field) ?? 0) + 1);
  }

  /** Writes what was counted and the live snapshot; one flush at a time, never throws. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private slot(): PendingSlot {
    const start = slotStart(Date.now());
    if (this.current?.start !== start) {
      let slot = this.pending.get(start);
      if (!slot) {
        slot = { instances: new Map(), fallbacks: new Map() };
        this.pending.set(start, slot);
      }
      this.current = { start, slot };
    }
    return this.current.slot;
  }

  private instance(instanceId: string): InstanceTraffic {
    const instances = this.slot().instances;
    let traffic = instances.get(instanceId);
    if (!traffic) {
      traffic = new InstanceTraffic();
      instances.set(instanceId, traffic);
    }
    return traffic;
  }

  private async write(): Promise<void> {
    this.dropExpired();
    if (!this.redis.available) return;
    const taken = [...this.pending.entries()];
    // New counts go to fresh maps while this write is out; a failed write puts these back.
    this.pending.clear();
    this.current = undefined;
    const now = Date.now();
    const pipeline = this.redis.client.multi();
    for (const [start, slot] of taken) {
      const key = slotKey(start);
      for (const [instanceId, traffic] of slot.instances)
        for (const [field, value] of traffic.fields(instanceId)) pipeline.hincrby(key, field, value);
      for (const [field, value] of slot.fallbacks) pipeline.hincrby(key, field, value);
      pipeline.expire(key, SLOT_TTL_SECONDS);
    }
    const live = liveKey(this.replicaId);
    const fields = liveFields(this.snapshot(now));
    pipeline.del(live);
    if (Object.keys(fields).length > 0) pipeline.hset(live, fields);
    pipeline.pexpire(live, REPLICA_STALE_AFTER_REPORTS * this.config.REPORT_INTERVAL_MS);
    pipeline.zadd(TRAFFIC_REPLICAS_KEY, now, this.replicaId);
    // Replicas that stopped long ago leave the set, so it stays as small as the fleet of gateways.
    pipeline.zremrangebyscore(TRAFFIC_REPLICAS_KEY, 0, now - TRAFFIC_WINDOW_SECONDS * 1000);
    try {
      await pipeline.exec();
      if (this.lastFailure) this.logger.log('Traffic reports reach Redis again');
      this.lastFailure = undefined;
    } catch (error) {
      this.restore(taken);
      const message = describeError(error);
      if (message !== this.lastFailure)
        this.logger.warn(`Could not write traffic to Redis (${message}); kept for the next report`);
      this.lastFailure = message;
    }
  }

  /** Puts counts that failed to be written back in front of whatever came in meanwhile. */
  private restore(taken: [number, PendingSlot][]): void {
    for (const [start, slot] of taken) {
      const newer = this.pending.get(start);
      if (newer) {
        for (const [instanceId, traffic] of newer.instances) {
          const older = slot.instances.get(instanceId);
          if (older) older.add(traffic);
          else slot.instances.set(instanceId, traffic);
        }
        for (const [field, count] of newer.fallbacks)
          slot.fallbacks.set(field, (slot.fallbacks.get(field) ?? 0) + count);
      }
      this.pending.set(start, slot);
    }
    this.current = undefined;
  }

  /** Counts whose slot has left the window are of no use to anyone: they go. */
  private dropExpired(): void {
    const oldest = slotStart(Date.now()) - TRAFFIC_WINDOW_SECONDS;
    for (const start of this.pending.keys()) if (start < oldest) this.pending.delete(start);
  }

  private snapshot(now: number): ReplicaLive {
    const live: ReplicaLive = { replicaId: this.replicaId, inFlight: new Map(), circuits: new Map() };
    for (const instance of this.table.all())
      if (instance.observed.inFlight > 0) live.inFlight.set(instance.id, instance.observed.inFlight);
    for (const [instanceId, circuit] of this.circuits.unclosedDetails(now)) live.circuits.set(instanceId, circuit);
    return live;
  }
}
