import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { ReadinessRegistry } from './readiness-registry.js';

/**
 * live: the process answers. ready: what it depends on (the checks in the ReadinessRegistry), each
 * reported up, degraded (serving on last known state; still HTTP 200) or down (HTTP 503).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessRegistry,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(this.readiness.indicators());
  }
}
