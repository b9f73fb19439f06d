import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { checkDependency } from '@switchboard/kernel';
import { PrismaService } from './prisma.service.js';

/**
 * Postgres for readiness. No app needs it to serve its main job: the gateway apps route from the
 * catalog and client keys in memory, and the instance-manager keeps probing from its cached
 * instance list. So unreachable is "degraded" (still HTTP 200, Consul's check stays passing and
 * the leader keeps its lock); what cannot work meanwhile (admin reads and writes) answers 503 on
 * its own. An app that cannot serve at all says so through its own check (e.g. "routing").
 */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly prisma: PrismaService,
    private readonly health: HealthIndicatorService,
  ) {}

  check(key = 'database') {
    return checkDependency(
      this.health.check(key),
      async () => {
        await this.prisma.$queryRaw`SELECT 1`;
        return undefined;
      },
      { timeoutMs: 2_000, whenDown: 'Postgres unreachable, serving from memory' },
    );
  }
}
