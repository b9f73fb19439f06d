import { Controller, Get } from '@nestjs/common';
import { AppConfig } from '@switchboard/config';

@Controller()
export class ApiGatewayController {
  constructor(private readonly config: AppConfig) {}

  /** What this service is and where its operational endpoints are. */
  @Get()
  describe() {
    return {
      service: this.config.appName,
      id: this.config.serviceId,
      description: 'Public API: OpenAI- and Anthropic-compatible chat and models, authenticated by client keys.',
      endpoints: ['/health/live', '/health/ready', '/metrics'],
    };
  }
}
