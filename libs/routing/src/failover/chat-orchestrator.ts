import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AppConfig, MetricsService } from '@switchboard/kernel';
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
import { InstanceBalancer } from '../balancing/instance-balancer.js';
import type { RouteCandidate, RouteDecision } from '../policy/router.js';
import { InstanceCircuits } from '../resilience/instance-circuits.js';
import { DEFAULT_RETRY_BUDGET, RetryBudget } from '../resilience/retry-budget.js';
import { InstanceTable, type TableInstance } from '../table/instance-table.js';
import { AttemptOutcomes } from './attempt-outcomes.js';
import { TrafficRecorder } from '../traffic/traffic-recorder.js';
import {
  type Attempt,
  type Attempted,
  type AttemptTally,
  type FailoverSettings,
  type FailoverTiming,
  FailoverRun,
  type ServedReport,
  SYSTEM_TIMING,
} from './failover-run.js';

export type { AttemptTally, ServedReport } from './failover-run.js';

/** Injection token of the orchestrator's FailoverTiming; unbound in the apps (real timers), bound in tests. */
export const FAILOVER_TIMING = Symbol('FAILOVER_TIMING');

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

/** A stream whose first content is in hand: what came so far, and the rest still to read. */
interface OpenedStream {
  iterator: AsyncIterator<StreamEvent>;
  /** The events up to and including the first content, held back until the stream is chosen. */
  buffered: StreamEvent[];
  started: number;
}

/**
 * Serves a routed chat request: FailoverRun walks the route (candidates in order, instances one
 * after another, backoff, retry budget, Retry-After), AttemptOutcomes keeps the score of each
 * attempt, and this class does the calls and the request-level bookkeeping. A stream can move on
 * freely until its first content reaches the client; after that a failure ends it with an honest
 * error, since the client already holds part of an answer no other instance would continue.
 */
@Injectable()
export class ChatOrchestrator {
  private readonly logger = new Logger(ChatOrchestrator.name);
  /** Gateway-wide: one budget for all requests, so retries are bounded by the gateway's total traffic. */
  private readonly budget: RetryBudget;
  private readonly outcomes: AttemptOutcomes;
  private readonly timing: FailoverTiming;

  constructor(
    private readonly client: ProviderClient,
    private readonly balancer: InstanceBalancer,
    private readonly table: InstanceTable,
    private readonly circuits: InstanceCircuits,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
    traffic: TrafficRecorder,
    @Optional() @Inject(FAILOVER_TIMING) timing?: FailoverTiming,
  ) {
    this.budget = new RetryBudget({ ...DEFAULT_RETRY_BUDGET, ratio: config.GATEWAY_RETRY_BUDGET_PERCENT / 100 });
    this.outcomes = new AttemptOutcomes(table, circuits, metrics, traffic);
    this.timing = timing ?? SYSTEM_TIMING;
  }

  async complete(
    chat: ChatRequest,
    decision: RouteDecision,
    signal: AbortSignal,
    tally?: AttemptTally,
  ): Promise<{ response: ChatResponse; report: ServedReport }> {
    const { value, report, attemptMs } = await this.run(decision, signal, tally, async (instance, candidate) => {
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
    this.outcomes.succeeded(report.instance, attemptMs);
    this.countSuccess(report.candidate, value.usage);
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
    tally?: AttemptTally,
  ): Promise<ServedReport> {
    const { value: opened, report } = await this.run(decision, signal, tally, (instance, candidate) =>
      this.openStream(chat, instance, candidate, signal),
    );
    sink.open(report);
    await this.relay(opened, report, signal, sink);
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

  private run<T>(
    decision: RouteDecision,
    signal: AbortSignal,
    tally: AttemptTally | undefined,
    attempt: Attempt<T>,
  ): Promise<Attempted<T>> {
    return new FailoverRun(
      {
        balancer: this.balancer,
        table: this.table,
        circuits: this.circuits,
        budget: this.budget,
        outcomes: this.outcomes,
        timing: this.timing,
        settings: this.settings(),
      },
      decision,
      signal,
      tally,
    ).execute(attempt);
  }

  /** Read per request, so a configuration changed in place applies to the next request. */
  private settings(): FailoverSettings {
    return {
      maxAttempts: this.config.GATEWAY_MAX_ATTEMPTS,
      backoffBaseMs: this.config.GATEWAY_BACKOFF_BASE_MS,
      backoffMaxMs: this.config.GATEWAY_BACKOFF_MAX_MS,
      maxRetryAfterMs: this.config.GATEWAY_MAX_RETRY_AFTER_MS,
    };
  }

  /**
   * One streaming attempt, up to its first content: until then nothing has reached the client,
   * so a failure here is still free to fail over. A stream that ends before any content is
   * returned as it is (the relay sends what little there was).
   */
  private async openStream(
    chat: ChatRequest,
    instance: TableInstance,
    candidate: RouteCandidate,
    signal: AbortSignal,
  ): Promise<OpenedStream> {
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
    this.outcomes.firstToken(instance, firstTokenMs);
    this.table.observeLatency(instance, firstTokenMs);
    return { iterator, buffered, started };
  }

  /**
   * Sends the opened stream to the sink to its end. No failover from here on: a failure ends the
   * stream with an error event; a client that left (or a failure of our own) just closes it.
   */
  private async relay(
    opened: OpenedStream,
    report: ServedReport,
    signal: AbortSignal,
    sink: StreamSink,
  ): Promise<void> {
    const { instance, candidate } = report;
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
      this.outcomes.succeeded(instance, performance.now() - opened.started);
      this.countSuccess(candidate, usage);
    } catch (error) {
      await opened.iterator.return?.(undefined).catch(() => undefined);
      if (signal.aborted || !(error instanceof ProviderError)) {
        this.outcomes.abandoned(instance);
        this.metrics.chatRequests.inc({ provider: candidate.provider, model: candidate.model, outcome: 'cancelled' });
        sink.close();
        return;
      }
      this.outcomes.failed(instance, error, performance.now() - opened.started);
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
  }

  private countSuccess(candidate: RouteCandidate, usage: Usage | undefined): void {
    this.metrics.chatRequests.inc({ provider: candidate.provider, model: candidate.model, outcome: 'success' });
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
