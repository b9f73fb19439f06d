import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessRegistry } from '@switchboard/platform';
import { RequestLogWriter } from './request-log-writer.js';

/**
 * The request log in readiness, as "requestLog": always up (a gateway serves without its log),
 * with what an operator wants to know while Postgres is away: rows waiting, rows dropped, why.
 */
@Injectable()
export class RequestLogHealthIndicator implements OnModuleInit {
  constructor(
    private readonly writer: RequestLogWriter,
    private readonly health: HealthIndicatorService,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register('requestLog', (key) => this.check(key));
  }

  check(key = 'requestLog') {
    const details: Record<string, unknown> = { queued: this.writer.queued, dropped: this.writer.dropped };
    if (this.writer.lastError)
      details.message = `request log rows wait in memory (oldest dropped when full): ${this.writer.lastError}`;
    return this.health.check(key).up(details);
  }
}
