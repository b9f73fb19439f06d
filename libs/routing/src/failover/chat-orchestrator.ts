import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { sleep } from '@switchboard/kernel';
import { MetricsService } from '@switchboard/kernel';
import {
  adapterFor,
  type ChatRequest,
  type ChatResponse,
  type ClientError,
  ProviderClient,
  ProviderError,
  type StreamEvent,
  type Usage,
} from '@switchboard/providers';
import type { RouteCandidate, RouteDecision } from '../policy/router.js';
import { fullJitterDelay, RetryBudget } from '../resilience/retry-budget.js';
import { InstanceCircuits } from '../resilience/instance-circuits.js';
import { NoHealthyInstanceError, RequestCancelledError } from './failover-errors.js';
import { InstanceBalancer } from '../balancing/instance-balancer.js';
import { InstanceTable, type TableInstance } from '../table/instance-table.js';

/** Who served a request and what it took. */
export interface ServedReport {
  candidate: RouteCandidate;
  instance: TableInstance;
  /** Upstream attempts made, the successful one included. */
  attempts: number;
  /** Time spent waiting on upstreams (every attempt up to the answer, or up to the first token). */
  upstreamMs: number;
  backoffMs: number;
}

/** Where a streamed answer goes: opened once the first content is in hand, then fed event by event. */
export interface StreamSink {
  open(report: ServedReport): void;
  /** Resolves when the client can take more (back-pressure). */
  write(event: StreamEvent): void | Promise<void>;
  /** The stream failed after it was opened: end it with an error the client cannot mistake for an end. */
  fail(error: ClientError): void;
  close(): void;
}

const CONTENT = new Set<StreamEvent['type']>(['text', 'reasoning', 'tool_call_start', 'finish']);

interface Attempted<T> {
  value: T;
  report: ServedReport;
  /** The successful attempt alone. */
  attemptMs: number;
}

/**
 * Failover: tries the route's candidates in order and, within each, one healthy instance after
 * another. Only retryable failures move on (never a bad request, an auth or a quota error); each
 * further attempt waits a full-jitter backoff and takes a token from the gateway-wide retry budget;
 * an instance that answered 429 with Retry-After is kept out of rotation until then. A stream can
 * move on freely until its first content reaches the client; after that a failure ends it with an
 * honest error.
 */
@Injectable()
export class ChatOrchestrator {
  private readonly logger = new Logger(ChatOrchestrator.name);
  private readonly budget: RetryBudget;

