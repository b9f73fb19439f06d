export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Injected for tests; Math.random by default. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: the ceiling doubles per failed attempt up to maxMs, and the delay
 * is drawn from the upper half of it, so replicas spread out but never spin on a zero delay.
 */
export function backoffDelay(attempt: number, { initialMs, maxMs, random = Math.random }: BackoffOptions): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(attempt, 30)));
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
