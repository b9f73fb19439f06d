import { backoffDelay, sleep } from '@switchboard/kernel';
import { ProviderError } from '@switchboard/providers';
import type { InstanceBalancer } from '../balancing/instance-balancer.js';
import type { RouteCandidate, RouteDecision } from '../policy/router.js';
import type { InstanceCircuits } from '../resilience/instance-circuits.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { InstanceTable, TableInstance } from '../table/instance-table.js';
import { type AttemptOutcomes, coolDownEnd } from './attempt-outcomes.js';
import { NoHealthyInstanceError, RequestCancelledError } from './failover-errors.js';
import { pickInstance, shortestCoolDown } from './instance-pick.js';

/** Who served a request and what it took. */
export interface ServedReport {
  candidate: RouteCandidate;
  instance: TableInstance;
  /** Upstream attempts made, the successful one included. */
  attempts: number;
  /** Moves to another provider along the way. */
  fallbacks: number;
  /** Time spent waiting on upstreams (every attempt up to the answer, or up to the first token). */
  upstreamMs: number;
  backoffMs: number;
}

/**
 * What a request spent on its way, kept up to date as it goes, for whoever records the request
 * whether it succeeds or not (the request log).
 */
export interface AttemptTally {
  attempts: number;
  fallbacks: number;
  /** The instance tried last (the one that served, on success). */
  lastInstance?: TableInstance;
  lastCandidate?: RouteCandidate;
}

/** The attempt that worked: its value (an answer, or a stream's first content), the report, and its own duration. */
export interface Attempted<T> {
  value: T;
  report: ServedReport;
  /** The successful attempt alone. */
  attemptMs: number;
}

/** One upstream attempt on a chosen instance; throws a ProviderError when the upstream fails. */
export type Attempt<T> = (instance: TableInstance, candidate: RouteCandidate) => Promise<T>;

/** Waiting and chance, injectable so tests neither sleep for real nor depend on luck. */
export interface FailoverTiming {
  /** Resolves after ms, or early (without throwing) when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
}

export const SYSTEM_TIMING: FailoverTiming = { sleep, random: Math.random };

/** The failover knobs, read from the configuration once per request. */
export interface FailoverSettings {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** The longest Retry-After worth waiting out before asking a rate-limited pool again. */
  maxRetryAfterMs: number;
}

/** What a run works with; shared by every request of the orchestrator. */
export interface FailoverDeps {
  balancer: InstanceBalancer;
  table: InstanceTable;
  circuits: InstanceCircuits;
  budget: RetryBudget;
  outcomes: AttemptOutcomes;
  timing: FailoverTiming;
  settings: FailoverSettings;
}

/**
 * One request's way through its route: the candidates in the router's order and, within each,
 * one instance after another, until an attempt succeeds. It holds what the request has spent so
 * far (attempts, time, the instances tried, the last failure), so the limits apply per request.
 *
 * Only retryable failures move on (never a bad request, an auth or a quota error); every further
 * attempt waits a full-jitter backoff and takes a token from the gateway-wide retry budget. When
 * everyone left is rate limited, the shortest Retry-After is waited out once (if short enough) and
 * the route is walked again. Used once: create one per request.
 */
export class FailoverRun {
  private readonly tried = new Set<string>();
  private attempts = 0;
  private fallbacks = 0;
  private upstreamMs = 0;
  private backoffMs = 0;
  private lastError: ProviderError | undefined;
  /** The instance whose attempt failed last, whom a retry is counted against. */
  private lastFailed: TableInstance | undefined;
  private lastProvider: string | undefined;
  /** The earliest end of a Retry-After this request was given. */
  private rateLimitedUntil: number | undefined;
  /**
   * The end of a Retry-After this run waited out. Timers may fire a millisecond before the wall
   * clock reads their deadline; picks after the wait count the time as that deadline at least, so
   * the cool-down waited for is over for them.
   */
  private waitedUntil = 0;

  constructor(
    private readonly deps: FailoverDeps,
    private readonly decision: RouteDecision,
    private readonly signal: AbortSignal,
    private readonly tally?: AttemptTally,
  ) {}

  /** Resolves with the first attempt that worked; rejects with why none did. */
  async execute<T>(attempt: Attempt<T>): Promise<Attempted<T>> {
    this.deps.budget.recordRequest(Date.now());
    let served = await this.walkRoute(attempt);
    if (!served && (await this.waitOutRetryAfter())) served = await this.walkRoute(attempt);
    if (served) return served;
    if (this.signal.aborted) throw new RequestCancelledError();
    throw this.exhausted();
  }

  /** No more attempts in this request: out of attempts, or the client is gone. */
  private get stopped(): boolean {
    return this.attempts >= this.deps.settings.maxAttempts || this.signal.aborted;
  }

  /** One pass over the candidates in order; undefined when every instance that could be tried failed retryably. */
  private async walkRoute<T>(attempt: Attempt<T>): Promise<Attempted<T> | undefined> {
    for (const candidate of this.decision.candidates) {
      while (!this.stopped) {
        const now = Math.max(Date.now(), this.waitedUntil);
        const instance = pickInstance(this.deps, candidate.pool, this.tried, now, (keyless) => {
          // Only when nothing better is known: an upstream failure says more than a missing key.
          this.lastError ??= keylessError(keyless);
        });
        if (!instance) break;
        const served = await this.tryInstance(candidate, instance, attempt);
        if (served) return served;
      }
      if (this.stopped) break;
    }
    return undefined;
  }

