import { Controller, Get } from '@nestjs/common';
import { AppConfig } from '@switchboard/config';

@Controller()
export class IntelligentRouterController {
  constructor(private readonly config: AppConfig) {}

  /** What this service is and where its operational endpoints are. */
  @Get()
  describe() {
    return {
      service: this.config.appName,
      id: this.config.serviceId,
      description: 'HTTP face of the routing policy: which provider and model serve a query.',
      endpoints: ['/health/live', '/health/ready', '/metrics'],
    };
  }
}
