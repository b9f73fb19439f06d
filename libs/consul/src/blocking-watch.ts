import { backoffDelay, sleep } from '@switchboard/kernel';
import type { IndexedResult } from './consul.types.js';

/**
 * The index to send with the next blocking query, per Consul's rules: follow the index Consul
 * returned, even when it went backwards (a restarted or re-elected cluster: keeping the old, higher
 * index would block until the new state caught up and miss every change meanwhile), and never
 * below 1 (0 would make every query return at once).
 */
export function nextIndex(received: number): number {
  return Number.isFinite(received) && received >= 1 ? Math.floor(received) : 1;
}

/** Whether an answer carries news: a new index, or the first answer. */
export function isChange(previous: number, received: number): boolean {
  return previous === 0 || received !== previous;
}

export type BlockingQuery<T> = (index: number, waitSeconds: number, signal: AbortSignal) => Promise<IndexedResult<T>>;

export interface BlockingWatchOptions<T> {
  /** Consul's wait per query (set explicitly rather than relying on the agent's 5 min default). */
  waitSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Called with every new state. */
  onChange: (body: T, index: number) => void;
  /** Called on each failed query, with the delay before the next try. */
  onError?: (error: unknown, consecutiveFailures: number, retryInMs: number) => void;
  /** Called on the first answer after failed queries (before onChange, when it carries news). */
  onRecovered?: () => void;
  /** Called when the index went backwards and the watch followed it. */
  onReset?: (previous: number, received: number) => void;
}

/**
 * A long-poll loop over a Consul blocking query. It keeps the index, backs off with jitter on
 * errors (capped), and stops promptly on stop(): the query in flight is aborted. After a failure
 * it asks without blocking: a blocking retry would hide that Consul is back until something
 * changed or the wait ran out, and an unchanged index is still no change.
 */
export class BlockingWatch<T> {
  private index = 0;
  private failures = 0;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly query: BlockingQuery<T>,
    private readonly options: BlockingWatchOptions<T>,
  ) {}

  get lastIndex(): number {
    return this.index;
  }

  get running(): boolean {
    return this.controller !== undefined && !this.controller.signal.aborted;
  }

  start(): void {
    if (this.running) return;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const waitSeconds = this.options.waitSeconds ?? 30;
    while (!signal.aborted) {
      try {
        const result = await this.query(this.failures > 0 ? 0 : this.index, waitSeconds, signal);
        if (signal.aborted) return;
        if (this.failures > 0) {
          this.failures = 0;
          this.options.onRecovered?.();
        }
        if (this.index > 0 && result.index < this.index) this.options.onReset?.(this.index, result.index);
        const changed = isChange(this.index, result.index);
        const missingIndex = !(result.index >= 1);
        this.index = nextIndex(result.index);
        if (changed) this.options.onChange(result.body, this.index);
        // Without an X-Consul-Index (a proxy that strips it) every answer is immediate: poll
        // instead of spinning.
        if (missingIndex) await sleep(this.options.backoffMaxMs ?? 10_000, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.failures += 1;
        const delay = backoffDelay(this.failures - 1, {
          initialMs: this.options.backoffInitialMs ?? 250,
          maxMs: this.options.backoffMaxMs ?? 10_000,
        });
        this.options.onError?.(error, this.failures, delay);
        await sleep(delay, signal);
      }
    }
  }
}
