export interface RetryBudgetOptions {
  /** Retries allowed as a share of the requests seen over the window (0.2 = one retry per five requests). */
  ratio: number;
  /** Retries always allowed per second, so a quiet gateway can still retry. */
  minRetriesPerSecond: number;
  /** The window requests and retries are counted over. */
  windowMs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { ratio: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 };

const BUCKET_MS = 1_000;

/**
 * A retry budget shared by all requests of a gateway: retries may add at most `ratio` extra load
 * (plus a small floor), so an outage does not turn into a retry storm that multiplies traffic on
 * the providers still standing. Counts live in one-second buckets over a sliding window. Pure: time
 * comes in as an argument.
 */
export class RetryBudget {
  private readonly requests: number[];
  private readonly retries: number[];
  private readonly stamps: number[];

  constructor(private readonly options: RetryBudgetOptions = DEFAULT_RETRY_BUDGET) {
    const buckets = Math.max(1, Math.ceil(options.windowMs / BUCKET_MS));
    this.requests = new Array<number>(buckets).fill(0);
    this.retries = new Array<number>(buckets).fill(0);
    this.stamps = new Array<number>(buckets).fill(-1);
  }

  recordRequest(now: number): void {
    this.requests[this.bucket(now)]! += 1;
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryRetry(now: number): boolean {
    const current = this.bucket(now);
    let requests = 0;
    let retries = 0;
    const oldest = Math.floor(now / BUCKET_MS) - this.stamps.length + 1;
    for (let index = 0; index < this.stamps.length; index += 1) {
      if (this.stamps[index]! < oldest) continue;
      requests += this.requests[index]!;
      retries += this.retries[index]!;
    }
    const allowed = requests * this.options.ratio + (this.options.minRetriesPerSecond * this.options.windowMs) / 1000;
    if (retries + 1 > allowed) return false;
    this.retries[current]! += 1;
    return true;
  }

  private bucket(now: number): number {
    const second = Math.floor(now / BUCKET_MS);
    const index = second % this.stamps.length;
    if (this.stamps[index] !== second) {
      this.stamps[index] = second;
      this.requests[index] = 0;
      this.retries[index] = 0;
    }
    return index;
  }
}
