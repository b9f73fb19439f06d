import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig, describeError, MetricsService } from '@switchboard/kernel';
import type { RequestLogRow } from './request-log-row.js';
import { RequestLogRepository } from './request-log.repository.js';
import { RowQueue } from './row-queue.js';

/** The longest shutdown waits for the last rows to be written. */
const SHUTDOWN_FLUSH_LIMIT_MS = 3_000;

/**
 * The gateway's side of the request log: requests append their row to a bounded queue in memory
 * (no I/O on the request path) and a timer writes the queue in batches of REQUEST_LOG_BATCH_ROWS,
 * every REQUEST_LOG_FLUSH_MS or as soon as a batch is full. One write at a time; a failed batch
 * goes back in front and is tried again on the next tick. While Postgres is away the queue fills up
 * to REQUEST_LOG_QUEUE_MAX, then the oldest rows are dropped and counted
 * (switchboard_request_log_dropped_total): serving never waits for the log.
 */
@Injectable()
export class RequestLogWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RequestLogWriter.name);
  private readonly queue: RowQueue<RequestLogRow>;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private flushSoon = false;
  /** Rows dropped since start (the metric counts the same, this is for readiness). */
  dropped = 0;
  lastError: string | undefined;
  lastWrittenAt = 0;

  constructor(
    private readonly repository: RequestLogRepository,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {
    this.queue = new RowQueue(config.REQUEST_LOG_QUEUE_MAX);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.REQUEST_LOG_FLUSH_MS);
    this.timer.unref();
    this.metrics.addCollector(() => this.metrics.requestLogQueued.set(this.queue.size));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    let limit: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise((resolve) => {
        limit = setTimeout(resolve, SHUTDOWN_FLUSH_LIMIT_MS);
      }),
    ]);
    clearTimeout(limit);
    if (this.queue.size > 0) this.logger.warn(`${this.queue.size} request log rows were not written before shutdown`);
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Queues a row. No I/O: a full batch only schedules a write for the next turn of the event loop. */
  append(row: RequestLogRow): void {
    this.countDropped(this.queue.push(row));
    if (this.queue.size >= this.config.REQUEST_LOG_BATCH_ROWS && !this.writing && !this.flushSoon) {
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        void this.flush();
      });
    }
  }

  /** Writes everything queued, batch after batch; stops at the first failure. Tests call it to skip the wait. */
  flush(): Promise<void> {
    this.writing ??= this.writeAll().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.queue.size > 0) {
      const batch = this.queue.take(this.config.REQUEST_LOG_BATCH_ROWS);
      try {
        await this.repository.insert(batch);
      } catch (error) {
        this.countDropped(this.queue.putBack(batch));
        const message = describeError(error);
        if (!this.lastError) this.logger.warn(`Request log rows wait in memory: writing them failed (${message})`);
        this.lastError = message;
        return;
      }
      this.metrics.requestLogWritten.inc(batch.length);
      this.lastWrittenAt = Date.now();
      if (this.lastError) this.logger.log('Request log rows are written again');
      this.lastError = undefined;
    }
  }

  private countDropped(count: number): void {
    if (count === 0) return;
    this.dropped += count;
    this.metrics.requestLogDropped.inc(count);
  }
}
