export interface AdmissionLimits {
  /** Requests this replica serves at once; past it they wait in line. */
  maxInFlight: number;
  /** Requests allowed to wait; past it a request is refused at once. */
  maxQueued: number;
  /** The longest a request waits in line before it is refused. */
  maxWaitMs: number;
}

/** Why a request was not admitted, and when trying again makes sense. */
export class AdmissionRefusal {
  constructor(
    readonly reason: 'queue_full' | 'wait_exceeded',
    readonly message: string,
    readonly retryAfterSeconds: number,
  ) {}
}

interface Waiter {
  admit: (release: () => void) => void;
  refuse: (refusal: AdmissionRefusal) => void;
  timer: NodeJS.Timeout;
}

/**
 * Bounds what one gateway replica takes on: at most maxInFlight requests are served at once, at
 * most maxQueued wait for a slot, and none waits longer than maxWaitMs. Past those bounds a request
 * is refused at once (503 with Retry-After) rather than queued until it is useless to its client;
 * what is admitted keeps a bounded latency. Waiters are served first come, first served.
 */
export class AdmissionGate {
  private inFlight = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limits: AdmissionLimits) {}

  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.waiting.length };
  }

  /**
   * A release function when a slot is free now (no promise, no tick lost), a promise of one when
   * the request must wait, or a refusal. Call release exactly once, when the response is finished.
   */
  enter(): (() => void) | Promise<() => void> | AdmissionRefusal {
    if (this.inFlight < this.limits.maxInFlight) return this.occupy();
    if (this.waiting.length >= this.limits.maxQueued)
      return new AdmissionRefusal(
        'queue_full',
        `The gateway is at capacity (${this.limits.maxInFlight} requests in flight, ${this.waiting.length} waiting); retry shortly`,
        1,
      );
    return new Promise<() => void>((admit, refuse) => {
      const waiter: Waiter = {
        admit,
        refuse,
        timer: setTimeout(() => {
          const index = this.waiting.indexOf(waiter);
          if (index !== -1) this.waiting.splice(index, 1);
          refuse(
            new AdmissionRefusal(
              'wait_exceeded',
              `The gateway is at capacity: no slot freed within ${this.limits.maxWaitMs} ms; retry shortly`,
              1,
            ),
          );
        }, this.limits.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  private occupy(): () => void {
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      this.handOver();
    };
  }

  /** A freed slot goes to the longest waiter. */
  private handOver(): void {
    const next = this.waiting.shift();
    if (!next) return;
    clearTimeout(next.timer);
    next.admit(this.occupy());
  }
}
