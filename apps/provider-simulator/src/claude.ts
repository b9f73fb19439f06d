// Anthropic Messages API wire format: base URL without a path, `POST /v1/messages` and
// `GET /v1/models`, `x-api-key` (or `Authorization: Bearer`) + `anthropic-version` headers, top-level `system`, required
// `max_tokens`, named SSE events (message_start … message_stop) and
// `{ type: "error", error: { type, message }, request_id }` bodies.
import type { IncomingHttpHeaders } from 'node:http';
import { contentText } from './chat-request.js';
import { isRecord, type ErrorKind, type ErrorKnob } from './knobs.js';
import {
  chunkTokens,
  forcedToolCall,
  planReply,
  type ReplyFinish,
  type ReplyPlan,
  type ToolDefinition,
} from './reply.js';
import { jsonFrame, type StreamFrame } from './sse.js';
import { bearerToken, type ChatOutcome, type ErrorResponse, type WireFormat } from './wire-format.js';

interface ClaudeErrorTemplate {
  status: number;
  type: string;
  message: string;
  headers?: Record<string, string>;
}

// Status and type per platform.claude.com/docs/en/api/errors (see test/fixtures/providers/claude).
const ERRORS: Record<ErrorKind, ClaudeErrorTemplate> = {
  auth: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
  permission: {
    status: 403,
    type: 'permission_error',
    message: 'Your API key does not have permission to use the specified resource.',
  },
  bad_request: {
    status: 400,
    type: 'invalid_request_error',
    message: 'messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row',
  },
  context_length: {
    status: 400,
    type: 'invalid_request_error',
    message: 'prompt is too long: 208563 tokens > 200000 maximum',
  },
  rate_limit: {
    status: 429,
    type: 'rate_limit_error',
    message:
      'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
    headers: { 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '0' },
  },
  // A spend limit set by the organization is a 400 (documented); 402 and 429 variants below.
  quota: {
    status: 400,
    type: 'invalid_request_error',
    message: 'You have reached your specified API usage limits. You will regain access on 2026-01-01 at 00:00 UTC.',
  },
  overloaded: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
  server: { status: 500, type: 'api_error', message: 'Internal server error' },
};

const STOP_REASON: Record<ReplyFinish, string> = {
  stop: 'end_turn',
  stop_sequence: 'stop_sequence',
  length: 'max_tokens',
  tool_calls: 'tool_use',
};

function errorBody(type: string, message: string, requestId: string, details?: Record<string, unknown>): unknown {
  return { type: 'error', error: { type, message, ...(details ? { details } : {}) }, request_id: requestId };
}

function invalidRequest(message: string, requestId: string): ErrorResponse {
  return { status: 400, body: errorBody('invalid_request_error', message, requestId) };
}

export function renderClaudeError(error: ErrorKnob, requestId: string): ErrorResponse {
  if (error.kind === 'quota' && error.status === 402) {
    return {
      status: 402,
      body: errorBody(
        'billing_error',
        error.message ??
          'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
        requestId,
      ),
    };
  }
  if (error.kind === 'quota' && error.status === 429) {
    // A usage tier's monthly spend cap: a rate_limit_error whose details name the cap, no retry-after.
    return {
      status: 429,
      body: errorBody(
        'rate_limit_error',
        error.message ?? 'Your organization has reached its monthly spend limit for its usage tier.',
        requestId,
        {
          error_code: 'enforced_spend_limit_reached',
        },
      ),
    };
  }
  const template = ERRORS[error.kind];
  return {
    status: error.status ?? template.status,
    body: errorBody(template.type, error.message ?? template.message, requestId),
    ...(template.headers ? { headers: template.headers } : {}),
  };
}

interface ClaudeRequest {
  model: string;
  maxTokens: number;
  stream: boolean;
  lastUserText: string;
  promptText: string;
  stop: string[];
  tools: ToolDefinition[];
}

