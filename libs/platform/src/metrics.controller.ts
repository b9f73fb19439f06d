import { Controller, Get, Header, Res } from '@nestjs/common';
import { MetricsService } from '@switchboard/kernel';
import type { FastifyReply } from 'fastify';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('cache-control', 'no-store')
  async render(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', this.metrics.contentType).send(await this.metrics.render());
  }
}
