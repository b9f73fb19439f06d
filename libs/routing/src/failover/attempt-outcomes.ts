import type { MetricsService } from '@switchboard/kernel';
import type { ProviderError } from '@switchboard/providers';
import { countRequest } from '../admission/minute-window.js';
import type { InstanceCircuits } from '../resilience/instance-circuits.js';
import type { InstanceTable, TableInstance } from '../table/instance-table.js';
import type { TrafficRecorder } from '../traffic/traffic-recorder.js';

/** How long a 429 without a Retry-After keeps its instance out of rotation. */
const DEFAULT_COOL_DOWN_MS = 1_000;

/**
 * What the end of one upstream attempt means for everyone who keeps score: the instance's
 * in-flight count (which the balancer's concurrency caps read), its circuit, its Retry-After
 * cool-down and the attempt metrics. Every way an attempt can end goes through exactly one method
 * here, so an in-flight slot or a half-open trial permit cannot leak on a path nobody thought of.
 */
export class AttemptOutcomes {
  constructor(
    private readonly table: InstanceTable,
    private readonly circuits: InstanceCircuits,
    private readonly metrics: MetricsService,
    private readonly traffic: TrafficRecorder,
  ) {}

  /** The attempt is going out: the balancer counts it against the instance's concurrency cap. */
  started(instance: TableInstance): void {
    instance.observed.inFlight += 1;
    if (instance.rateLimitRpm) instance.observed.sent = countRequest(instance.observed.sent, Date.now());
  }

  succeeded(instance: TableInstance, elapsedMs: number): void {
    instance.observed.lastSuccessAt = Date.now();
    this.release(instance);
    this.circuits.onSuccess(instance, Date.now());
    this.observeDuration(instance, 'success', elapsedMs);
    this.traffic.attempt(instance.id, true, elapsedMs);
  }

  /**
   * The upstream failed. The client's own mistakes (bad request, unknown model, context too long)
   * leave the circuit alone; a 429 cools the instance down for its Retry-After instead of counting
   * against the circuit (it is busy, not broken); everything else counts as a circuit failure.
   */
  failed(instance: TableInstance, error: ProviderError, elapsedMs: number): void {
    const reason = `${error.kind}: ${error.message}`;
    instance.observed.lastError = reason;
    const now = Date.now();
    if (!error.clientFault) instance.observed.lastFailureAt = now;
    // The client's own mistakes say nothing about the instance that answered.
    if (error.clientFault) this.circuits.onCancel(instance);
    else if (error.accountFault) {
      // Every request to it would fail the same way until an operator fixes the key or the quota.
      this.circuits.trip(instance, now, reason);
      this.metrics.accountFailures.inc({ provider: instance.provider, kind: error.kind, source: 'traffic' });
    } else if (error.kind === 'rate_limited') {
      this.table.coolDown(instance, coolDownEnd(error, now));
      this.circuits.onCancel(instance);
    } else this.circuits.onFailure(instance, now, reason);
    this.release(instance);
    this.observeDuration(instance, error.kind, elapsedMs);
    // The client's own mistakes are no error of the instance's in the monitoring window either.
    this.traffic.attempt(instance.id, error.clientFault, elapsedMs);
  }

  /**
   * The attempt ended for a reason that says nothing about the instance (the client left, or our
   * own code threw): free its slot and hand back the circuit permit without a verdict.
   */
  abandoned(instance: TableInstance): void {
    this.release(instance);
    this.circuits.onCancel(instance);
  }

  /** A circuit permit was taken but the attempt never went out (budget spent, client gone during the backoff). */
  notAttempted(instance: TableInstance): void {
    this.circuits.onCancel(instance);
  }

  /** Another attempt follows a failure (of `failedInstance`, when one was tried). */
  retrying(after: ProviderError, failedInstance: TableInstance | undefined): void {
    this.metrics.retries.inc({ provider: after.provider, reason: after.kind });
    if (failedInstance) this.traffic.retry(failedInstance.id);
  }

  /** A streaming attempt delivered its first content token. */
  firstToken(instance: TableInstance, elapsedMs: number): void {
    this.metrics.timeToFirstToken.observe({ provider: instance.provider }, elapsedMs / 1000);
    this.traffic.firstToken(instance.id, elapsedMs);
  }

  /** The next attempt goes to another provider than the previous one did. */
  fellBack(fromProvider: string, toProvider: string): void {
    this.metrics.fallbacks.inc({ from_provider: fromProvider, to_provider: toProvider });
    this.traffic.fallback(fromProvider, toProvider);
  }

  private release(instance: TableInstance): void {
    instance.observed.inFlight = Math.max(0, instance.observed.inFlight - 1);
  }

  private observeDuration(instance: TableInstance, outcome: string, elapsedMs: number): void {
    this.metrics.upstreamDuration.observe({ provider: instance.provider, outcome }, elapsedMs / 1000);
  }
}

/** When a rate-limited instance may be asked again. */
export function coolDownEnd(error: ProviderError, now: number): number {
  return now + (error.retryAfterMs ?? DEFAULT_COOL_DOWN_MS);
}
