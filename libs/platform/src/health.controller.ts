import { Controller, Get, Optional } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { ConsulHealthIndicator } from '@switchboard/consul';
import { DatabaseHealthIndicator } from '@switchboard/database';
import { RoutingTableHealthIndicator } from '@switchboard/routing';
import { RedisHealthIndicator } from '@switchboard/redis';

/**
 * live: the process answers. ready: what it depends on, each reported up, degraded (serving on
 * last known state; still HTTP 200) or down (HTTP 503).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly consul: ConsulHealthIndicator,
    @Optional() private readonly database?: DatabaseHealthIndicator,
    @Optional() private readonly redis?: RedisHealthIndicator,
    @Optional() private readonly routing?: RoutingTableHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    const checks: HealthIndicatorFunction[] = [() => this.consul.check()];
    if (this.database) checks.push(() => this.database!.check());
    if (this.redis) checks.push(() => this.redis!.check());
    if (this.routing) checks.push(() => this.routing!.check());
    return this.health.check(checks);
  }
}
