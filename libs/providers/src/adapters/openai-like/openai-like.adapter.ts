import type { ProviderAdapter, ProviderTarget, ResponseHeaders, UpstreamRequest } from '../../core/provider-adapter.js';
import { kindFromStatus, parseRetryAfter, ProviderError, type ProviderErrorKind } from '../../core/provider-error.js';
import type { SseEvent } from '../../core/sse-parser.js';
import type { ChatRequest } from '../../model/chat-request.js';
import type { ChatResponse, FinishReason, SearchResult, StreamEvent, Usage } from '../../model/chat-response.js';
import type { ProviderName } from '../../registry.js';
import { buildOpenAILikeBody, type OpenAILikeRequestOptions } from './openai-like.request.js';
import { asArray, asNumber, asRecord, asString, parseJson } from '../../core/wire.js';

/** What distinguishes one OpenAI-style provider from another. */
export interface OpenAILikeSpec extends OpenAILikeRequestOptions {
  provider: ProviderName;
  defaultBaseUrl: string;
  chatPath: string;
  probe: {
    request: (target: ProviderTarget) => UpstreamRequest;
    accepts: (status: number) => boolean;
    description: string;
  };
  /** Provider-specific error codes; undefined falls back to the OpenAI conventions. */
  classifyError?: (status: number, error: WireError) => ProviderErrorKind | undefined;
  /** Finish reasons beyond OpenAI's; 'error' turns into a retryable server error. */
  finishReasons?: Record<string, FinishReason | 'error'>;
  /** Some providers end a stream without `data: [DONE]`: a finish reason then completes it. */
  doneMarkerOptional?: boolean;
  /**
   * The provider prices each request itself in usage.cost.total_cost (Perplexity). Only then is a
   * stated cost read: any other upstream's would be taken as the price of the request.
   */
  statesCost?: boolean;
  /** Its answers are plain OpenAI chat completions: nothing of it needs translating for an OpenAI client. */
  answersAsOpenAI?: boolean;
}

export interface WireError {
  message: string;
  type?: string;
  code?: string;
}

export interface OpenAILikeStreamState {
  started: boolean;
  finished: boolean;
  ended: boolean;
  usage?: Usage;
  usageEmitted: boolean;
  citationsEmitted: boolean;
  toolCallsSeen: Set<number>;
}

const STANDARD_FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