  constructor(
    private readonly client: ProviderClient,
    private readonly balancer: InstanceBalancer,
    private readonly table: InstanceTable,
    private readonly circuits: InstanceCircuits,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {
    this.budget = new RetryBudget({
      ratio: config.GATEWAY_RETRY_BUDGET_PERCENT / 100,
      minRetriesPerSecond: 10,
      windowMs: 10_000,
    });
  }

  async complete(
    chat: ChatRequest,
    decision: RouteDecision,
    signal: AbortSignal,
  ): Promise<{ response: ChatResponse; report: ServedReport }> {
    const { value, report, attemptMs } = await this.run(decision, signal, async (instance, candidate) => {
      const started = performance.now();
      const response = await this.client.chat(
        adapterFor(instance.provider),
        instance.target!,
        { ...chat, model: candidate.model, stream: false },
        { signal, timeoutMs: instance.timeouts.requestMs },
      );
      this.table.observeLatency(instance, performance.now() - started);
      return response;
    });
    this.finishAttempt(report.instance, 'success', attemptMs, true);
    this.countUsage(report.candidate, value.usage);
    this.metrics.chatRequests.inc({
      provider: report.candidate.provider,
      model: report.candidate.model,
      outcome: 'success',
    });
    return { response: value, report };
  }

  /**
   * Streams the answer into the sink. Resolves with the report once the stream ended (well or
   * with an error event); rejects only before the sink was opened (nothing sent yet).
   */
  async stream(
    chat: ChatRequest,
    decision: RouteDecision,
    signal: AbortSignal,
    sink: StreamSink,
  ): Promise<ServedReport> {
    const { value: opened, report } = await this.run(decision, signal, async (instance, candidate) => {
      const started = performance.now();
      const iterator = this.client
        .stream(
          adapterFor(instance.provider),
          instance.target!,
          { ...chat, model: candidate.model, stream: true },
          { signal, firstTokenTimeoutMs: instance.timeouts.firstTokenMs, idleTimeoutMs: instance.timeouts.idleMs },
        )
        [Symbol.asyncIterator]();
      const buffered: StreamEvent[] = [];
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          buffered.push(next.value);
          if (CONTENT.has(next.value.type)) break;
        }
      } catch (error) {
        await iterator.return?.(undefined).catch(() => undefined);
        throw error;
      }
      const firstTokenMs = performance.now() - started;
      this.metrics.timeToFirstToken.observe({ provider: instance.provider }, firstTokenMs / 1000);
      this.table.observeLatency(instance, firstTokenMs);
      return { iterator, buffered, started };
    });
    const { instance, candidate } = report;
    sink.open(report);
    let usage: Usage | undefined;
    try {
      for (const event of opened.buffered) {
        if (event.type === 'usage') usage = event.usage;
        await sink.write(event);
      }
      for (;;) {
        const next = await opened.iterator.next();
        if (next.done) break;
        if (next.value.type === 'usage') usage = next.value.usage;
        await sink.write(next.value);
      }
      sink.close();
      this.finishAttempt(instance, 'success', performance.now() - opened.started, true);
      this.countUsage(candidate, usage);
      this.metrics.chatRequests.inc({ provider: candidate.provider, model: candidate.model, outcome: 'success' });
    } catch (error) {
      await opened.iterator.return?.(undefined).catch(() => undefined);
      if (signal.aborted || !(error instanceof ProviderError)) {
        this.release(instance);
        this.circuits.onCancel(instance);
        this.metrics.chatRequests.inc({ provider: candidate.provider, model: candidate.model, outcome: 'cancelled' });
        sink.close();
        return report;
      }
      this.recordFailure(instance, error);
      this.finishAttempt(instance, error.kind, performance.now() - opened.started, false);
      this.metrics.chatRequests.inc({
        provider: candidate.provider,
        model: candidate.model,
        outcome: 'upstream_error',
      });
      this.logger.warn(`Stream from ${instance.name} (${instance.provider}) failed after it started: ${error.message}`);
      sink.fail({
        kind: error.kind,
        message: `The upstream stream failed after it started (${error.message}); the answer is incomplete`,
      });
    }
    return report;
  }

  /** Counts a request that failed before any answer was sent (successes are counted here, on completion). */
  countFailedRequest(candidate: RouteCandidate | undefined, outcome: string): void {
    this.metrics.chatRequests.inc({
      provider: candidate?.provider ?? 'none',
      model: candidate?.model ?? 'none',
      outcome,
    });
  }

  private async run<T>(
    decision: RouteDecision,
    signal: AbortSignal,
    attempt: (instance: TableInstance, candidate: RouteCandidate) => Promise<T>,
  ): Promise<Attempted<T>> {
    const now = Date.now();
    this.budget.recordRequest(now);
    const tried = new Set<string>();
    let attempts = 0;
    let upstreamMs = 0;
    let backoffMs = 0;
    let lastError: ProviderError | undefined;
    let lastProvider: string | undefined;
    let retryAfterWaited = false;
    const maxAttempts = this.config.GATEWAY_MAX_ATTEMPTS;
    for (let pass = 0; pass < 2; pass += 1) {
      for (const candidate of decision.candidates) {
        if (attempts > 0 && lastProvider && lastProvider !== candidate.provider)
          this.metrics.fallbacks.inc({ from_provider: lastProvider, to_provider: candidate.provider });
        for (;;) {
          if (attempts >= maxAttempts || signal.aborted) break;
          const instance = this.balancer.select(candidate.pool, tried);
          if (!instance) break;
          tried.add(instance.id);
          if (!instance.target) {
            lastError = new ProviderError({
              provider: instance.provider,
              kind: 'auth',
              status: 0,
              message: `instance ${instance.name} has no usable API key`,
            });
            continue;
          }
          if (!this.circuits.tryAcquire(instance, Date.now())) continue;
          if (attempts > 0) {
            if (!this.budget.tryRetry(Date.now())) {
              this.circuits.onCancel(instance);
              throw new NoHealthyInstanceError(
                decision.candidates.map((entry) => entry.pool),
                lastError,
              );
            }
            const delay = fullJitterDelay(
              attempts - 1,
              this.config.GATEWAY_BACKOFF_BASE_MS,
              this.config.GATEWAY_BACKOFF_MAX_MS,
            );
            if (delay > 0) {
              await sleep(delay, signal);
              backoffMs += delay;
            }
            if (lastError) this.metrics.retries.inc({ provider: lastError.provider, reason: lastError.kind });
          }
          attempts += 1;
          lastProvider = candidate.provider;
          instance.observed.inFlight += 1;
          const started = performance.now();
          try {
            const value = await attempt(instance, candidate);
            const attemptMs = performance.now() - started;
            upstreamMs += attemptMs;
            return { value, report: { candidate, instance, attempts, upstreamMs, backoffMs }, attemptMs };
          } catch (error) {
            const elapsed = performance.now() - started;
            upstreamMs += elapsed;
            if (signal.aborted || !(error instanceof ProviderError)) {
              this.release(instance);
              this.circuits.onCancel(instance);
              if (signal.aborted) throw new RequestCancelledError();
              throw error;
            }
            this.recordFailure(instance, error);
            this.finishAttempt(instance, error.kind, elapsed, false);
            lastError = error;
            if (!error.retryable) throw error;
          }
        }
        if (attempts >= maxAttempts || signal.aborted) break;
      }
      // Everyone left is rate limited: wait out the shortest Retry-After once, if it is short enough.
      if (retryAfterWaited || signal.aborted || attempts >= maxAttempts || lastError?.kind !== 'rate_limited') break;
      const wait = this.shortestCoolDown(decision, Date.now());
      if (wait === undefined || wait > this.config.GATEWAY_MAX_RETRY_AFTER_MS) break;
      retryAfterWaited = true;
      await sleep(wait, signal);
      backoffMs += wait;
      tried.clear();
    }
    if (signal.aborted) throw new RequestCancelledError();
    throw new NoHealthyInstanceError(
      decision.candidates.map((entry) => entry.pool),
      lastError,
    );
  }

  private shortestCoolDown(decision: RouteDecision, now: number): number | undefined {
    let shortest: number | undefined;
    for (const candidate of decision.candidates) {
      for (const instance of this.table.pool(candidate.pool)) {
        const remaining = instance.observed.coolingUntil - now;
        if (remaining > 0 && (shortest === undefined || remaining < shortest)) shortest = remaining;
      }
    }
    return shortest;
  }

  /**
   * What a failure means for the instance. The client's own mistakes (bad request, unknown model,
   * context too long) say nothing about the instance; a 429 cools it down for its Retry-After;
   * everything else counts against its circuit.
   */
  private recordFailure(instance: TableInstance, error: ProviderError): void {
    instance.observed.lastError = `${error.kind}: ${error.message}`;
    const now = Date.now();
    if (error.kind === 'bad_request' || error.kind === 'context_length' || error.kind === 'not_found') {
      this.circuits.onCancel(instance);
      return;
    }
    if (error.kind === 'rate_limited') {
      this.table.coolDown(instance, now + (error.retryAfterMs ?? 1_000));
      this.circuits.onCancel(instance);
      return;
    }
    this.circuits.onFailure(instance, now, `${error.kind}: ${error.message}`);
  }

  private finishAttempt(instance: TableInstance, outcome: string, elapsedMs: number, success: boolean): void {
    this.release(instance);
    if (success) this.circuits.onSuccess(instance, Date.now());
    this.metrics.upstreamDuration.observe({ provider: instance.provider, outcome }, elapsedMs / 1000);
  }

  private release(instance: TableInstance): void {
    instance.observed.inFlight = Math.max(0, instance.observed.inFlight - 1);
  }

  private countUsage(candidate: RouteCandidate, usage: Usage | undefined): void {
    if (!usage) return;
    this.metrics.tokens.inc(
      { provider: candidate.provider, model: candidate.model, kind: 'prompt' },
      usage.promptTokens,
    );
    this.metrics.tokens.inc(
      { provider: candidate.provider, model: candidate.model, kind: 'completion' },
      usage.completionTokens,
    );
  }
}
