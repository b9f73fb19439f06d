import type { ProviderAdapter, ProviderTarget, ResponseHeaders, UpstreamRequest } from '../../core/provider-adapter.js';
import { kindFromStatus, parseRetryAfter, ProviderError, type ProviderErrorKind } from '../../core/provider-error.js';
import type { SseEvent } from '../../core/sse-parser.js';
import { asArray, asNumber, asRecord, asString, parseJson } from '../../core/wire.js';
import type { ChatRequest, ToolCall } from '../../model/chat-request.js';
import type { ChatResponse, FinishReason, StreamEvent, Usage } from '../../model/chat-response.js';
import { ANTHROPIC_VERSION, buildClaudeBody } from './claude.request.js';

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

const ERROR_TYPES: Record<string, ProviderErrorKind> = {
  invalid_request_error: 'bad_request',
  authentication_error: 'auth',
  billing_error: 'quota_exhausted',
  permission_error: 'permission',
  not_found_error: 'not_found',
  request_too_large: 'context_length',
  rate_limit_error: 'rate_limited',
  api_error: 'server_error',
  overloaded_error: 'overloaded',
  timeout_error: 'timeout',
};

export interface ClaudeStreamState {
  ended: boolean;
  usage: Usage;
  /** Content block index -> tool index, for input_json_delta. */
  toolBlocks: Map<number, number>;
}

/** Anthropic Messages: POST /v1/messages with x-api-key and anthropic-version; named SSE events. */
export const claudeAdapter: ProviderAdapter<ClaudeStreamState> = {
  provider: 'claude',
  defaultBaseUrl: 'https://api.anthropic.com',
  probeDescription: 'GET /v1/models: lists the models the key may use; free, checks the key and the endpoint',

  buildChatRequest(request: ChatRequest, target: ProviderTarget): UpstreamRequest {
    return {
      method: 'POST',
      path: '/v1/messages',
      headers: { ...headersFor(target), 'content-type': 'application/json' },
      body: buildClaudeBody(request),
    };
  },

  parseChatResponse(body: unknown): ChatResponse {
    const root = asRecord(body);
    if (!root || root.type === 'error') throw errorFromBody(200, body, {});
    const blocks = asArray(root.content)?.map(asRecord) ?? [];
    const text = blocks
      .filter((block) => block?.type === 'text')
      .map((block) => asString(block?.text) ?? '')
      .join('');
    const thinking = blocks
      .filter((block) => block?.type === 'thinking')
      .map((block) => asString(block?.thinking) ?? '')
      .join('');
    const toolCalls: ToolCall[] = blocks
      .filter((block) => block?.type === 'tool_use')
      .map((block) => ({
        id: asString(block?.id) ?? '',
        name: asString(block?.name) ?? '',
        arguments: JSON.stringify(block?.input ?? {}),
      }));
    return {
      id: asString(root.id) ?? '',
      model: asString(root.model) ?? '',
      provider: 'claude',
      created: Math.floor(Date.now() / 1000),
      message: {
        content: text || (toolCalls.length ? null : ''),
        reasoningContent: thinking || undefined,
        toolCalls: toolCalls.length ? toolCalls : undefined,
      },
      finishReason: STOP_REASONS[asString(root.stop_reason) ?? ''] ?? 'stop',
      usage: readUsage(root.usage),
    };
  },

  newStreamState(): ClaudeStreamState {
    return { ended: false, usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, toolBlocks: new Map() };
  },

  parseStreamEvent(event: SseEvent, state: ClaudeStreamState): StreamEvent[] {
    if (state.ended || event.event === 'ping') return [];
    const data = asRecord(parseJson(event.data));
    if (!data) {
      throw new ProviderError({
        provider: 'claude',
        kind: 'malformed_upstream',
        status: 200,
        message: `claude sent a stream event that is not JSON: ${event.data.slice(0, 120)}`,
      });
    }
    switch (data.type ?? event.event) {
      case 'message_start': {
        const message = asRecord(data.message);
        state.usage = readUsage(message?.usage) ?? state.usage;
        return [
          {
            type: 'start',
            id: asString(message?.id) ?? '',
            model: asString(message?.model) ?? '',
            created: Math.floor(Date.now() / 1000),
          },
        ];
      }
      case 'content_block_start': {
        const block = asRecord(data.content_block);
        if (block?.type !== 'tool_use') return [];
        const toolIndex = state.toolBlocks.size;
        state.toolBlocks.set(asNumber(data.index) ?? 0, toolIndex);
        return [{ type: 'tool_call_start', toolIndex, id: asString(block.id) ?? '', name: asString(block.name) ?? '' }];
      }
      case 'content_block_delta': {
        const delta = asRecord(data.delta);
        if (delta?.type === 'text_delta') return delta.text ? [{ type: 'text', text: asString(delta.text) ?? '' }] : [];
        if (delta?.type === 'thinking_delta')
          return delta.thinking ? [{ type: 'reasoning', text: asString(delta.thinking) ?? '' }] : [];
        if (delta?.type === 'input_json_delta' && delta.partial_json) {
          const toolIndex = state.toolBlocks.get(asNumber(data.index) ?? 0) ?? 0;
          return [{ type: 'tool_call_delta', toolIndex, argumentsDelta: asString(delta.partial_json) ?? '' }];
        }
        return [];
      }
      case 'message_delta': {
        // Cumulative counts; input figures, when present, replace message_start's (cache reads and
        // writes included, as readUsage counts them).
        const usage = asRecord(data.usage);
        const output = asNumber(usage?.output_tokens);
        if (usage && asNumber(usage.input_tokens) !== undefined) {
          const input = readUsage(usage)!;
          state.usage.promptTokens = input.promptTokens;
          if (input.cachedTokens !== undefined) state.usage.cachedTokens = input.cachedTokens;
          if (input.cacheWriteTokens !== undefined) state.usage.cacheWriteTokens = input.cacheWriteTokens;
        }
        if (output !== undefined) state.usage.completionTokens = output;
        state.usage.totalTokens = state.usage.promptTokens + state.usage.completionTokens;
        const stopReason = asString(asRecord(data.delta)?.stop_reason);
        return stopReason ? [{ type: 'finish', finishReason: STOP_REASONS[stopReason] ?? 'stop' }] : [];
      }
      case 'message_stop':
        state.ended = true;
        return [{ type: 'usage', usage: { ...state.usage } }, { type: 'end' }];
      case 'error':
        throw errorFromBody(200, data, {});
      default:
        // content_block_stop, signature deltas and event types added later carry nothing we render.
        return [];
    }
  },

  finishStream(state: ClaudeStreamState): StreamEvent[] {
    if (state.ended) return [];
    throw new ProviderError({
      provider: 'claude',
      kind: 'stream_cut',
      status: 200,
      message: 'claude closed the stream before message_stop',
    });
  },

  parseError(status: number, headers: ResponseHeaders, bodyText: string): ProviderError {
    return errorFromBody(
      status,
      parseJson(bodyText) ?? { error: { message: bodyText.slice(0, 300) || `HTTP ${status}` } },
      headers,
    );
  },

  buildProbeRequest(target: ProviderTarget): UpstreamRequest {
    return { method: 'GET', path: '/v1/models', headers: headersFor(target) };
  },

  probeAccepts: (status) => status >= 200 && status < 300,
};

