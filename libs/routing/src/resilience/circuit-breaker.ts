export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** Failure ratio over the window that opens it, once minimumRequests were seen. */
  failureRatio: number;
  minimumRequests: number;
  /** The sliding window the ratio is computed over. */
  windowMs: number;
  /** How long an open circuit refuses work before letting trial requests through. */
  coolDownMs: number;
  /** Trial requests allowed at once while half-open; that many successes close it again. */
  halfOpenTrials: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = {
  failureThreshold: 5,
  failureRatio: 0.5,
  minimumRequests: 10,
  windowMs: 30_000,
  coolDownMs: 10_000,
  halfOpenTrials: 1,
};

/**
 * One instance's circuit breaker. CLOSED lets everything through and counts outcomes; too many
 * consecutive failures, or too high a failure ratio over enough requests, open it. OPEN refuses
 * until the cool-down has passed, then HALF_OPEN lets a few trials through: their success closes
 * it, a failure opens it again. Pure: time comes in as an argument.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private outcomes: { at: number; ok: boolean }[] = [];
  private openedAt = 0;
  private trialsInFlight = 0;
  private trialSuccesses = 0;

  constructor(private readonly options: CircuitBreakerOptions = DEFAULT_CIRCUIT_BREAKER) {}

  state(now: number): CircuitState {
    if (this.current === 'open' && now - this.openedAt >= this.options.coolDownMs) {
      this.current = 'half_open';
      this.trialsInFlight = 0;
      this.trialSuccesses = 0;
    }
    return this.current;
  }

  /** Whether a request may go; a half-open circuit counts the trial it lets through. */
  tryAcquire(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.trialsInFlight >= this.options.halfOpenTrials) return false;
    this.trialsInFlight += 1;
    return true;
  }

  /** Whether a request could go now, without reserving a trial (for choosing among instances). */
  allows(now: number): boolean {
    const state = this.state(now);
    return state === 'closed' || (state === 'half_open' && this.trialsInFlight < this.options.halfOpenTrials);
  }

  onSuccess(now: number): void {
    this.record(now, true);
    this.consecutiveFailures = 0;
    if (this.current === 'half_open') {
      this.trialsInFlight = Math.max(0, this.trialsInFlight - 1);
      this.trialSuccesses += 1;
      if (this.trialSuccesses >= this.options.halfOpenTrials) this.close();
    }
  }

  onFailure(now: number): void {
    this.record(now, false);
    this.consecutiveFailures += 1;
    if (this.current === 'half_open') {
      this.open(now);
      return;
    }
    if (this.current !== 'closed') return;
    const recent = this.outcomes;
    const failures = recent.filter((outcome) => !outcome.ok).length;
    const ratioTripped =
      recent.length >= this.options.minimumRequests && failures / recent.length >= this.options.failureRatio;
    if (this.consecutiveFailures >= this.options.failureThreshold || ratioTripped) this.open(now);
  }

  /** A request it let through ended without a verdict (the client went away): free its trial. */
  onCancel(): void {
    if (this.current === 'half_open') this.trialsInFlight = Math.max(0, this.trialsInFlight - 1);
  }

  /** Another replica saw this instance trip: follow it. */
  forceOpen(now: number): void {
    if (this.current !== 'open') this.open(now);
  }

  private open(now: number): void {
    this.current = 'open';
    this.openedAt = now;
    this.trialsInFlight = 0;
    this.trialSuccesses = 0;
  }

  private close(): void {
    this.current = 'closed';
    this.consecutiveFailures = 0;
    this.outcomes = [];
  }

  private record(now: number, ok: boolean): void {
    this.outcomes.push({ at: now, ok });
    const horizon = now - this.options.windowMs;
    while (this.outcomes.length > 0 && this.outcomes[0]!.at < horizon) this.outcomes.shift();
  }
}
