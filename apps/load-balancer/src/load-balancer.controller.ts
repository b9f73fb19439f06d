import { Controller, Get } from '@nestjs/common';
import { AppConfig } from '@switchboard/config';

@Controller()
export class LoadBalancerController {
  constructor(private readonly config: AppConfig) {}

  /** What this service is and where its operational endpoints are. */
  @Get()
  describe() {
    return {
      service: this.config.appName,
      id: this.config.serviceId,
      description: 'HTTP face of instance selection: which instance of a pool serves a request, and pool state.',
      endpoints: ['/health/live', '/health/ready', '/metrics'],
    };
  }
}
