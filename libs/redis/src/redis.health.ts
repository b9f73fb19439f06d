import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisService } from './redis.service.js';
import { checkDependency } from '@switchboard/kernel';

/** Redis for readiness: the apps keep serving on local state without it, so down is "degraded". */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisService,
    private readonly health: HealthIndicatorService,
  ) {}

  check(key = 'redis') {
    return checkDependency(
      this.health.check(key),
      async () => {
        if (!this.redis.available) throw new Error(`connection is ${this.redis.client.status}`);
        await this.redis.client.ping();
        return undefined;
      },
      { timeoutMs: 1_000, whenDown: 'Redis unreachable, serving on local state' },
    );
  }
}
