import { asArray, asRecord, asString } from '../../core/wire.js';
import type { ChatMessage, ChatRequest, ContentPart, Role, ToolChoice } from '../../model/chat-request.js';
import type { ChatResponse, FinishReason, StreamEvent, Usage } from '../../model/chat-response.js';
import { type ClientError, openAIErrorBody } from '../error-format.js';
import { optionalBoolean, optionalNumber, RequestFormatError } from '../request-format-error.js';

/** An OpenAI Chat Completions request body into the normalised request. */
export function fromOpenAIRequest(body: unknown): ChatRequest {
  const root = asRecord(body);
  if (!root) throw new RequestFormatError('body', 'the body must be a JSON object');
  const model = asString(root.model);
  if (!model) throw new RequestFormatError('model', 'model is required and must be a string');
  const messages = asArray(root.messages);
  if (!messages?.length) throw new RequestFormatError('messages', 'messages must be a non-empty array');
  const streamOptions = asRecord(root.stream_options);
  const stop =
    typeof root.stop === 'string'
      ? [root.stop]
      : asArray(root.stop)?.filter((entry): entry is string => typeof entry === 'string');
  const tools = asArray(root.tools)?.map((tool, position) => {
    const fn = asRecord(asRecord(tool)?.function);
    const name = asString(fn?.name);
    if (!name) throw new RequestFormatError(`tools[${position}].function.name`, 'each tool needs a function name');
    return {
      name,
      description: asString(fn?.description),
      parameters: asRecord(fn?.parameters) ?? { type: 'object', properties: {} },
    };
  });
  const responseFormat = asRecord(root.response_format);
  const jsonSchema = asRecord(responseFormat?.json_schema);
  return {
    model,
    messages: messages.map((message, position) => toMessage(message, position)),
    stream: optionalBoolean(root, 'stream') === true,
    includeUsage: streamOptions?.include_usage === true,
    maxTokens:
      optionalNumber(root, 'max_completion_tokens', { min: 1, max: 10_000_000 }) ??
      optionalNumber(root, 'max_tokens', { min: 1, max: 10_000_000 }),
    temperature: optionalNumber(root, 'temperature', { min: 0, max: 2 }),
    topP: optionalNumber(root, 'top_p', { min: 0, max: 1 }),
    stop: stop?.length ? stop : undefined,
    presencePenalty: optionalNumber(root, 'presence_penalty', { min: -2, max: 2 }),
    frequencyPenalty: optionalNumber(root, 'frequency_penalty', { min: -2, max: 2 }),
    seed: optionalNumber(root, 'seed'),
    user: asString(root.user),
    tools: tools?.length ? tools : undefined,
    toolChoice: toToolChoice(root.tool_choice),
    parallelToolCalls: typeof root.parallel_tool_calls === 'boolean' ? root.parallel_tool_calls : undefined,
    responseFormat: responseFormat
      ? {
          type: (asString(responseFormat.type) ?? 'text') as 'text' | 'json_object' | 'json_schema',
          name: asString(jsonSchema?.name),
          schema: asRecord(jsonSchema?.schema),
        }
      : undefined,
    reasoning: asString(root.reasoning_effort) ? { enabled: root.reasoning_effort !== 'none' } : undefined,
  };
}

function toMessage(value: unknown, position: number): ChatMessage {
  const message = asRecord(value);
  const role = asString(message?.role);
  const roles: Role[] = ['system', 'user', 'assistant', 'tool'];
  const normalisedRole = role === 'developer' ? 'system' : role;
  if (!message || !roles.includes(normalisedRole as Role)) {
    throw new RequestFormatError(
      `messages[${position}].role`,
      'role must be one of system, developer, user, assistant, tool',
    );
  }
  const toolCalls = asArray(message.tool_calls)?.map((call) => {
    const record = asRecord(call);
    const fn = asRecord(record?.function);
    return { id: asString(record?.id) ?? '', name: asString(fn?.name) ?? '', arguments: asString(fn?.arguments) ?? '' };
  });
  return {
    role: normalisedRole as Role,
    content: toContent(message.content, position),
    ...(toolCalls?.length ? { toolCalls } : {}),
    ...(asString(message.tool_call_id) ? { toolCallId: asString(message.tool_call_id) } : {}),
    ...(asString(message.name) ? { name: asString(message.name) } : {}),
  };
}

