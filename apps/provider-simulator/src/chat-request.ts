// Reading an OpenAI-style chat completions request body (OpenAI, ZAI, Perplexity and
// OpenAI-compatible servers all accept this shape). Validation errors carry the parameter name
// so each provider can render them in its own error body.
import { isRecord } from './knobs.js';
import type { ToolDefinition } from './reply.js';

export interface OpenAiStyleRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  lastUserText: string;
  promptText: string;
  maxTokens?: number;
  stop: string[];
  tools: ToolDefinition[];
  body: Record<string, unknown>;
}

export class RequestProblem extends Error {
  constructor(
    readonly param: string,
    message: string,
    readonly code: 'missing' | 'invalid',
  ) {
    super(message);
  }
}

/** Text of a message `content`: a string, or the text parts of a content-part array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join(' ');
}

export function parseOpenAiStyleRequest(body: unknown): OpenAiStyleRequest {
  if (!isRecord(body)) throw new RequestProblem('body', 'The request body must be a JSON object.', 'invalid');
  if (body.model === undefined) throw new RequestProblem('model', 'you must provide a model parameter', 'missing');
  if (typeof body.model !== 'string' || body.model === '')
    throw new RequestProblem('model', "Invalid type for 'model': expected a string.", 'invalid');
  if (body.messages === undefined)
    throw new RequestProblem('messages', "Missing required parameter: 'messages'.", 'missing');
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new RequestProblem('messages', "Invalid 'messages': expected a non-empty array.", 'invalid');
  }

  let lastUserText = '';
  const promptParts: string[] = [];
  body.messages.forEach((message, index) => {
    if (!isRecord(message) || typeof message.role !== 'string') {
      throw new RequestProblem(
        `messages[${index}]`,
        `Invalid 'messages[${index}]': expected an object with a 'role'.`,
        'invalid',
      );
    }
    const text = contentText(message.content);
    promptParts.push(text);
    if (message.role === 'user') lastUserText = text;
  });

  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (
    maxTokens !== undefined &&
    maxTokens !== null &&
    (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
  ) {
    const param = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    throw new RequestProblem(
      param,
      `Invalid '${param}': integer below minimum value. Expected a value >= 1.`,
      'invalid',
    );
  }

  let stop: string[] = [];
  if (typeof body.stop === 'string') stop = [body.stop];
  else if (Array.isArray(body.stop)) stop = body.stop.filter((item): item is string => typeof item === 'string');
  else if (body.stop !== undefined && body.stop !== null)
    throw new RequestProblem('stop', "Invalid 'stop': expected a string or an array of strings.", 'invalid');

  const tools: ToolDefinition[] = [];
  if (Array.isArray(body.tools)) {
    body.tools.forEach((tool, index) => {
      const name = isRecord(tool) && isRecord(tool.function) ? tool.function.name : undefined;
      if (typeof name !== 'string' || name === '') {
        throw new RequestProblem(
          `tools[${index}].function.name`,
          `Missing required parameter: 'tools[${index}].function.name'.`,
          'missing',
        );
      }
      tools.push({ name });
    });
  }

  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  return {
    model: body.model,
    stream: body.stream === true,
    includeUsage: streamOptions.include_usage === true,
    lastUserText,
    promptText: promptParts.join('\n'),
    ...(typeof maxTokens === 'number' ? { maxTokens } : {}),
    stop,
    tools,
    body,
  };
}
