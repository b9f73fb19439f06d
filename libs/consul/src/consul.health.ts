import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ConsulClient } from './consul.client.js';
import { describeError } from '@switchboard/kernel';

/**
 * Consul for readiness. An app keeps serving from its last known state while Consul is away, so
 * an unreachable Consul is reported as degraded (HTTP 200), not down.
 */
@Injectable()
export class ConsulHealthIndicator {
  constructor(
    private readonly consul: ConsulClient,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'consul') {
    const indicator = this.health.check(key);
    try {
      const leader = await this.consul.leader(AbortSignal.timeout(1_000));
      return leader ? indicator.up({ leader }) : indicator.degraded({ message: 'Consul has no leader' });
    } catch (error) {
      return indicator.degraded({ message: describeError(error) });
    }
  }
}
