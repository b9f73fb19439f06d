import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from '../../model/chat-request.js';

/** The normalised request fields an OpenAI-style body can carry. */
export type OpenAILikeParameter =
  | 'maxTokens'
  | 'temperature'
  | 'topP'
  | 'topK'
  | 'stop'
  | 'presencePenalty'
  | 'frequencyPenalty'
  | 'seed'
  | 'user'
  | 'tools'
  | 'toolChoice'
  | 'parallelToolCalls'
  | 'responseFormat'
  | 'includeUsage'
  | 'reasoning';

/**
 * A declarative map from normalised fields to wire fields: the wire name, or null when the
 * provider rejects the field (it is dropped, not sent).
 */
export type ParameterMap = Record<OpenAILikeParameter, string | null>;

export const OPENAI_PARAMETERS: ParameterMap = {
  maxTokens: 'max_completion_tokens',
  temperature: 'temperature',
  topP: 'top_p',
  topK: null,
  stop: 'stop',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
  seed: 'seed',
  user: 'user',
  tools: 'tools',
  toolChoice: 'tool_choice',
  parallelToolCalls: 'parallel_tool_calls',
  responseFormat: 'response_format',
  includeUsage: 'stream_options',
  reasoning: null,
};

export interface OpenAILikeRequestOptions {
  parameters: ParameterMap;
  /** Reshapes a value where the provider wants something other than OpenAI's form. */
  reshape?: Partial<Record<OpenAILikeParameter, (request: ChatRequest) => unknown>>;
}

/** Builds an OpenAI chat-completions body from the normalised request. */
export function buildOpenAILikeBody(request: ChatRequest, options: OpenAILikeRequestOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map(toWireMessage),
    stream: request.stream,
  };
  const values: Record<OpenAILikeParameter, unknown> = {
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    topP: request.topP,
    topK: request.topK,
    stop: request.stop?.length ? request.stop : undefined,
    presencePenalty: request.presencePenalty,
    frequencyPenalty: request.frequencyPenalty,
    seed: request.seed,
    user: request.user,
    tools: request.tools?.length
      ? request.tools.map((tool) => ({
          type: 'function',
          function: { name: tool.name, description: tool.description, parameters: tool.parameters },
        }))
      : undefined,
    toolChoice: request.toolChoice === undefined ? undefined : toWireToolChoice(request.toolChoice),
    parallelToolCalls: request.tools?.length ? request.parallelToolCalls : undefined,
    responseFormat: request.responseFormat ? toWireResponseFormat(request) : undefined,
    includeUsage: request.stream && request.includeUsage ? { include_usage: true } : undefined,
    reasoning: undefined,
  };
  for (const [field, wireName] of Object.entries(options.parameters) as [OpenAILikeParameter, string | null][]) {
    if (wireName === null) continue;
    const value = options.reshape?.[field] ? options.reshape[field]!(request) : values[field];
    if (value !== undefined) body[wireName] = value;
  }
  for (const [key, value] of Object.entries(request.providerOptions ?? {})) {
    if (!(key in body)) body[key] = value;
  }
  return body;
}

function toWireMessage(message: ChatMessage): Record<string, unknown> {
  const wire: Record<string, unknown> = { role: message.role, content: toWireContent(message.content) };
  if (message.name) wire.name = message.name;
  if (message.role === 'assistant' && message.toolCalls?.length) {
    wire.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
    if (wire.content === '') wire.content = null;
  }
  if (message.role === 'tool') wire.tool_call_id = message.toolCallId;
  return wire;
}

function toWireContent(content: string | ContentPart[]): unknown {
  if (typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'text' ? { type: 'text', text: part.text } : { type: 'image_url', image_url: { url: part.url } },
  );
}

function toWireToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function toWireResponseFormat(request: ChatRequest): unknown {
  const format = request.responseFormat!;
  if (format.type !== 'json_schema') return { type: format.type };
  return { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema ?? {} } };
}