function headersFor(target: ProviderTarget): Record<string, string> {
  return { 'x-api-key': target.apiKey, 'anthropic-version': ANTHROPIC_VERSION, ...target.headers };
}

function readUsage(value: unknown): Usage | undefined {
  const usage = asRecord(value);
  if (!usage) return undefined;
  const cacheRead = asNumber(usage.cache_read_input_tokens) ?? 0;
  const cacheWrite = asNumber(usage.cache_creation_input_tokens) ?? 0;
  const promptTokens = (asNumber(usage.input_tokens) ?? 0) + cacheRead + cacheWrite;
  const completionTokens = asNumber(usage.output_tokens) ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    ...(cacheRead ? { cachedTokens: cacheRead } : {}),
    // Priced apart: a cache write costs more than plain input (1.25x for the 5-minute cache).
    ...(cacheWrite ? { cacheWriteTokens: cacheWrite } : {}),
  };
}

function errorFromBody(status: number, body: unknown, headers: ResponseHeaders): ProviderError {
  const error = asRecord(asRecord(body)?.error);
  const type = asString(error?.type);
  const message = asString(error?.message) ?? `HTTP ${status}`;
  const detailCode = asString(asRecord(error?.details)?.error_code);
  let kind: ProviderErrorKind = (type && ERROR_TYPES[type]) || kindFromStatus(status || 500);
  // A spend limit looks like a rate limit (429) or a bad request (400) but will not pass by retrying.
  if (
    detailCode === 'enforced_spend_limit_reached' ||
    /reached your specified (workspace )?API usage limits|credit balance is too low/i.test(message)
  ) {
    kind = 'quota_exhausted';
  } else if (kind === 'bad_request' && /prompt is too long|context window|too many tokens/i.test(message)) {
    kind = 'context_length';
  }
  return new ProviderError({
    provider: 'claude',
    kind,
    status,
    message: `claude: ${message}`,
    code: detailCode ?? type,
    retryAfterMs: kind === 'quota_exhausted' ? undefined : parseRetryAfter(headers['retry-after']),
  });
}
