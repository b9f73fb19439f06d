import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { describeError } from '@switchboard/kernel';
import { PrismaService } from './prisma.service.js';

const CHECK_TIMEOUT_MS = 2_000;

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

  async check(key = 'database') {
    const indicator = this.health.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      const started = performance.now();
      await Promise.race([
        this.prisma.$queryRaw`SELECT 1`,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      return indicator.up({ latencyMs: Math.round((performance.now() - started) * 10) / 10 });
    } catch (error) {
      return indicator.degraded({ message: `Postgres unreachable, serving from memory: ${describeError(error)}` });
    } finally {
      clearTimeout(timer);
    }
  }
}
