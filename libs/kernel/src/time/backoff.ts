export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /**
   * How the delay is drawn below the doubling ceiling:
   * - equal (the default): from the upper half, so a loop never spins on a zero delay; right for
   *   one process retrying the same dependency (Consul watches, registration, leader election).
   * - full: from [0, ceiling), AWS's "full jitter"; spreads many clients the most at the cost of
   *   some near-zero waits, which is right when the next attempt goes elsewhere anyway (failover
   *   to another instance).
   */
  jitter?: 'equal' | 'full';
  /** Injected for tests; Math.random by default. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: the ceiling is initialMs doubled per failed attempt (attempt 0
 * is the first retry), capped at maxMs; the delay is drawn below it as `jitter` says.
 */
export function backoffDelay(
  attempt: number,
  { initialMs, maxMs, jitter = 'equal', random = Math.random }: BackoffOptions,
): number {
  // The exponent is clamped so a long outage cannot overflow 2 ** attempt into Infinity.
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  if (jitter === 'full') return Math.floor(random() * ceiling);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Resolves after ms, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