function toContent(content: unknown, position: number): string | ContentPart[] {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  const parts = asArray(content);
  if (!parts)
    throw new RequestFormatError(`messages[${position}].content`, 'content must be a string or an array of parts');
  return parts.map((part, index) => {
    const record = asRecord(part);
    if (record?.type === 'text') return { type: 'text', text: asString(record.text) ?? '' };
    const url = asString(asRecord(record?.image_url)?.url);
    if (record?.type === 'image_url' && url) return { type: 'image', url };
    throw new RequestFormatError(
      `messages[${position}].content[${index}]`,
      'parts must be {type: "text"} or {type: "image_url"}',
    );
  });
}

function toToolChoice(value: unknown): ToolChoice | undefined {
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  const name = asString(asRecord(asRecord(value)?.function)?.name);
  return name ? { name } : undefined;
}

const FINISH: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
};

function wireUsage(usage: Usage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    ...(usage.cachedTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cachedTokens } } : {}),
    ...(usage.reasoningTokens !== undefined
      ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }
      : {}),
  };
}

/** A normalised response as an OpenAI `chat.completion` object. */
export function toOpenAIResponse(response: ChatResponse, id = openAIId(response.id)): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: response.message.content, refusal: null };
  if (response.message.reasoningContent) message.reasoning_content = response.message.reasoningContent;
  if (response.message.toolCalls?.length) {
    message.tool_calls = response.message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id,
    object: 'chat.completion',
    created: response.created,
    model: response.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[response.finishReason] }],
    ...(response.usage ? { usage: wireUsage(response.usage) } : {}),
    ...(response.citations ? { citations: response.citations } : {}),
    ...(response.searchResults ? { search_results: response.searchResults } : {}),
  };
}

function openAIId(upstreamId: string): string {
  return upstreamId.startsWith('chatcmpl-')
    ? upstreamId
    : `chatcmpl-${upstreamId || crypto.randomUUID().replaceAll('-', '')}`;
}

/**
 * Renders normalised stream events as OpenAI `chat.completion.chunk` SSE frames, ending with
 * `data: [DONE]` only after a complete upstream answer. A failure after the first byte becomes an
 * error chunk with no [DONE], so no client mistakes a broken answer for a finished one.
 */
export class OpenAIStreamWriter {
  private id = '';
  private model = '';
  private created = 0;

  constructor(
    private readonly includeUsage: boolean,
    private readonly idOverride?: string,
  ) {}

  write(event: StreamEvent): string {
    switch (event.type) {
      case 'start':
        this.id = this.idOverride ?? openAIId(event.id);
        this.model = event.model;
        this.created = event.created;
        return this.chunk({ role: 'assistant', content: '' });
      case 'text':
        return this.chunk({ content: event.text });
      case 'reasoning':
        return this.chunk({ reasoning_content: event.text });
      case 'tool_call_start':
        return this.chunk({
          tool_calls: [
            { index: event.toolIndex, id: event.id, type: 'function', function: { name: event.name, arguments: '' } },
          ],
        });
      case 'tool_call_delta':
        return this.chunk({ tool_calls: [{ index: event.toolIndex, function: { arguments: event.argumentsDelta } }] });
      case 'citations':
        return this.frame({
          ...this.base(),
          choices: [],
          citations: event.citations,
          ...(event.searchResults ? { search_results: event.searchResults } : {}),
        });
      case 'finish':
        return this.frame({
          ...this.base(),
          choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: FINISH[event.finishReason] }],
        });
      case 'usage':
        return this.includeUsage ? this.frame({ ...this.base(), choices: [], usage: wireUsage(event.usage) }) : '';
      case 'end':
        return 'data: [DONE]\n\n';
    }
  }

  /** The frame that ends a failed stream (no [DONE] follows). */
  error(error: ClientError): string {
    return this.frame(openAIErrorBody(error));
  }

  private base(): Record<string, unknown> {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }

  private chunk(delta: Record<string, unknown>): string {
    return this.frame({ ...this.base(), choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] });
  }

  private frame(payload: unknown): string {
    return `data: ${JSON.stringify(payload)}\n\n`;
  }
}
