import { describeError } from '../errors/describe-error.js';

/** The two verdicts a readiness indicator (Terminus's) gives a dependency an app can serve without. */
export interface DependencyIndicator<Result> {
  up(details?: Record<string, unknown>): Result;
  degraded(details?: Record<string, unknown>): Result;
}

/**
 * One readiness ping of an infrastructure dependency (Consul, Redis, Postgres) that the apps can
 * serve without: up with its latency (and whatever the ping reports), or degraded saying why,
 * never down. The ping gets a signal that aborts at the time limit; a ping that ignores it is
 * still cut off there, so readiness answers in bounded time.
 */
export async function checkDependency<Result>(
  indicator: DependencyIndicator<Result>,
  ping: (signal: AbortSignal) => Promise<Record<string, unknown> | undefined>,
  options: { timeoutMs: number; whenDown: string },
): Promise<Result> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  try {
    const details = await Promise.race([
      ping(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`no answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }),
    ]);
    return indicator.up({ latencyMs: Math.round((performance.now() - started) * 10) / 10, ...details });
  } catch (error) {
    return indicator.degraded({ message: `${options.whenDown}: ${describeError(error)}` });
  } finally {
    clearTimeout(timer);
  }
}
