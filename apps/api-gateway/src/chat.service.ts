import { Injectable } from '@nestjs/common';
import {
  applyAllowList,
  ChatOrchestrator,
  InstanceTable,
  ModelNotAllowedError,
  NoHealthyInstanceError,
  routeHintsFrom,
  RequestCancelledError,
  RoutingPolicyStore,
  type ServedReport,
  type StreamSink,
} from '@switchboard/routing';
import { MetricsService } from '@switchboard/kernel';
import { estimateStreamUsage } from '@switchboard/usage';
import {
  AnthropicStreamWriter,
  type ClientError,
  fromAnthropicRequest,
  fromOpenAIRequest,
  OpenAIStreamWriter,
  ProviderError,
  type StreamEvent,
  toAnthropicMessage,
  toOpenAIResponse,
} from '@switchboard/providers';
import { routeChat, type RouteDecision } from '@switchboard/routing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { ClientFormat } from './client-format.js';
import type { RequestTrace } from './request-trace.js';
import { UsageRecorder } from './usage-recorder.js';

/**
 * One chat request from the client's format to an answer in it: parse, route (policy, in
 * memory), run with failover, and write the answer or the stream with headers saying who served it.
 */
@Injectable()
export class ChatService {
  constructor(
    private readonly orchestrator: ChatOrchestrator,
    private readonly policies: RoutingPolicyStore,
    private readonly table: InstanceTable,
    private readonly metrics: MetricsService,
    private readonly usage: UsageRecorder,
  ) {}

  async handle(
    format: ClientFormat,
    body: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
    trace: RequestTrace,
  ): Promise<void> {
    let decision: RouteDecision | undefined;
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort();
    };
    reply.raw.once('close', onClose);
    try {
      trace.requestedModel = requestedModelOf(body);
      const chat = format === 'openai' ? fromOpenAIRequest(body) : fromAnthropicRequest(body);
      trace.stream = chat.stream === true;
      decision = routeChat(chat, routeHintsFrom(request.headers), this.policies.policy, this.table);
      trace.route = decision.tier ? `${decision.mode}:${decision.tier}` : decision.mode;
      if (request.client) decision = applyAllowList(request.client, decision);
      this.usage.keepPrompt(trace, chat.messages);
      if (chat.stream) {
        const writer =
          format === 'openai' ? new OpenAIStreamWriter(chat.includeUsage === true) : new AnthropicStreamWriter();
        // Usage is always asked of the upstream (token metrics, cost, budgets); the client gets it
        // only if it asked.
        const sink = new SseSink(reply, writer, decision, format, this.metrics, trace, this.usage);
        try {
          await this.orchestrator.stream({ ...chat, includeUsage: true }, decision, abort.signal, sink, trace);
        } finally {
          // Ended before its usage arrived (cancelled, cut): charged an estimate rather than nothing.
          const served = trace.lastCandidate;
          if (sink.opened && !trace.charged && served) {
            const usage = estimateStreamUsage(JSON.stringify(chat.messages).length, sink.streamedCharacters);
            this.usage.usageEstimated(trace, served.provider, served.model, usage);
          }
        }
        if (abort.signal.aborted && !trace.errorKind) trace.errorKind = 'cancelled';
        return;
      }
      const { response, report } = await this.orchestrator.complete(chat, decision, abort.signal, trace);
      // Charged before the answer goes out, so the key's next request (on any replica) sees it.
      this.usage.usageKnown(trace, report.candidate.provider, report.candidate.model, response.usage);
      trace.appendAnswer(response.message.content ?? '');
      const overheadMs = overhead(reply, report);
      this.metrics.gatewayOverhead.observe({ format }, overheadMs / 1000);
      reply.headers(servedHeaders(report, decision, overheadMs)).status(200);
      if (format === 'openai' && response.openAIBody !== undefined)
        reply.type('application/json; charset=utf-8').send(response.openAIBody);
      else reply.send(format === 'openai' ? toOpenAIResponse(response) : toAnthropicMessage(response));
    } catch (error) {
      if (error instanceof ModelNotAllowedError) this.metrics.keyLimitRefused.inc({ reason: 'model_not_allowed' });
      this.orchestrator.countFailedRequest(decision?.candidates[0], outcomeOf(error));
      throw error;
    } finally {
      reply.raw.off('close', onClose);
    }
  }
}