/** Reads a Messages request, or returns the 400 the API gives for it. */
function parseClaudeRequest(body: unknown, requestId: string): ClaudeRequest | ErrorResponse {
  if (!isRecord(body)) return invalidRequest('body: Input should be a valid dictionary', requestId);
  if (body.model === undefined) return invalidRequest('model: Field required', requestId);
  if (typeof body.model !== 'string' || body.model === '')
    return invalidRequest('model: Input should be a valid string', requestId);
  if (body.max_tokens === undefined) return invalidRequest('max_tokens: Field required', requestId);
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    return invalidRequest('max_tokens: Input should be a valid integer greater than or equal to 1', requestId);
  }
  if (body.messages === undefined) return invalidRequest('messages: Field required', requestId);
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return invalidRequest('messages: at least one message is required', requestId);

  const promptParts: string[] = [];
  if (typeof body.system === 'string') promptParts.push(body.system);
  else if (Array.isArray(body.system)) promptParts.push(contentText(body.system));
  else if (body.system !== undefined)
    return invalidRequest('system: Input should be a valid string or a list of text blocks', requestId);

  let lastUserText = '';
  for (const [index, message] of body.messages.entries()) {
    if (!isRecord(message)) return invalidRequest(`messages.${index}: Input should be a valid dictionary`, requestId);
    if (message.role === 'system') {
      return invalidRequest(
        'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.',
        requestId,
      );
    }
    if (message.role !== 'user' && message.role !== 'assistant') {
      return invalidRequest(`messages.${index}.role: Input should be 'user' or 'assistant'`, requestId);
    }
    const text = contentText(message.content);
    promptParts.push(text);
    if (message.role === 'user') lastUserText = text;
  }

  const stop = Array.isArray(body.stop_sequences)
    ? body.stop_sequences.filter((item): item is string => typeof item === 'string')
    : [];
  const tools: ToolDefinition[] = [];
  if (Array.isArray(body.tools)) {
    for (const [index, tool] of body.tools.entries()) {
      if (!isRecord(tool) || typeof tool.name !== 'string' || tool.name === '')
        return invalidRequest(`tools.${index}.name: Field required`, requestId);
      tools.push({ name: tool.name });
    }
  }
  return {
    model: body.model,
    maxTokens: body.max_tokens,
    stream: body.stream === true,
    lastUserText,
    promptText: promptParts.join('\n'),
    stop,
    tools,
  };
}

