import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { type JsonLogger, type MetricsService, type MetricsSnapshot, describeError, sleep } from '@switchboard/kernel';

/**
 * Several processes of one app on one port (node:cluster: the primary accepts connections and
 * hands them to the workers in turn). Each worker is a full replica of the app (its own routing
 * table, admission gate and rate-limit counters, sharing circuits and limits through Redis like
 * replicas do); the primary only supervises them and answers /metrics for all of them.
 */

/** Messages between a worker and the primary, for /metrics. */
type MetricsMessage =
  | { kind: 'switchboard:metrics-request'; id: number }
  | { kind: 'switchboard:metrics-collect'; id: number }
  | { kind: 'switchboard:metrics-snapshot'; id: number; metrics: MetricsSnapshot }
  | { kind: 'switchboard:metrics-text'; id: number; text: string }
  | { kind: 'switchboard:metrics-error'; id: number; message: string };

const isMetricsMessage = (message: unknown): message is MetricsMessage =>
  typeof message === 'object' &&
  message !== null &&
  typeof (message as { kind?: unknown }).kind === 'string' &&
  (message as { kind: string }).kind.startsWith('switchboard:metrics-');

/** How long the primary waits for every worker's metrics before answering with what it has. */
const COLLECT_TIMEOUT_MS = 2_000;
/** A worker that dies is replaced after this pause, growing while it keeps dying (a crash loop). */
const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;

/**
 * The primary: forks `count` workers, replaces any that dies once the app has listened (with a
 * growing pause while they keep dying), exits 1 when a worker dies before any listened (a start-up
 * failure), stops them all on SIGTERM/SIGINT (each drains like a single process does), and
 * aggregates their metrics when one of them is scraped.
 */
export function supervise(appName: string, count: number, logger: JsonLogger, graceMs: number): void {
  let stopping = false;
  let quickDeaths = 0;
  let anyListened = false;
  const stop = (exitCode: number) => {
    stopping = true;
    void stopWorkers(graceMs).then((clean) => process.exit(clean ? exitCode : 1));
  };
  const fork = () => {
    const started = Date.now();
    const worker = cluster.fork();
    worker.once('listening', () => {
      anyListened = true;
    });
    worker.on('message', (message: unknown) => {
      if (isMetricsMessage(message) && message.kind === 'switchboard:metrics-request')
        void answerMetricsRequest(worker, message.id);
    });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      if (!anyListened) {
        // A start-up failure (a port in use, a bad setting) fails every worker alike: exit as a
        // single process would, instead of restarting them forever.
        logger.error(
          `${appName} worker ${worker.process.pid} exited (${signal ?? `code ${code}`}) before any worker listened; stopping`,
          undefined,
          'Workers',
        );
        stop(1);
        return;
      }
      quickDeaths = Date.now() - started < 10_000 ? quickDeaths + 1 : 0;
      const pause = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** quickDeaths);
      logger.error(
        `${appName} worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another in ${pause} ms`,
        undefined,
        'Workers',
      );
      // Not unref'd: with every worker gone this timer is what keeps the primary alive to restart them.
      setTimeout(fork, pause);
    });
  };
  for (let index = 0; index < count; index += 1) fork();
  logger.log(`${appName}: ${count} workers on one port (GATEWAY_WORKERS)`, 'Workers');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (!stopping) stop(0);
    });
  }
}

async function stopWorkers(graceMs: number): Promise<boolean> {
  const workers = allWorkers();
  const exits = workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
  for (const worker of workers) worker.process.kill('SIGTERM');
  const finished = await Promise.race([Promise.all(exits).then(() => true), sleep(graceMs + 1_000).then(() => false)]);
  if (!finished) for (const worker of workers) worker.process.kill('SIGKILL');
  return finished;
}

function allWorkers(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
}

let nextCollectId = 0;

/** Asks every worker for its metrics and sends the sum (prom-client's aggregation) to the one scraped. */
async function answerMetricsRequest(requester: Worker, requestId: number): Promise<void> {
  try {
    const snapshots = await collectSnapshots();
    const text = await AggregatorRegistry.aggregate(snapshots).metrics();
    requester.send({ kind: 'switchboard:metrics-text', id: requestId, text } satisfies MetricsMessage);
  } catch (error) {
    requester.send({
      kind: 'switchboard:metrics-error',
      id: requestId,
      message: describeError(error),
    } satisfies MetricsMessage);
  }
}

function collectSnapshots(): Promise<MetricsSnapshot[]> {
  const workers = allWorkers().filter((worker) => worker.isConnected());
  const id = ++nextCollectId;
  return new Promise((resolve) => {
    const snapshots: MetricsSnapshot[] = [];
    const listeners = new Map<Worker, (message: unknown) => void>();
    const finish = () => {
      clearTimeout(timer);
      for (const [worker, listener] of listeners) worker.off('message', listener);
      resolve(snapshots);
    };
    // A worker that is starting or stuck does not hold the scrape: the others are answered.
    const timer = setTimeout(finish, COLLECT_TIMEOUT_MS);
    for (const worker of workers) {
      const listener = (message: unknown) => {
        if (!isMetricsMessage(message) || message.kind !== 'switchboard:metrics-snapshot' || message.id !== id) return;
        snapshots.push(message.metrics);
        worker.off('message', listener);
        listeners.delete(worker);
        if (listeners.size === 0) finish();
      };
      listeners.set(worker, listener);
      worker.on('message', listener);
      worker.send({ kind: 'switchboard:metrics-collect', id } satisfies MetricsMessage);
    }
    if (workers.length === 0) finish();
  });
}

/**
 * A worker's side of /metrics: it answers the primary's collect requests with its own registry,
 * and renders a scrape by asking the primary for every worker's sum.
 */
export class WorkerMetrics {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();

  constructor(private readonly metrics: MetricsService) {
    process.on('message', (message: unknown) => {
      if (!isMetricsMessage(message)) return;
      if (message.kind === 'switchboard:metrics-collect') void this.sendSnapshot(message.id);
      else if (message.kind === 'switchboard:metrics-text') this.settle(message.id, message.text);
      else if (message.kind === 'switchboard:metrics-error')
        this.settle(message.id, undefined, new Error(`aggregating the workers' metrics failed: ${message.message}`));
    });
  }

  render(): Promise<string> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      process.send?.({ kind: 'switchboard:metrics-request', id } satisfies MetricsMessage);
      setTimeout(
        () => this.settle(id, undefined, new Error('the primary did not answer the metrics request')),
        COLLECT_TIMEOUT_MS * 2,
      ).unref();
    });
  }

  private async sendSnapshot(id: number): Promise<void> {
    const metrics = await this.metrics.snapshot();
    process.send?.({ kind: 'switchboard:metrics-snapshot', id, metrics } satisfies MetricsMessage);
  }

  private settle(id: number, text?: string, error?: Error): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    if (error) waiting.reject(error);
    else waiting.resolve(text ?? '');
  }
}
