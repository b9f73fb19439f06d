import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig, describeError, MetricsService, redactSecrets } from '@switchboard/kernel';
import type { RequestLogRow } from './request-log-row.js';
import { RequestLogRepository, RequestLogRowsRefusedError } from './request-log.repository.js';
import { RowQueue, type RowWeight, type Shed } from './row-queue.js';

/** The longest shutdown waits for the last rows to be written. */
const SHUTDOWN_FLUSH_LIMIT_MS = 3_000;
/** A row's weight besides its strings: the object, its dates and numbers (an estimate, not a measure). */
const ROW_OVERHEAD_BYTES = 400;

/** Why a row was dropped (the metric's reason label). */
type DropReason = 'queue_full' | 'refused';

/** Approximate bytes of a queued row: UTF-16 strings, two bytes a character. */
function bytesOf(row: RequestLogRow): number {
  let characters = 0;
  for (const text of [
    row.requestId,
    row.route,
    row.requestedModel,
    row.servedProvider,
    row.servedModel,
    row.instanceId,
    row.instanceName,
    row.errorKind,
    row.userAgent,
    row.prompt,
    row.answer,
  ])
    characters += text?.length ?? 0;
  return ROW_OVERHEAD_BYTES + 2 * characters;
}

function withoutBodies(row: RequestLogRow): RequestLogRow | undefined {
  return row.prompt === null && row.answer === null ? undefined : { ...row, prompt: null, answer: null };
}

/**
 * The gateway's side of the request log: requests append their row to a bounded queue in memory
 * (no I/O on the request path) and a timer writes the queue in batches of REQUEST_LOG_BATCH_ROWS,
 * every REQUEST_LOG_FLUSH_MS or as soon as a batch is full. One write at a time; a batch that
 * failed for want of Postgres goes back in front and is tried again on the next tick. While Postgres
 * is away the queue fills up to REQUEST_LOG_QUEUE_MAX rows or REQUEST_LOG_QUEUE_MAX_BYTES (the
 * oldest rows' bodies go first), then the oldest rows are dropped and counted
 * (switchboard_request_log_dropped_total{reason="queue_full"}): serving never waits for the log.
 * A batch Postgres refuses for its data would fail the same way forever: it is halved until the
 * bad rows stand alone, and those are dropped and counted (reason="refused").
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
    const weight: RowWeight<RequestLogRow> = {
      maxBytes: config.REQUEST_LOG_QUEUE_MAX_BYTES,
      bytesOf,
      lighten: withoutBodies,
    };
    this.queue = new RowQueue(config.REQUEST_LOG_QUEUE_MAX, weight);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.writeUnlessWriting(), this.config.REQUEST_LOG_FLUSH_MS);
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
    await this.repository.close().catch(() => undefined);
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Queues a row. No I/O: a full batch only schedules a write for the next turn of the event loop. */
  append(row: RequestLogRow): void {
    this.countShed(this.queue.push(row));
    if (this.queue.size >= this.config.REQUEST_LOG_BATCH_ROWS && !this.writing && !this.flushSoon) {
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        this.writeUnlessWriting();
      });
    }
  }

  /**
   * Writes everything queued now, after the write in progress if there is one; stops at the first
   * failure. Shutdown and tests call it to skip the wait.
   */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    this.writing = this.writeQueued().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** The timer's and a full batch's write: a tick that finds a write still running leaves it alone. */
  private writeUnlessWriting(): void {
    if (!this.writing) void this.flush();
  }

  /**
   * Writes the rows queued when it starts, then only full batches. Rows that arrive during a write
   * wait for the next tick: chasing them would turn a steady stream of requests into a stream of
   * small statements, and each statement costs Postgres a few milliseconds whatever its size (at
   * 1,000 requests/s that made the log cost Postgres 100 µs a row instead of 30).
   */
  private async writeQueued(): Promise<void> {
    let due = this.queue.size;
    while (this.queue.size > 0 && (due > 0 || this.queue.size >= this.config.REQUEST_LOG_BATCH_ROWS)) {
      const batch = this.queue.take(this.config.REQUEST_LOG_BATCH_ROWS);
      due -= batch.length;
      const failure = await this.write(batch);
      if (failure) {
        this.countShed(this.queue.putBack(failure.unwritten));
        const message = describeError(failure.error);
        if (!this.lastError) this.logger.warn(`Request log rows wait in memory: writing them failed (${message})`);
        this.lastError = message;
        return;
      }
      this.lastWrittenAt = Date.now();
      if (this.lastError) this.logger.log('Request log rows are written again');
      this.lastError = undefined;
    }
  }

  /**
   * Writes a batch, in parts when Postgres refuses some of its rows: a refused part is halved until
   * each bad row is alone, and that row is dropped. Returns the rows left unwritten (in order) when
   * any other error stops the write.
   */
  private async write(batch: RequestLogRow[]): Promise<{ unwritten: RequestLogRow[]; error: unknown } | undefined> {
    const parts = [batch];
    while (parts.length > 0) {
      const part = parts.shift()!;
      try {
        await this.repository.insert(part);
        this.metrics.requestLogWritten.inc(part.length);
      } catch (error) {
        if (!(error instanceof RequestLogRowsRefusedError)) return { unwritten: [part, ...parts].flat(), error };
        if (part.length > 1) {
          const middle = Math.ceil(part.length / 2);
          parts.unshift(part.slice(0, middle), part.slice(middle));
          continue;
        }
        this.logger.warn(
          `Request log row ${part[0]!.id} dropped: Postgres refused it (${error.sqlState}: ${redactSecrets(error.message)})`,
        );
        this.countDropped(1, 'refused');
      }
    }
    return undefined;
  }

  private countShed(shed: Shed): void {
    if (shed.lightened > 0) this.metrics.requestLogBodiesDropped.inc(shed.lightened);
    this.countDropped(shed.dropped, 'queue_full');
  }

  private countDropped(count: number, reason: DropReason): void {
    if (count === 0) return;
    this.dropped += count;
    this.metrics.requestLogDropped.inc({ reason }, count);
  }
}
