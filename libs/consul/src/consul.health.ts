import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { checkDependency } from '@switchboard/kernel';
import { ConsulClient } from './consul.client.js';

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

  check(key = 'consul') {
    return checkDependency(
      this.health.check(key),
      async (signal) => {
        const leader = await this.consul.leader(signal);
        if (!leader) throw new Error('Consul has no leader');
        return { leader };
      },
      { timeoutMs: 1_000, whenDown: 'Consul unreachable, serving the last known state' },
    );
  }
}
