import { Controller, Get } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';

@Controller()
export class InstanceManagerController {
  constructor(private readonly config: AppConfig) {}

  /** What this service is and where its operational endpoints are. */
  @Get()
  describe() {
    return {
      service: this.config.appName,
      id: this.config.serviceId,
      description: 'Admin API over provider instances, their Consul registration and health probing.',
      endpoints: ['/admin', '/console', '/docs', '/health/live', '/health/ready', '/metrics'],
    };
  }
}
