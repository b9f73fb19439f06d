import { asArray, asNumber, asRecord, asString } from '../../core/wire.js';
import type { ChatMessage, ChatRequest, ContentPart, ToolCall, ToolChoice } from '../../model/chat-request.js';
import type { ChatResponse, FinishReason, StreamEvent } from '../../model/chat-response.js';
import { anthropicErrorBody, type ClientError } from '../error-format.js';
import { optionalBoolean, optionalNumber, RequestFormatError } from '../request-format-error.js';

/** An Anthropic Messages request body into the normalised request. */
export function fromAnthropicRequest(body: unknown): ChatRequest {
  const root = asRecord(body);
  if (!root) throw new RequestFormatError('body', 'the body must be a JSON object');
  const model = asString(root.model);
  if (!model) throw new RequestFormatError('model', 'model is required and must be a string');
  const maxTokens = asNumber(root.max_tokens);
  if (maxTokens === undefined)
    throw new RequestFormatError('max_tokens', 'max_tokens is required and must be a number');
  const turns = asArray(root.messages);
  if (!turns?.length) throw new RequestFormatError('messages', 'messages must be a non-empty array');
  const messages: ChatMessage[] = [];
  const system =
    typeof root.system === 'string'
      ? root.system
      : asArray(root.system)
          ?.map((block) => asString(asRecord(block)?.text) ?? '')
          .join('\n');
  if (system) messages.push({ role: 'system', content: system });
  for (const [position, turn] of turns.entries()) messages.push(...toMessages(turn, position));
  const tools = asArray(root.tools)?.map((tool, position) => {
    const record = asRecord(tool);
    const name = asString(record?.name);
    if (!name) throw new RequestFormatError(`tools[${position}].name`, 'each tool needs a name');
    return {
      name,
      description: asString(record?.description),
      parameters: asRecord(record?.input_schema) ?? { type: 'object', properties: {} },
    };
  });
  const toolChoice = asRecord(root.tool_choice);
  const thinking = asRecord(root.thinking);
  const stop = asArray(root.stop_sequences)?.filter((entry): entry is string => typeof entry === 'string');
  return {
    model,
    messages,
    stream: optionalBoolean(root, 'stream') === true,
    includeUsage: true,
    maxTokens,
    temperature: optionalNumber(root, 'temperature', { min: 0, max: 1 }),
    topP: optionalNumber(root, 'top_p', { min: 0, max: 1 }),
    topK: optionalNumber(root, 'top_k', { min: 0, max: 10_000 }),
    stop: stop?.length ? stop : undefined,
    user: asString(asRecord(root.metadata)?.user_id),
    tools: tools?.length ? tools : undefined,
    toolChoice: toToolChoice(toolChoice),
    parallelToolCalls: toolChoice?.disable_parallel_tool_use === true ? false : undefined,
    reasoning:
      thinking?.type === 'enabled' ? { enabled: true, budgetTokens: asNumber(thinking.budget_tokens) } : undefined,
  };
}

/** One Anthropic turn may hold tool results (each becomes a tool message) beside text and images. */
function toMessages(value: unknown, position: number): ChatMessage[] {
  const turn = asRecord(value);
  const role = asString(turn?.role);
  if (role !== 'user' && role !== 'assistant')
    throw new RequestFormatError(`messages[${position}].role`, 'role must be user or assistant');
  if (typeof turn!.content === 'string') return [{ role, content: turn!.content }];
  const blocks = asArray(turn!.content);
  if (!blocks)
    throw new RequestFormatError(`messages[${position}].content`, 'content must be a string or an array of blocks');
  const results: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  blocks.forEach((value, index) => {
    const block = asRecord(value);
    switch (block?.type) {
      case 'text':
        parts.push({ type: 'text', text: asString(block.text) ?? '' });
        break;
      case 'image': {
        const source = asRecord(block.source);
        const url =
          source?.type === 'base64'
            ? `data:${asString(source.media_type)};base64,${asString(source.data)}`
            : asString(source?.url);
        if (!url)
          throw new RequestFormatError(
            `messages[${position}].content[${index}].source`,
            'an image needs a base64 or url source',
          );
        parts.push({ type: 'image', url });
        break;
      }
      case 'tool_use':
        toolCalls.push({
          id: asString(block.id) ?? '',
          name: asString(block.name) ?? '',
          arguments: JSON.stringify(block.input ?? {}),
        });
        break;
      case 'tool_result': {
        const content =
          typeof block.content === 'string'
            ? block.content
            : (asArray(block.content)
                ?.map((part) => asString(asRecord(part)?.text) ?? '')
                .join('') ?? '');
        results.push({ role: 'tool', toolCallId: asString(block.tool_use_id) ?? '', content });
        break;
      }
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        throw new RequestFormatError(
          `messages[${position}].content[${index}].type`,
          'blocks must be text, image, tool_use or tool_result',
        );
    }
  });
  const onlyText = parts.every((part) => part.type === 'text');
  const content = onlyText ? parts.map((part) => (part as { text: string }).text).join('') : parts;
  if (parts.length === 0 && toolCalls.length === 0) return results;
  return [...results, { role, content, ...(toolCalls.length ? { toolCalls } : {}) }];
}

