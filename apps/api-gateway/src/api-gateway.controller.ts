import { Controller, Get, UseGuards } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { AdminTokenGuard } from '@switchboard/platform';
import { InstanceBalancer, RoutingPolicyStore } from '@switchboard/routing';

@Controller()
export class ApiGatewayController {
  constructor(
    private readonly config: AppConfig,
    private readonly balancer: InstanceBalancer,
    private readonly policies: RoutingPolicyStore,
  ) {}

  /** What this service is and where its operational endpoints are. */
  @Get()
  describe() {
    return {
      service: this.config.appName,
      id: this.config.serviceId,
      description: 'Public API: OpenAI- and Anthropic-compatible chat and models, authenticated by client keys.',
      endpoints: [
        'POST /v1/chat/completions',
        'POST /v1/messages',
        'GET /v1/models',
        'GET /pools (admin token)',
        '/health/live',
        '/health/ready (details with the admin token)',
        '/metrics',
      ],
      routingPolicy: this.policies.status,
    };
  }

  /**
   * This replica's routing table: every pool and instance with health, circuit and in-flight (no
   * secrets, but ids and hosts: for operators only).
   */
  @Get('pools')
  @UseGuards(AdminTokenGuard)
  pools() {
    return { pools: this.balancer.pools() };
  }
}
