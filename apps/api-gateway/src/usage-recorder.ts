import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig, DomainError, MetricsService } from '@switchboard/kernel';
import { ProviderError, type Usage } from '@switchboard/providers';
import {
  BudgetExceededError,
  KeyBudgets,
  KeyLimitError,
  ModelNotAllowedError,
  NoHealthyInstanceError,
  RequestCancelledError,
  type RequestErrorKind,
  UnknownModelError,
} from '@switchboard/routing';
import {
  loggedBody,
  loggedPrompt,
  PriceBook,
  REDACTION_MARGIN,
  type RequestLogRow,
  RequestLogWriter,
} from '@switchboard/usage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ClientFormat, renderError } from './client-format.js';
import { RequestTrace } from './request-trace.js';

/** Keys whose spend is exported per key (switchboard_key_spend_today_usd): the top few only, so labels stay bounded. */
const KEY_SPEND_TOP_N = 10;

/**
 * Usage and spend of the gateway's chat requests: the cost of each from the usage its provider
 * reported and the price book, charged against the key's budgets before the answer's last bytes go
 * out, the cost metrics, and one request log row per request (queued, never awaited).
 */
@Injectable()
export class UsageRecorder implements OnModuleInit {
  constructor(
    private readonly prices: PriceBook,
    private readonly budgets: KeyBudgets,
    private readonly log: RequestLogWriter,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.metrics.addCollector(() => {
      this.metrics.keySpend.reset();
      for (const { keyId, usd } of this.budgets.topSpenders(KEY_SPEND_TOP_N))
        this.metrics.keySpend.set({ key_id: keyId }, usd);
    });
  }

  begin(format: ClientFormat, request: FastifyRequest, reply: FastifyReply): RequestTrace {
    const userAgent = request.headers['user-agent'];
    // The platform's first hook gave the reply its request id (the client's own when sane).
    const requestId = reply.getHeader('x-request-id');
    return new RequestTrace(
      format,
      typeof requestId === 'string' ? requestId : String(request.id),
      typeof userAgent === 'string' ? userAgent.slice(0, 300) : null,
    );
  }

  /**
   * The prompt of a key that logs bodies, redacted and cut to REQUEST_LOG_BODY_MAX_CHARS, and the
   * start of its answer (kept a margin past the cut, so a credential across the cut is redacted whole).
   */
  keepPrompt(trace: RequestTrace, messages: unknown): void {
    if (!trace.identity?.logBodies) return;
    trace.prompt = loggedPrompt(messages, this.config.REQUEST_LOG_BODY_MAX_CHARS);
    trace.keepAnswer(this.config.REQUEST_LOG_BODY_MAX_CHARS + REDACTION_MARGIN);
  }

  /** The served model's usage is known: price it, count it, charge it to the key. Once per request. */
  usageKnown(trace: RequestTrace, provider: string, model: string, usage: Usage | undefined): void {
    if (trace.charged) return;
    trace.charged = true;
    trace.usage = usage;
    if (!usage) return;
    trace.costUsd = this.prices.costOf(provider, model, usage);
    if (trace.costUsd === undefined) this.metrics.unpricedRequests.inc({ provider, model });
    else this.metrics.costUsd.inc({ provider, model }, trace.costUsd);
    if (trace.identity) this.budgets.charge(trace.identity, trace.costUsd, usage.promptTokens + usage.completionTokens);
  }

  /**
   * A stream ended without its usage (cancelled or cut after it started): the key is charged an
   * estimate (estimateStreamUsage), so a budget cannot be dodged by hanging up. The row keeps the
   * usage unknown: only the budget counts the estimate.
   */
  usageEstimated(trace: RequestTrace, provider: string, model: string, usage: Usage): void {
    if (trace.charged || !trace.identity) return;
    trace.charged = true;
    const costUsd = this.prices.costOf(provider, model, usage);
    this.budgets.charge(trace.identity, costUsd, usage.totalTokens);
  }

  /** The request failed before or instead of an answer: the status the client gets and why. */
  failed(trace: RequestTrace, error: unknown): void {
    trace.status = error instanceof RequestCancelledError ? 499 : renderError(trace.format, error).status;
    trace.errorKind = errorKindOf(error);
  }

  /**
   * Queues the request's row; requests of no known key (refused authentication) are not logged,
   * nor any with REQUEST_LOG_ENABLED off (costs and budgets were counted already).
   */
  finish(trace: RequestTrace): void {
    const identity = trace.identity;
    if (!identity || !this.config.REQUEST_LOG_ENABLED) return;
    const usage = trace.usage;
    const row: RequestLogRow = {
      id: trace.id,
      time: trace.time,
      requestId: trace.requestId,
      keyId: identity.id,
      format: trace.format,
      route: trace.route,
      stream: trace.stream,
      requestedModel: trace.requestedModel,
      servedProvider: trace.lastCandidate?.provider ?? null,
      servedModel: trace.lastCandidate?.model ?? null,
      instanceId: trace.lastInstance?.id ?? null,
      instanceName: trace.lastInstance?.name ?? null,
      attempts: trace.attempts,
      fallbacks: trace.fallbacks,
      status: trace.status,
      errorKind: trace.errorKind,
      inputTokens: usage?.promptTokens ?? null,
      outputTokens: usage?.completionTokens ?? null,
      cachedTokens: usage?.cachedTokens ?? null,
      reasoningTokens: usage?.reasoningTokens ?? null,
      costUsd: trace.costUsd ?? null,
      latencyMs: Math.round(trace.elapsedMs),
      timeToFirstTokenMs: trace.timeToFirstTokenMs === null ? null : Math.round(trace.timeToFirstTokenMs),
      userAgent: trace.userAgent,
      prompt: identity.logBodies ? trace.prompt : null,
      answer: identity.logBodies ? this.answerOf(trace) : null,
    };
    this.log.append(row);
  }

  private answerOf(trace: RequestTrace): string | null {
    const answer = trace.answer;
    return answer === null ? null : loggedBody(answer, this.config.REQUEST_LOG_BODY_MAX_CHARS);
  }
}

/** The request log's error_kind: the failure's own kind, in the words the gateway uses elsewhere. */
export function errorKindOf(error: unknown): RequestErrorKind {
  if (error instanceof RequestCancelledError) return 'cancelled';
  if (error instanceof BudgetExceededError || error instanceof KeyLimitError) return error.refusal;
  if (error instanceof ModelNotAllowedError) return 'model_not_allowed';
  if (error instanceof UnknownModelError) return 'model_not_found';
  if (error instanceof NoHealthyInstanceError) return error.lastError?.kind ?? 'no_instance';
  if (error instanceof ProviderError) return error.kind;
  if (error instanceof DomainError) return error.kind;
  return 'internal';
}
