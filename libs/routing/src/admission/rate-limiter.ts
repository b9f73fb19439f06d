import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { describeError } from '@switchboard/kernel';
import { RedisService } from '@switchboard/redis';
import { slidingCount, WINDOW_MS, windowOf } from './minute-window.js';

const KEY_PREFIX = 'switchboard:ratelimit:';
/** How often counts are exchanged with Redis: the most a limit can be overrun by across replicas. */
export const RATE_SYNC_INTERVAL_MS = 250;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a request would be allowed again (when refused). */
  retryAfterSeconds: number;
  /** redis: counts shared with the other replicas recently; local: Redis away, this replica's own. */
  scope: 'redis' | 'local';
}

/** One key's counts for the current one-minute window and the one before. */
interface KeyWindow {
  window: number;
  /** Requests of every replica in this window, as Redis last reported (ours included). */
  shared: number;
  /** This replica's requests in this window not yet added to Redis. */
  unsent: number;
  /** Every replica's requests in the previous window. */
  previous: number;
}

/**
 * Per-key requests-per-minute limit shared by gateway replicas, decided from memory: a request
 * never waits on Redis. Each replica counts locally and, every RATE_SYNC_INTERVAL_MS, adds its new
 * requests to a per-minute counter in Redis and reads back the total of every replica. The window
 * slides: the previous minute's count is weighted by how much of it still overlaps. Without Redis
 * the local counts keep growing, so the limit holds per replica instead of failing open or closed,
 * and they are added to Redis when it returns.
 */
@Injectable()
export class RateLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly windows = new Map<string, KeyWindow>();
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  private lastSyncedAt = 0;
  private lastSyncError: string | undefined;

  constructor(private readonly redis: RedisService) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.synchronise(), RATE_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Counts one request of the key and says whether it is within the limit. No I/O. */
  check(keyId: string, limit: number, now = Date.now()): RateDecision {
    const entry = this.current(keyId, now);
    entry.unsent += 1;
    const estimate = slidingCount(entry.shared + entry.unsent, entry.previous, now);
    const allowed = estimate <= limit;
    const untilNextWindow = Math.ceil((WINDOW_MS - (now % WINDOW_MS)) / 1000);
    return {
      allowed,
      limit,
      remaining: Math.max(0, Math.floor(limit - estimate)),
      retryAfterSeconds: allowed ? 0 : Math.max(1, untilNextWindow),
      scope: Date.now() - this.lastSyncedAt <= 4 * RATE_SYNC_INTERVAL_MS ? 'redis' : 'local',
    };
  }

  /**
   * Adds this replica's unsent counts to Redis and takes back every replica's totals, in one
   * pipelined round trip. Runs on a timer; tests call it to skip the wait.
   */
  async synchronise(now = Date.now()): Promise<void> {
    if (this.syncing || !this.redis.available) return;
    this.syncing = true;
    try {
      const window = windowOf(now);
      // Keys idle for two windows are forgotten; the others are rolled to this window.
      for (const [keyId, entry] of this.windows) if (entry.window < window - 1) this.windows.delete(keyId);
      const batch = [...this.windows.keys()].map((keyId) => [keyId, this.current(keyId, now)] as const);
      const pipeline = this.redis.client.pipeline();
      const sent = batch.map(([keyId, entry]) => {
        const key = `${KEY_PREFIX}${keyId}:${window}`;
        pipeline
          .incrby(key, entry.unsent)
          .pexpire(key, 2 * WINDOW_MS)
          .get(`${KEY_PREFIX}${keyId}:${window - 1}`);
        return entry.unsent;
      });
      const results = batch.length > 0 ? await pipeline.exec() : [];
      batch.forEach(([, entry], index) => {
        const [incrError, total] = results?.[index * 3] ?? [new Error('no reply')];
        const [, previous] = results?.[index * 3 + 2] ?? [];
        // The window may have rolled while the round trip was out; its counts are then stale.
        if (incrError || entry.window !== window) return;
        entry.unsent -= sent[index]!;
        entry.shared = Number(total);
        entry.previous = Math.max(entry.previous, Number(previous ?? 0));
      });
      this.lastSyncedAt = Date.now();
      if (this.lastSyncError) this.logger.log('Rate-limit counts are shared through Redis again');
      this.lastSyncError = undefined;
    } catch (error) {
      const message = describeError(error);
      if (!this.lastSyncError) this.logger.warn(`Rate-limit counts stay local while Redis fails: ${message}`);
      this.lastSyncError = message;
    } finally {
      this.syncing = false;
    }
  }

  /** The key's counts for the window `now` falls in, rolling an older window forward. */
  private current(keyId: string, now: number): KeyWindow {
    const window = windowOf(now);
    const entry = this.windows.get(keyId);
    if (entry?.window === window) return entry;
    const previous = entry?.window === window - 1 ? entry.shared + entry.unsent : 0;
    const fresh = { window, shared: 0, unsent: 0, previous };
    this.windows.set(keyId, fresh);
    return fresh;
  }
}
