import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from '../../model/chat-request.js';
import { textOf } from '../../model/chat-request.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic requires max_tokens; this is sent when the client gave none. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;

/**
 * The Messages API body: system prompts go top-level, tool results travel as user-turn
 * `tool_result` blocks, consecutive turns of one role are merged (the API wants alternation),
 * and the parameters Anthropic lacks (penalties, seed, response_format) are dropped.
 */
export function buildClaudeBody(request: ChatRequest): Record<string, unknown> {
  const system = request.messages
    .filter((message) => message.role === 'system')
    .map((message) => textOf(message.content));
  const turns: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  for (const message of request.messages) {
    if (message.role === 'system') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = toBlocks(message);
    const previous = turns.at(-1);
    if (previous?.role === role) previous.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages: turns,
    stream: request.stream,
  };
  if (system.length) body.system = system.join('\n\n');
  // Anthropic's range is 0..1 where OpenAI's is 0..2.
  if (request.temperature !== undefined) body.temperature = Math.min(1, request.temperature);
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.stop?.length) body.stop_sequences = request.stop;
  if (request.user) body.metadata = { user_id: request.user };
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters,
    }));
    const choice = toToolChoice(request.toolChoice ?? 'auto');
    if (request.parallelToolCalls === false && choice.type !== 'none') choice.disable_parallel_tool_use = true;
    body.tool_choice = choice;
  }
  if (request.reasoning?.enabled)
    body.thinking = { type: 'enabled', budget_tokens: request.reasoning.budgetTokens ?? 1024 };
  for (const [key, value] of Object.entries(request.providerOptions ?? {})) {
    if (!(key in body)) body[key] = value;
  }
  return body;
}

function toBlocks(message: ChatMessage): Block[] {
  if (message.role === 'tool') {
    return [{ type: 'tool_result', tool_use_id: message.toolCallId, content: textOf(message.content) }];
  }
  const blocks: Block[] =
    typeof message.content === 'string'
      ? message.content
        ? [{ type: 'text', text: message.content }]
        : []
      : message.content.map(toContentBlock);
  for (const call of message.toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.arguments) });
  }
  return blocks;
}

function toContentBlock(part: ContentPart): Block {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const inline = /^data:([^;,]+);base64,(.*)$/s.exec(part.url);
  return inline
    ? { type: 'image', source: { type: 'base64', media_type: inline[1], data: inline[2] } }
    : { type: 'image', source: { type: 'url', url: part.url } };
}

function toToolChoice(choice: ToolChoice): Block {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  return { type: 'tool', name: choice.name };
}

function parseArguments(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    // The model's arguments were not JSON; keep them rather than lose them.
    return { _raw: text };
  }
}