export function createOpenAILikeAdapter(spec: OpenAILikeSpec): ProviderAdapter<OpenAILikeStreamState> {
  const finishReason = (raw: unknown): FinishReason => {
    const text = asString(raw) ?? 'stop';
    const mapped = spec.finishReasons?.[text] ?? STANDARD_FINISH[text] ?? 'stop';
    if (mapped === 'error') {
      throw new ProviderError({
        provider: spec.provider,
        kind: 'server_error',
        status: 200,
        message: `${spec.provider} ended the answer with finish_reason "${text}"`,
        code: text,
      });
    }
    return mapped;
  };
  const malformed = (what: string) =>
    new ProviderError({
      provider: spec.provider,
      kind: 'malformed_upstream',
      status: 200,
      message: `${spec.provider} sent ${what}`,
    });

  const errorFromBody = (status: number, body: unknown, headers: ResponseHeaders = {}): ProviderError => {
    const wire = readWireError(body) ?? { message: `HTTP ${status}` };
    const kind = spec.classifyError?.(status, wire) ?? classifyOpenAIError(status, wire);
    return new ProviderError({
      provider: spec.provider,
      kind,
      status,
      message: `${spec.provider}: ${wire.message}`,
      code: wire.code ?? wire.type,
      retryAfterMs: parseRetryAfter(headers['retry-after']) ?? parseRetryAfterMsHeader(headers['retry-after-ms']),
    });
  };

  return {
    provider: spec.provider,
    defaultBaseUrl: spec.defaultBaseUrl,
    answersAsOpenAI: spec.answersAsOpenAI === true,
    probeDescription: spec.probe.description,

    buildChatRequest(request: ChatRequest, target: ProviderTarget): UpstreamRequest {
      return {
        method: 'POST',
        path: spec.chatPath,
        headers: {
          authorization: `Bearer ${target.apiKey}`,
          'content-type': 'application/json',
          ...(request.stream ? { accept: 'text/event-stream' } : {}),
          ...target.headers,
        },
        body: buildOpenAILikeBody(request, spec),
      };
    },

    parseChatResponse(body: unknown): ChatResponse {
      const root = asRecord(body);
      if (!root) throw malformed('a response that is not a JSON object');
      if (root.error) throw errorFromBody(200, body);
      const choice = asRecord(asArray(root.choices)?.[0]);
      const message = asRecord(choice?.message);
      if (!choice || !message) throw malformed('a response without choices[0].message');
      const toolCalls = asArray(message.tool_calls)?.map((call) => {
        const record = asRecord(call);
        const fn = asRecord(record?.function);
        return {
          id: asString(record?.id) ?? '',
          name: asString(fn?.name) ?? '',
          arguments: asString(fn?.arguments) ?? '',
        };
      });
      return {
        id: asString(root.id) ?? '',
        model: asString(root.model) ?? '',
        provider: spec.provider,
        created: asNumber(root.created) ?? Math.floor(Date.now() / 1000),
        message: {
          content: asString(message.content) ?? null,
          reasoningContent: asString(message.reasoning_content),
          toolCalls: toolCalls?.length ? toolCalls : undefined,
        },
        finishReason: finishReason(choice.finish_reason),
        usage: readUsage(root.usage, spec.statesCost === true),
        ...readCitations(root),
      };
    },

    newStreamState(): OpenAILikeStreamState {
      return {
        started: false,
        finished: false,
        ended: false,
        usageEmitted: false,
        citationsEmitted: false,
        toolCallsSeen: new Set(),
      };
    },

    parseStreamEvent(event: SseEvent, state: OpenAILikeStreamState): StreamEvent[] {
      if (state.ended) return [];
      if (event.data.trim() === '[DONE]') {
        state.ended = true;
        return [...pendingUsage(state), { type: 'end' }];
      }
      const chunk = asRecord(parseJson(event.data));
      if (!chunk) throw malformed(`a stream chunk that is not JSON: ${event.data.slice(0, 120)}`);
      if (chunk.error) throw errorFromBody(200, chunk);
      const events: StreamEvent[] = [];
      if (!state.started) {
        state.started = true;
        events.push({
          type: 'start',
          id: asString(chunk.id) ?? '',
          model: asString(chunk.model) ?? '',
          created: asNumber(chunk.created) ?? Math.floor(Date.now() / 1000),
        });
      }
      if (!state.citationsEmitted) {
        const citations = readCitations(chunk);
        if (citations.citations || citations.searchResults) {
          state.citationsEmitted = true;
          events.push({
            type: 'citations',
            citations: citations.citations ?? [],
            searchResults: citations.searchResults,
          });
        }
      }
      const choice = asRecord(asArray(chunk.choices)?.[0]);
      const delta = asRecord(choice?.delta);
      const reasoning = asString(delta?.reasoning_content);
      if (reasoning) events.push({ type: 'reasoning', text: reasoning });
      const content = asString(delta?.content);
      if (content) events.push({ type: 'text', text: content });
      for (const call of asArray(delta?.tool_calls) ?? []) {
        const record = asRecord(call);
        const fn = asRecord(record?.function);
        const toolIndex = asNumber(record?.index) ?? 0;
        if (!state.toolCallsSeen.has(toolIndex)) {
          state.toolCallsSeen.add(toolIndex);
          events.push({
            type: 'tool_call_start',
            toolIndex,
            id: asString(record?.id) ?? '',
            name: asString(fn?.name) ?? '',
          });
        }
        const argumentsDelta = asString(fn?.arguments);
        if (argumentsDelta) events.push({ type: 'tool_call_delta', toolIndex, argumentsDelta });
      }
      const usage = readUsage(chunk.usage, spec.statesCost === true);
      if (usage) state.usage = usage;
      if (choice?.finish_reason !== undefined && choice.finish_reason !== null && !state.finished) {
        state.finished = true;
        events.push({ type: 'finish', finishReason: finishReason(choice.finish_reason) });
      }
      // Usage may come with the finish (ZAI, Perplexity) or in a last chunk of its own (OpenAI's
      // include_usage); either way it is reported once, when the stream completes.
      return events;
    },

    parseError(status: number, headers: ResponseHeaders, bodyText: string): ProviderError {
      const parsed = parseJson(bodyText);
      return errorFromBody(
        status,
        parsed ?? { error: { message: bodyText.slice(0, 300) || `HTTP ${status}` } },
        headers,
      );
    },

    buildProbeRequest(target: ProviderTarget): UpstreamRequest {
      return spec.probe.request(target);
    },

    probeAccepts: spec.probe.accepts,

    finishStream(state: OpenAILikeStreamState): StreamEvent[] {
      if (state.ended) return [];
      if (spec.doneMarkerOptional && state.finished) {
        state.ended = true;
        return [...pendingUsage(state), { type: 'end' }];
      }
      throw new ProviderError({
        provider: spec.provider,
        kind: 'stream_cut',
        status: 200,
        message: `${spec.provider} closed the stream before ${state.finished ? 'data: [DONE]' : 'the answer finished'}`,
      });
    },
  };
}

