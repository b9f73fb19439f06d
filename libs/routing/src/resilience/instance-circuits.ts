import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { MetricsService } from '@switchboard/kernel';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
import { InstanceTable, type TableInstance } from '../table/instance-table.js';
import { RedisEventsFeed } from '../table/redis-events-feed.js';

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * One circuit breaker per instance, in memory. A trip is published on Redis so the other
 * replicas open theirs too (within the pub/sub delivery time); recovery (half-open trials) stays
 * local to each replica, so every one of them checks for itself that the instance is back.
 */
@Injectable()
export class InstanceCircuits implements OnModuleInit {
  private readonly logger = new Logger(InstanceCircuits.name);
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly lastState = new Map<string, CircuitState>();
  /** Instances whose circuit is open or half-open: few, so a balancer can look for due trials without a scan. */
  private readonly notClosed = new Set<string>();
  /** Since when each of those has not been closed, and the failure that opened it: what operators ask first. */
  private readonly openedBy = new Map<string, { sinceMs: number; reason?: string }>();
  readonly options: CircuitBreakerOptions;
  private readonly serviceId: string;

  constructor(
    config: AppConfig,
    private readonly table: InstanceTable,
    private readonly events: RedisEventsFeed,
    private readonly metrics: MetricsService,
  ) {
    this.options = {
      failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
      failureRatio: config.CIRCUIT_FAILURE_RATIO_PERCENT / 100,
      minimumRequests: config.CIRCUIT_MINIMUM_REQUESTS,
      windowMs: config.CIRCUIT_WINDOW_MS,
      coolDownMs: config.CIRCUIT_COOL_DOWN_MS,
      halfOpenTrials: config.CIRCUIT_HALF_OPEN_TRIALS,
    };
    this.serviceId = config.serviceId;
  }

  onModuleInit(): void {
    this.events.onCircuitEvent((event) => {
      if (event.origin === this.serviceId) return;
      const instance = this.table.get(event.instanceId);
      if (!instance) return;
      const now = Date.now();
      this.breaker(instance.id).forceOpen(now);
      this.noteTransition(instance, now, `opened by ${event.origin}`);
    });
    // Instances that left the table take their circuits along: nothing else would ever clear them.
    this.table.onChange(() => this.forgetRemoved());
    this.metrics.addCollector(() => {
      this.metrics.circuitState.reset();
      const now = Date.now();
      for (const instance of this.table.all())
        this.metrics.circuitState.set(
          { provider: instance.provider, instance: instance.name },
          STATE_VALUE[this.state(instance.id, now)],
        );
    });
  }

  state(instanceId: string, now = Date.now()): CircuitState {
    return this.breakers.get(instanceId)?.state(now) ?? 'closed';
  }

  /** Ids of the instances whose circuit is not closed (open, or half-open once its cool-down passed). */
  unclosed(): ReadonlySet<string> {
    return this.notClosed;
  }

  /** The circuits not closed now, with since when (leaving closed, not the last open/half-open flip) and why. */
  unclosedDetails(now: number): Map<string, { state: 'open' | 'half_open'; sinceMs: number; reason?: string }> {
    const details = new Map<string, { state: 'open' | 'half_open'; sinceMs: number; reason?: string }>();
    for (const instanceId of this.notClosed) {
      const state = this.state(instanceId, now);
      if (state === 'closed') continue;
      const opened = this.openedBy.get(instanceId);
      details.set(instanceId, { state, sinceMs: opened?.sinceMs ?? now, reason: opened?.reason });
    }
    return details;
  }

  allows(instanceId: string, now: number): boolean {
    return this.breakers.get(instanceId)?.allows(now) ?? true;
  }

  tryAcquire(instance: TableInstance, now: number): boolean {
    const breaker = this.breakers.get(instance.id);
    if (!breaker) return true;
    const allowed = breaker.tryAcquire(now);
    this.noteTransition(instance, now);
    return allowed;
  }

  onSuccess(instance: TableInstance, now: number): void {
    const breaker = this.breakers.get(instance.id);
    if (!breaker) return;
    breaker.onSuccess(now);
    this.noteTransition(instance, now);
  }

  onFailure(instance: TableInstance, now: number, reason: string): void {
    this.breaker(instance.id).onFailure(now);
    const state = this.noteTransition(instance, now, reason);
    if (state === 'open')
      this.events.publishCircuit({ type: 'circuit', instanceId: instance.id, state: 'open', origin: this.serviceId });
  }

  /** Opens the circuit at once: the instance cannot serve anyone (its credentials were rejected). */
  trip(instance: TableInstance, now: number, reason: string): void {
    this.breaker(instance.id).forceOpen(now);
    if (this.noteTransition(instance, now, reason) === 'open')
      this.events.publishCircuit({ type: 'circuit', instanceId: instance.id, state: 'open', origin: this.serviceId });
  }

  onCancel(instance: TableInstance): void {
    this.breakers.get(instance.id)?.onCancel();
  }

  private breaker(instanceId: string): CircuitBreaker {
    let breaker = this.breakers.get(instanceId);
    if (!breaker) {
      breaker = new CircuitBreaker(this.options);
      this.breakers.set(instanceId, breaker);
    }
    return breaker;
  }

  private forgetRemoved(): void {
    for (const instanceId of [...this.breakers.keys()]) {
      if (this.table.get(instanceId)) continue;
      this.breakers.delete(instanceId);
      this.lastState.delete(instanceId);
      this.notClosed.delete(instanceId);
      this.openedBy.delete(instanceId);
    }
  }

  /**
   * Counts and logs a state change; returns the state when it changed (to open, for publishing).
   * `now` is the caller's, so the state seen here is the one the caller's decision was made on.
   */
  private noteTransition(instance: TableInstance, now: number, reason?: string): CircuitState | undefined {
    const state = this.breakers.get(instance.id)?.state(now) ?? 'closed';
    const previous = this.lastState.get(instance.id) ?? 'closed';
    if (state === previous) return undefined;
    this.lastState.set(instance.id, state);
    if (state === 'closed') {
      this.notClosed.delete(instance.id);
      this.openedBy.delete(instance.id);
    } else {
      this.notClosed.add(instance.id);
      if (previous === 'closed') this.openedBy.set(instance.id, { sinceMs: now, reason });
    }
    this.metrics.circuitTransitions.inc({ provider: instance.provider, state });
    this.logger.log(`Circuit of ${instance.name} (${instance.provider}) is now ${state}${reason ? `: ${reason}` : ''}`);
    return state;
  }
}