  private async tryInstance<T>(
    candidate: RouteCandidate,
    instance: TableInstance,
    attempt: Attempt<T>,
  ): Promise<Attempted<T> | undefined> {
    if (this.attempts > 0) await this.backOff(instance);
    // Counted here, when the attempt really goes out: a candidate with nothing to try was no fallback.
    if (this.lastProvider && this.lastProvider !== candidate.provider) {
      this.deps.outcomes.fellBack(this.lastProvider, candidate.provider);
      this.fallbacks += 1;
    }
    this.attempts += 1;
    this.lastProvider = candidate.provider;
    if (this.tally) {
      this.tally.attempts = this.attempts;
      this.tally.fallbacks = this.fallbacks;
      this.tally.lastInstance = instance;
      this.tally.lastCandidate = candidate;
    }
    this.deps.outcomes.started(instance);
    const started = performance.now();
    try {
      const value = await attempt(instance, candidate);
      const attemptMs = performance.now() - started;
      this.upstreamMs += attemptMs;
      return { value, report: this.report(candidate, instance), attemptMs };
    } catch (error) {
      const elapsed = performance.now() - started;
      this.upstreamMs += elapsed;
      if (this.signal.aborted || !(error instanceof ProviderError)) {
        this.deps.outcomes.abandoned(instance);
        if (this.signal.aborted) throw new RequestCancelledError();
        throw error;
      }
      this.deps.outcomes.failed(instance, error, elapsed);
      this.lastError = error;
      this.lastFailed = instance;
      if (error.kind === 'rate_limited') {
        const until = coolDownEnd(error, Date.now());
        this.rateLimitedUntil = Math.min(this.rateLimitedUntil ?? until, until);
      }
      if (!error.retryable) throw error;
      return undefined;
    }
  }

  /**
   * Before a retry: take a token from the gateway-wide budget (an outage must not multiply the
   * traffic on the providers still standing), then wait a full-jitter backoff. Full jitter because
   * the retry usually goes to another instance, so spreading retries matters more than a floor.
   */
  private async backOff(instance: TableInstance): Promise<void> {
    if (!this.deps.budget.tryRetry(Date.now())) {
      this.deps.outcomes.notAttempted(instance);
      throw this.exhausted();
    }
    const { backoffBaseMs, backoffMaxMs } = this.deps.settings;
    const delay = backoffDelay(this.attempts - 1, {
      initialMs: backoffBaseMs,
      maxMs: backoffMaxMs,
      jitter: 'full',
      random: this.deps.timing.random,
    });
    if (delay > 0) {
      await this.deps.timing.sleep(delay, this.signal);
      this.backoffMs += delay;
    }
    // The sleep ends early, without throwing, when the client leaves: do not send for nobody.
    if (this.signal.aborted) {
      this.deps.outcomes.notAttempted(instance);
      throw new RequestCancelledError();
    }
    if (this.lastError) this.deps.outcomes.retrying(this.lastError, this.lastFailed);
  }

  /**
   * When the pass ended on a 429, everyone left is probably rate limited: wait out the shortest
   * Retry-After once, if it is short enough, and allow every instance again. True when the route
   * is worth walking again.
   */
  private async waitOutRetryAfter(): Promise<boolean> {
    if (this.stopped || this.lastError?.kind !== 'rate_limited') return false;
    const now = Date.now();
    const pools = this.decision.candidates.map((candidate) => candidate.pool);
    // The table only knows cool-downs still running; a Retry-After of 0 (or one already over)
    // left none there, yet it means "ask again now", so this run's own 429s count too.
    const waits = [shortestCoolDown(this.deps.table, pools, now)];
    if (this.rateLimitedUntil !== undefined) waits.push(Math.max(0, this.rateLimitedUntil - now));
    const known = waits.filter((wait) => wait !== undefined);
    if (known.length === 0) return false;
    const wait = Math.min(...known);
    if (wait > this.deps.settings.maxRetryAfterMs) return false;
    if (wait > 0) {
      await this.deps.timing.sleep(wait, this.signal);
      this.backoffMs += wait;
      this.waitedUntil = now + wait;
    }
    this.tried.clear();
    return !this.signal.aborted;
  }

  private report(candidate: RouteCandidate, instance: TableInstance): ServedReport {
    return {
      candidate,
      instance,
      attempts: this.attempts,
      fallbacks: this.fallbacks,
      upstreamMs: this.upstreamMs,
      backoffMs: this.backoffMs,
    };
  }

  private exhausted(): NoHealthyInstanceError {
    return new NoHealthyInstanceError(
      this.decision.candidates.map((candidate) => candidate.pool),
      this.lastError,
    );
  }
}

function keylessError(instance: TableInstance): ProviderError {
  return new ProviderError({
    provider: instance.provider,
    kind: 'auth',
    status: 0,
    message: `instance ${instance.name} has no usable API key`,
  });
}
