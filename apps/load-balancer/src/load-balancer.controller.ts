import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { AppConfig } from '@switchboard/kernel';

import { type BalancingStrategy, InstanceBalancer, InstanceTable, type PoolMemberView } from '@switchboard/routing';
import { NoUsableInstanceError, UnknownPoolError } from './select-errors.js';
import { SelectRequestDto } from './select.dto.js';

export interface Selection {
  pool: string;
  strategy: BalancingStrategy;
  instance: PoolMemberView;
}

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
  describe(): { service: string; id: string; description: string; endpoints: string[] } {
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
  @ApiResponse({ status: 200, description: 'The chosen instance and the strategy that chose it' })
  @ApiResponse({ status: 400, description: 'A body field is missing or invalid' })
  @ApiResponse({ status: 404, description: 'No instance serves the pool' })
  @ApiResponse({ status: 503, description: 'No instance of the pool is usable right now' })
  select(@Body() body: SelectRequestDto): Selection {
    if (this.table.pool(body.pool).length === 0) throw new UnknownPoolError(body.pool);
    const strategy = body.strategy ?? this.balancer.strategyFor(body.pool);
    const chosen = this.balancer.select(body.pool, new Set(body.exclude ?? []), strategy);
    if (!chosen) throw new NoUsableInstanceError(body.pool);
    const view = this.balancer.describe(body.pool).find((member) => member.id === chosen.id)!;
    return { pool: body.pool, strategy, instance: view };
  }

  /** Every pool with its instances: status, health score, latency, circuit state, in-flight. */
  @Get('pools')
  pools(): { pools: ReturnType<InstanceBalancer['pools']> } {
    return { pools: this.balancer.pools() };
  }
}