function toToolChoice(choice: Record<string, unknown> | undefined): ToolChoice | undefined {
  switch (choice?.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return asString(choice.name) ? { name: asString(choice.name)! } : undefined;
    default:
      return undefined;
  }
}

const STOP_REASON: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

function anthropicId(upstreamId: string): string {
  return upstreamId.startsWith('msg_') ? upstreamId : `msg_${upstreamId || crypto.randomUUID().replaceAll('-', '')}`;
}

/** A normalised response as an Anthropic `message` object. */
export function toAnthropicMessage(response: ChatResponse, id = anthropicId(response.id)): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (response.message.reasoningContent)
    content.push({ type: 'thinking', thinking: response.message.reasoningContent, signature: '' });
  if (response.message.content) content.push({ type: 'text', text: response.message.content });
  for (const call of response.message.toolCalls ?? [])
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: parseInput(call.arguments) });
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: response.model,
    content,
    stop_reason: STOP_REASON[response.finishReason],
    stop_sequence: null,
    usage: { input_tokens: response.usage?.promptTokens ?? 0, output_tokens: response.usage?.completionTokens ?? 0 },
  };
}

function parseInput(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return { _raw: text };
  }
}

type BlockKind = 'text' | 'thinking' | 'tool_use';

/**
 * Renders normalised stream events as Anthropic's named SSE events, message_start through
 * message_stop. Blocks are opened and closed as the content changes kind. A failure after the first
 * byte ends the stream with an `error` event and no message_stop.
 */
export class AnthropicStreamWriter {
  private blockIndex = -1;
  private open: { kind: BlockKind; toolIndex?: number } | undefined;
  private stopReason: string | null = null;
  private deltaSent = false;

  constructor(private readonly idOverride?: string) {}

  write(event: StreamEvent): string {
    switch (event.type) {
      case 'start':
        return this.frame('message_start', {
          type: 'message_start',
          message: {
            id: this.idOverride ?? anthropicId(event.id),
            type: 'message',
            role: 'assistant',
            model: event.model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            // The input count arrives with the usage at the end of most upstream streams.
            usage: { input_tokens: 0, output_tokens: 0 },
          },
        });
      case 'text':
        return (
          this.ensureBlock('text', { type: 'text', text: '' }) +
          this.frame('content_block_delta', {
            type: 'content_block_delta',
            index: this.blockIndex,
            delta: { type: 'text_delta', text: event.text },
          })
        );
      case 'reasoning':
        return (
          this.ensureBlock('thinking', { type: 'thinking', thinking: '', signature: '' }) +
          this.frame('content_block_delta', {
            type: 'content_block_delta',
            index: this.blockIndex,
            delta: { type: 'thinking_delta', thinking: event.text },
          })
        );
      case 'tool_call_start':
        return (
          this.closeBlock() +
          this.openBlock('tool_use', { type: 'tool_use', id: event.id, name: event.name, input: {} }, event.toolIndex)
        );
      case 'tool_call_delta':
        if (this.open?.kind !== 'tool_use' || this.open.toolIndex !== event.toolIndex) return '';
        return this.frame('content_block_delta', {
          type: 'content_block_delta',
          index: this.blockIndex,
          delta: { type: 'input_json_delta', partial_json: event.argumentsDelta },
        });
      case 'finish':
        this.stopReason = STOP_REASON[event.finishReason];
        return '';
      case 'usage':
        return (
          this.closeBlock() +
          this.frame('message_delta', {
            type: 'message_delta',
            delta: { stop_reason: this.stopReason ?? 'end_turn', stop_sequence: null },
            usage: { input_tokens: event.usage.promptTokens, output_tokens: event.usage.completionTokens },
          })
        );
      case 'citations':
        return '';
      case 'end':
        return this.closeBlock() + this.usageIfMissing() + this.frame('message_stop', { type: 'message_stop' });
    }
  }

  error(error: ClientError): string {
    return this.frame('error', anthropicErrorBody(error));
  }

  /** A message_delta carries the stop reason; send one if the upstream gave no usage. */
  private usageIfMissing(): string {
    if (this.deltaSent) return '';
    return this.frame('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: this.stopReason ?? 'end_turn', stop_sequence: null },
      usage: { output_tokens: 0 },
    });
  }

  private ensureBlock(kind: BlockKind, start: Record<string, unknown>): string {
    if (this.open?.kind === kind) return '';
    return this.closeBlock() + this.openBlock(kind, start);
  }

  private openBlock(kind: BlockKind, start: Record<string, unknown>, toolIndex?: number): string {
    this.blockIndex += 1;
    this.open = { kind, toolIndex };
    return this.frame('content_block_start', {
      type: 'content_block_start',
      index: this.blockIndex,
      content_block: start,
    });
  }

  private closeBlock(): string {
    if (!this.open) return '';
    this.open = undefined;
    return this.frame('content_block_stop', { type: 'content_block_stop', index: this.blockIndex });
  }

  private frame(event: string, data: unknown): string {
    if (event === 'message_delta') this.deltaSent = true;
    return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  }
}
