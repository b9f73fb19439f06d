import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisService } from './redis.service.js';
import { describeError } from '@switchboard/kernel';

/** Redis for readiness: the apps keep serving on local state without it, so down is "degraded". */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisService,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis') {
    const indicator = this.health.check(key);
    if (!this.redis.available)
      return indicator.degraded({ message: `Redis connection is ${this.redis.client.status}` });
    try {
      const started = performance.now();
      await this.redis.client.ping();
      return indicator.up({ latencyMs: Math.round((performance.now() - started) * 10) / 10 });
    } catch (error) {
      return indicator.degraded({ message: describeError(error) });
    }
  }
}
