import { Injectable } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { RedisService } from '@switchboard/redis';
import {
  InstanceTraffic,
  liveKey,
  parseLive,
  parseSlot,
  REPLICA_STALE_AFTER_REPORTS,
  type ReplicaLive,
  type SlotTraffic,
  slotKey,
  TRAFFIC_REPLICAS_KEY,
  windowSlots,
} from './traffic-window.js';

/** The window as read back: per-slot traffic (oldest first) and what each reporting replica holds now. */
export interface TrafficWindow {
  slots: { start: number; traffic: SlotTraffic }[];
  replicas: ReplicaLive[];
}

/**
 * Reads the rolling traffic window the gateways write (TrafficRecorder): one pipeline of one
 * HGETALL per slot and per reporting replica, whatever the size of the fleet — no key scan.
 */
@Injectable()
export class TrafficWindowReader {
  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  /** Throws when Redis cannot be read: the caller says the traffic part is unavailable. */
  async read(now = Date.now()): Promise<TrafficWindow> {
    const client = this.redis.client;
    const staleBefore = now - REPLICA_STALE_AFTER_REPORTS * this.config.REPORT_INTERVAL_MS;
    const replicaIds = await client.zrangebyscore(TRAFFIC_REPLICAS_KEY, staleBefore, '+inf');
    const starts = windowSlots(now);
    const pipeline = client.pipeline();
    for (const start of starts) pipeline.hgetall(slotKey(start));
    for (const replicaId of replicaIds) pipeline.hgetall(liveKey(replicaId));
    const results = (await pipeline.exec()) ?? [];
    const hashes = results.map(([error, value]) => {
      if (error) throw error;
      return (value ?? {}) as Record<string, string>;
    });
    return {
      slots: starts.map((start, index) => ({ start, traffic: parseSlot(hashes[index]!) })),
      replicas: replicaIds.map((replicaId, index) => parseLive(replicaId, hashes[starts.length + index]!)),
    };
  }
}

/** One instance's traffic summed over the whole window. */
export function windowTotal(window: TrafficWindow, instanceId: string): InstanceTraffic {
  const total = new InstanceTraffic();
  for (const { traffic } of window.slots) {
    const slot = traffic.instances.get(instanceId);
    if (slot) total.add(slot);
  }
  return total;
}
