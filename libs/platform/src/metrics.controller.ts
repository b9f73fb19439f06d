import cluster from 'node:cluster';
import { Controller, Get, Header, Injectable, Res } from '@nestjs/common';
import { MetricsService } from '@switchboard/kernel';
import type { FastifyReply } from 'fastify';
import { WorkerMetrics } from './workers.js';

/** What /metrics shows: this process's registry, or, in a worker, the sum over every worker. */
@Injectable()
export class MetricsExposition {
  private readonly workers?: WorkerMetrics;

  constructor(private readonly metrics: MetricsService) {
    if (cluster.isWorker) this.workers = new WorkerMetrics(metrics);
  }

  render(): Promise<string> {
    return this.workers ? this.workers.render() : this.metrics.render();
  }
}

@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly exposition: MetricsExposition,
  ) {}

  @Get()
  @Header('cache-control', 'no-store')
  async render(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', this.metrics.contentType).send(await this.exposition.render());
  }
}
