import { Injectable } from '@nestjs/common';
import { RedisService } from '@switchboard/redis';

const WINDOW_MS = 60_000;
const KEY_PREFIX = 'switchboard:ratelimit:';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a request would be allowed again (when refused). */
  retryAfterSeconds: number;
  /** redis: counted across replicas; local: Redis unavailable, counted by this replica alone. */
  scope: 'redis' | 'local';
}

/**
 * Per-key requests-per-minute limit shared by gateway replicas: a sliding window approximated from
 * two fixed one-minute counters in Redis (this minute's, weighted with the last minute's by how
 * much of it still overlaps), read and bumped in one pipelined round trip. Without Redis each
 * replica counts locally, so the limit still holds per replica instead of failing open or closed.
 */
@Injectable()
export class RateLimiter {
  private readonly local = new Map<string, { window: number; current: number; previous: number }>();

  constructor(private readonly redis: RedisService) {}

  async check(keyId: string, limit: number, now = Date.now()): Promise<RateDecision> {
    const window = Math.floor(now / WINDOW_MS);
    const overlap = 1 - (now % WINDOW_MS) / WINDOW_MS;
    if (this.redis.available) {
      try {
        const results = await this.redis.client
          .pipeline()
          .incr(`${KEY_PREFIX}${keyId}:${window}`)
          .pexpire(`${KEY_PREFIX}${keyId}:${window}`, 2 * WINDOW_MS)
          .get(`${KEY_PREFIX}${keyId}:${window - 1}`)
          .exec();
        const current = Number(results?.[0]?.[1] ?? 0);
        const previous = Number(results?.[2]?.[1] ?? 0);
        if (results && !results[0]![0]) return this.decide(current, previous, overlap, limit, now, 'redis');
      } catch {
        // Fall through to the local count.
      }
    }
    return this.countLocally(keyId, window, overlap, limit, now);
  }

  private countLocally(keyId: string, window: number, overlap: number, limit: number, now: number): RateDecision {
    let entry = this.local.get(keyId);
    if (!entry || entry.window < window - 1) entry = { window, current: 0, previous: 0 };
    else if (entry.window === window - 1) entry = { window, current: 0, previous: entry.current };
    entry.current += 1;
    this.local.set(keyId, entry);
    return this.decide(entry.current, entry.previous, overlap, limit, now, 'local');
  }

  private decide(
    current: number,
    previous: number,
    overlap: number,
    limit: number,
    now: number,
    scope: RateDecision['scope'],
  ): RateDecision {
    const estimate = current + previous * overlap;
    const allowed = estimate <= limit;
    const untilNextWindow = Math.ceil((WINDOW_MS - (now % WINDOW_MS)) / 1000);
    return {
      allowed,
      limit,
      remaining: Math.max(0, Math.floor(limit - estimate)),
      retryAfterSeconds: allowed ? 0 : Math.max(1, untilNextWindow),
      scope,
    };
  }
}