export function createClaudeFormat(): WireFormat {
  return {
    provider: 'claude',
    basePath: '',
    chatPath: '/v1/messages',
    modelsPath: '/v1/models',
    defaultModels: ['claude-sonnet-4-6', 'claude-opus-4-7', 'claude-haiku-4-5'],
    requestIdHeader: 'request-id',

    authenticate(headers: IncomingHttpHeaders, apiKey: string | undefined, requestId: string) {
      // The API takes the key in x-api-key or, as the current SDKs send it, as a bearer token.
      const header = headers['x-api-key'];
      const key = typeof header === 'string' && header !== '' ? header : bearerToken(headers);
      if (key === undefined) {
        return { status: 401, body: errorBody('authentication_error', 'x-api-key header is required', requestId) };
      }
      if (apiKey !== undefined && key !== apiKey)
        return { status: 401, body: errorBody('authentication_error', 'invalid x-api-key', requestId) };
      return undefined;
    },

    checkHeaders(headers, requestId) {
      const version = headers['anthropic-version'];
      if (typeof version !== 'string' || version === '')
        return invalidRequest('anthropic-version: header is required', requestId);
      return undefined;
    },

    renderError: renderClaudeError,

    notFound: (_method, _path, requestId) => ({
      status: 404,
      body: errorBody('not_found_error', 'Not Found', requestId),
    }),

    invalidJson: (requestId) =>
      invalidRequest('There was an error parsing the body of your request: it is not valid JSON.', requestId),

    modelsBody: (models) => ({
      data: models.map((id) => ({
        type: 'model',
        id,
        display_name: displayName(id),
        created_at: '2025-09-29T00:00:00Z',
      })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models[models.length - 1] ?? null,
    }),

    chat(body, context) {
      const request = parseClaudeRequest(body, context.requestId);
      if ('status' in request) return { type: 'error', error: request };
      if (!context.models.includes(request.model)) {
        return {
          type: 'error',
          error: { status: 404, body: errorBody('not_found_error', `model: ${request.model}`, context.requestId) },
        };
      }
      const plan = planReply({
        label: 'Claude',
        lastUserText: request.lastUserText,
        promptText: request.promptText,
        maxTokens: request.maxTokens,
        stop: request.stop,
        tools: request.tools,
        ...forcedToolCall(context.knobs),
        serial: context.serial,
      });
      const id = `msg_sim${context.serial.toString(36).padStart(16, '0')}`;
      return claudeOutcome(id, request, plan);
    },
  };
}

/** "claude-sonnet-4-6" -> "Claude Sonnet 4.6", the way the models endpoint names models. */
function displayName(id: string): string {
  const words: string[] = [];
  for (const part of id.split('-')) {
    const previous = words.at(-1);
    if (/^\d+$/.test(part) && previous !== undefined && /^\d+(\.\d+)*$/.test(previous))
      words[words.length - 1] = `${previous}.${part}`;
    else words.push(/^\d+$/.test(part) ? part : part.charAt(0).toUpperCase() + part.slice(1));
  }
  return words.join(' ');
}

function claudeUsage(plan: ReplyPlan, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: plan.promptTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function claudeOutcome(id: string, request: ClaudeRequest, plan: ReplyPlan): ChatOutcome {
  const toolBlock = plan.toolCall
    ? { type: 'tool_use', id: `toolu_sim${plan.toolCall.id}`, name: plan.toolCall.name }
    : undefined;
  const stopSequence = plan.stopSequence ?? null;
  if (!request.stream) {
    const content =
      toolBlock && plan.toolCall
        ? [{ ...toolBlock, input: JSON.parse(plan.toolCall.argumentsJson) as unknown }]
        : [{ type: 'text', text: plan.text }];
    return {
      type: 'json',
      body: {
        id,
        type: 'message',
        role: 'assistant',
        model: request.model,
        content,
        stop_reason: STOP_REASON[plan.finish],
        stop_sequence: stopSequence,
        usage: claudeUsage(plan, plan.completionTokens),
      },
    };
  }

  const frames: StreamFrame[] = [
    jsonFrame(
      {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model: request.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: claudeUsage(plan, 1),
        },
      },
      0,
      'message_start',
    ),
  ];
  if (toolBlock && plan.toolCall) {
    frames.push(
      jsonFrame(
        { type: 'content_block_start', index: 0, content_block: { ...toolBlock, input: {} } },
        0,
        'content_block_start',
      ),
    );
    frames.push(jsonFrame({ type: 'ping' }, 0, 'ping'));
    // The API opens a tool input with an empty fragment before the JSON text.
    for (const fragment of ['', ...plan.toolCall.argumentFragments]) {
      frames.push(
        jsonFrame(
          { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: fragment } },
          fragment ? 1 : 0,
          'content_block_delta',
        ),
      );
    }
  } else {
    frames.push(
      jsonFrame(
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        0,
        'content_block_start',
      ),
    );
    frames.push(jsonFrame({ type: 'ping' }, 0, 'ping'));
    for (const tokens of chunkTokens(plan.textTokens)) {
      frames.push(
        jsonFrame(
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: tokens.join('') } },
          tokens.length,
          'content_block_delta',
        ),
      );
    }
  }
  frames.push(jsonFrame({ type: 'content_block_stop', index: 0 }, 0, 'content_block_stop'));
  frames.push(
    jsonFrame(
      {
        type: 'message_delta',
        delta: { stop_reason: STOP_REASON[plan.finish], stop_sequence: stopSequence },
        usage: { output_tokens: plan.completionTokens },
      },
      0,
      'message_delta',
    ),
  );
  frames.push(jsonFrame({ type: 'message_stop' }, 0, 'message_stop'));
  return { type: 'stream', frames };
}