function pendingUsage(state: OpenAILikeStreamState): StreamEvent[] {
  if (!state.usage || state.usageEmitted) return [];
  state.usageEmitted = true;
  return [{ type: 'usage', usage: state.usage }];
}

/** A count or amount an upstream reports: a negative one is taken as zero (it would lower a key's spend). */
function nonNegative(value: unknown): number | undefined {
  const number = asNumber(value);
  return number === undefined ? undefined : Math.max(0, number);
}

/** The usage of an answer or stream chunk; `statesCost` reads the provider's own price of the request. */
export function readUsage(value: unknown, statesCost = false): Usage | undefined {
  const usage = asRecord(value);
  if (!usage) return undefined;
  const promptTokens = nonNegative(usage.prompt_tokens) ?? 0;
  const completionTokens = nonNegative(usage.completion_tokens) ?? 0;
  const cachedTokens = nonNegative(asRecord(usage.prompt_tokens_details)?.cached_tokens);
  // OpenAI nests reasoning tokens under completion_tokens_details; Perplexity reports them at the top.
  const reasoningTokens =
    nonNegative(asRecord(usage.completion_tokens_details)?.reasoning_tokens) ?? nonNegative(usage.reasoning_tokens);
  // Perplexity prices each request itself (tokens plus a search fee that depends on the context size).
  const costUsd = statesCost ? nonNegative(asRecord(usage.cost)?.total_cost) : undefined;
  return {
    promptTokens,
    completionTokens,
    totalTokens: nonNegative(usage.total_tokens) ?? promptTokens + completionTokens,
    ...(cachedTokens !== undefined ? { cachedTokens } : {}),
    ...(reasoningTokens !== undefined ? { reasoningTokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
  };
}

function readCitations(root: Record<string, unknown>): { citations?: string[]; searchResults?: SearchResult[] } {
  const citations = asArray(root.citations)?.filter((entry): entry is string => typeof entry === 'string');
  const searchResults = asArray(root.search_results)
    ?.map(asRecord)
    .filter((entry): entry is Record<string, unknown> => entry !== undefined)
    .map((entry) => ({
      title: asString(entry.title) ?? '',
      url: asString(entry.url) ?? '',
      ...(asString(entry.date) ? { date: asString(entry.date)! } : {}),
    }));
  return { ...(citations ? { citations } : {}), ...(searchResults ? { searchResults } : {}) };
}

function readWireError(body: unknown): WireError | undefined {
  const root = asRecord(body);
  const error = asRecord(root?.error);
  if (error) {
    const code = error.code === undefined || error.code === null ? undefined : String(error.code);
    return { message: asString(error.message) ?? JSON.stringify(error), type: asString(error.type), code };
  }
  const detail = asString(root?.detail) ?? asString(root?.message);
  return detail ? { message: detail } : undefined;
}

/** OpenAI's documented conventions, also the fallback for OpenAI-compatible servers. */
export function classifyOpenAIError(status: number, error: WireError): ProviderErrorKind {
  const code = `${error.code ?? ''} ${error.type ?? ''}`;
  if (/insufficient_quota|billing_hard_limit|billing_not_active/.test(code)) return 'quota_exhausted';
  if (/context_length_exceeded|string_above_max_length/.test(code) || /maximum context length/i.test(error.message))
    return 'context_length';
  if (/invalid_api_key|invalid_authentication/.test(code)) return 'auth';
  if (/model_not_found/.test(code)) return 'not_found';
  return kindFromStatus(status);
}

function parseRetryAfterMsHeader(value: string | string[] | undefined): number | undefined {
  const ms = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(ms) && ms >= 0 && value !== undefined ? ms : undefined;
}