/** The model as the client named it, before any validation (for the log of a refused request). */
function requestedModelOf(body: unknown): string | null {
  const model = (body as { model?: unknown } | null)?.model;
  return typeof model === 'string' ? model.slice(0, 200) : null;
}

function outcomeOf(error: unknown): string {
  if (error instanceof RequestCancelledError) return 'cancelled';
  if (error instanceof NoHealthyInstanceError) return error.lastError ? 'upstream_error' : 'no_instance';
  if (error instanceof ProviderError) return error.clientFault ? 'client_error' : 'upstream_error';
  return 'client_error';
}

/** Time the gateway itself spent: everything but upstream waits and backoff sleeps. */
function overhead(reply: FastifyReply, report: ServedReport): number {
  return Math.max(0, reply.elapsedTime - report.upstreamMs - report.backoffMs);
}

function servedHeaders(report: ServedReport, decision: RouteDecision, overheadMs: number): Record<string, string> {
  return {
    'x-switchboard-provider': report.candidate.provider,
    'x-switchboard-model': report.candidate.model,
    'x-switchboard-instance': report.instance.name,
    'x-switchboard-attempts': String(report.attempts),
    'x-switchboard-overhead-ms': overheadMs.toFixed(3),
    'x-switchboard-route': decision.tier ? `${decision.mode}:${decision.tier}` : decision.mode,
  };
}

/** Server-sent events to the client, written straight to the socket with back-pressure. */
class SseSink implements StreamSink {
  private readonly raw: ServerResponse;
  /** The stream started (200 sent), and how much text and tool-call input it carried. */
  opened = false;
  streamedCharacters = 0;

  constructor(
    private readonly reply: FastifyReply,
    private readonly writer: OpenAIStreamWriter | AnthropicStreamWriter,
    private readonly decision: RouteDecision,
    private readonly format: ClientFormat,
    private readonly metrics: MetricsService,
    private readonly trace: RequestTrace,
    private readonly usage: UsageRecorder,
  ) {
    this.raw = reply.raw;
  }

  open(report: ServedReport): void {
    this.opened = true;
    this.trace.timeToFirstTokenMs = this.trace.elapsedMs;
    const overheadMs = overhead(this.reply, report);
    this.metrics.gatewayOverhead.observe({ format: this.format }, overheadMs / 1000);
    this.reply.hijack();
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(this.reply.getHeaders())) if (value !== undefined) headers[name] = value;
    this.raw.writeHead(200, {
      ...headers,
      ...servedHeaders(report, this.decision, overheadMs),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
  }

  write(event: StreamEvent): void | Promise<void> {
    if (event.type === 'text' || event.type === 'reasoning') this.streamedCharacters += event.text.length;
    else if (event.type === 'tool_call_delta') this.streamedCharacters += event.argumentsDelta.length;
    if (event.type === 'usage') {
      // Charged as soon as it is known: the client's stream has not ended yet.
      const served = this.trace.lastCandidate;
      if (served) this.usage.usageKnown(this.trace, served.provider, served.model, event.usage);
    } else if (event.type === 'text') this.trace.appendAnswer(event.text);
    const text = this.writer.write(event);
    if (!text || this.raw.destroyed) return;
    if (this.raw.write(text)) return;
    return new Promise((resolve) => {
      const done = () => {
        this.raw.off('drain', done);
        this.raw.off('close', done);
        resolve();
      };
      this.raw.once('drain', done);
      this.raw.once('close', done);
    });
  }

  fail(error: ClientError): void {
    this.trace.errorKind = error.kind;
    if (!this.raw.destroyed) this.raw.end(this.writer.error(error));
  }

  close(): void {
    if (!this.raw.destroyed && !this.raw.writableEnded) this.raw.end();
  }
}
