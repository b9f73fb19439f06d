import { Controller, Get, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import { type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminToken } from './admin-token.js';
import { ReadinessRegistry } from './readiness-registry.js';

/** What readiness says to anyone: up, degraded (serving on last known state) or down. */
export type ReadinessStatus = 'up' | 'degraded' | 'down';

const READINESS_OF: Record<HealthCheckResult['status'], ReadinessStatus> = {
  ok: 'up',
  degraded: 'degraded',
  error: 'down',
  shutting_down: 'down',
};

/**
 * live: the process answers. ready: what it depends on (the checks in the ReadinessRegistry), each
 * up, degraded (still HTTP 200: it serves) or down (HTTP 503). Anyone (Consul's check, a load
 * balancer) reads the overall status; each dependency's detail, whose error text names hosts and
 * ports, is for operators sending the admin token.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessRegistry,
    private readonly adminToken: AdminToken,
  ) {}

  @Get('live')
  live(): { status: ReadinessStatus } {
    return { status: 'up' };
  }

  @Get('ready')
  async ready(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const result = await this.health.check(this.readiness.indicators()).catch((error: unknown) => {
      // Terminus reports a failed check by throwing its result.
      if (error instanceof ServiceUnavailableException) return error.getResponse() as HealthCheckResult;
      throw error;
    });
    const status = READINESS_OF[result.status];
    void reply.status(status === 'down' ? 503 : 200);
    if (!this.adminToken.carriedBy(request)) return { status };
    return { status, info: result.info, error: result.error, details: result.details };
  }
}
