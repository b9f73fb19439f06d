import cluster from 'node:cluster';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Injectable, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { RedisService } from '@switchboard/redis';

/**
 * Every app process reports its memory and event-loop delay to Redis, so the monitoring dashboard
 * and the alert rules see each replica's resources without scraping anyone. Reporters are listed
 * in a sorted set by the time of their last report; a reader takes the recent ones, no key scan.
 */
const KEY_PREFIX = 'switchboard:process:';
export const PROCESS_REPORTERS_KEY = `${KEY_PREFIX}reporters`;
/** A report counts while it is younger than this many report intervals. */
export const PROCESS_REPORT_STALE_AFTER = 3;

export function processReportKey(reporterId: string): string {
  return `${KEY_PREFIX}${reporterId}`;
}

/** Workers of one replica report apart (`<serviceId>#<worker>`); this is the replica they belong to. */
export function replicaOfReporter(reporterId: string): string {
  const hash = reporterId.indexOf('#');
  return hash < 0 ? reporterId : reporterId.slice(0, hash);
}

export interface ProcessReport {
  reporterId: string;
  rssBytes: number;
  /** p99 of the event-loop delay over the last report interval, ms. */
  eventLoopDelayMs: number;
  at: number;
}

export function parseProcessReport(reporterId: string, hash: Record<string, string>): ProcessReport | undefined {
  const rssBytes = Number(hash.rssBytes);
  const eventLoopDelayMs = Number(hash.eventLoopDelayMs);
  const at = Number(hash.at);
  if (!Number.isFinite(rssBytes) || !Number.isFinite(eventLoopDelayMs) || !Number.isFinite(at)) return undefined;
  return { reporterId, rssBytes, eventLoopDelayMs, at };
}

@Injectable()
export class ProcessReporter implements OnModuleInit, OnApplicationShutdown {
  private readonly delay = monitorEventLoopDelay({ resolution: 20 });
  private timer: NodeJS.Timeout | undefined;
  private readonly reporterId: string;

  constructor(
    private readonly config: AppConfig,
    @Optional() private readonly redis?: RedisService,
  ) {
    this.reporterId = cluster.isWorker ? `${config.serviceId}#${cluster.worker?.id}` : config.serviceId;
  }

  onModuleInit(): void {
    if (!this.redis) return;
    this.delay.enable();
    this.timer = setInterval(() => void this.report(), this.config.REPORT_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  /** Never throws: with Redis away the dashboard shows this replica's resources as unknown. */
  private async report(): Promise<void> {
    const redis = this.redis;
    if (!redis?.available) return;
    const now = Date.now();
    const fields = {
      rssBytes: String(process.memoryUsage.rss()),
      eventLoopDelayMs: String(Math.round(this.delay.percentile(99) / 1e4) / 100),
      at: String(now),
    };
    this.delay.reset();
    const key = processReportKey(this.reporterId);
    await redis.client
      .multi()
      .hset(key, fields)
      .pexpire(key, PROCESS_REPORT_STALE_AFTER * this.config.REPORT_INTERVAL_MS)
      .zadd(PROCESS_REPORTERS_KEY, now, this.reporterId)
      // Readers skip reports this old (their key has expired too): they leave the set.
      .zremrangebyscore(PROCESS_REPORTERS_KEY, 0, now - PROCESS_REPORT_STALE_AFTER * this.config.REPORT_INTERVAL_MS)
      .exec()
      .catch(() => undefined);
  }
}
