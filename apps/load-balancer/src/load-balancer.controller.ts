import { Body, Controller, Get, HttpCode, NotFoundException, Post, ServiceUnavailableException } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { InstanceBalancer, InstanceTable } from '@switchboard/routing';
import { SelectRequestDto } from './select.dto.js';

/**
 * Instance selection over HTTP, for services other than the gateway (which runs the same code in
 * process) and for operators: pick one instance of a pool, and see every pool's state.
 */
@Controller()
export class LoadBalancerController {
  constructor(
    private readonly config: AppConfig,
    private readonly balancer: InstanceBalancer,
    private readonly table: InstanceTable,
  ) {}

  /** What this service is and where its operational endpoints are. */
  @Get()
  describe() {
    return {
      service: this.config.appName,
      id: this.config.serviceId,
      description: 'HTTP face of instance selection: which instance of a pool serves a request, and pool state.',
      endpoints: ['POST /select', 'GET /pools', '/health/live', '/health/ready', '/metrics'],
    };
  }

  /** One instance of the pool, chosen as the gateway would (strategy from the policy unless given). */
  @Post('select')
  @HttpCode(200)
  select(@Body() body: SelectRequestDto) {
    if (this.table.pool(body.pool).length === 0)
      throw new NotFoundException(`No instance serves pool ${body.pool}; GET /pools lists the pools`);
    const strategy = body.strategy ?? this.balancer.strategyFor(body.pool);
    const chosen = this.balancer.select(body.pool, new Set(body.exclude ?? []), strategy);
    if (!chosen)
      throw new ServiceUnavailableException(
        `No usable instance in pool ${body.pool} (all critical, draining, excluded, busy or with an open circuit)`,
      );
    const view = this.balancer.describe(body.pool).find((member) => member.id === chosen.id)!;
    return { pool: body.pool, strategy, instance: view };
  }

  /** Every pool with its instances: status, health score, latency, circuit state, in-flight. */
  @Get('pools')
  pools() {
    return { pools: this.balancer.pools() };
  }
}
