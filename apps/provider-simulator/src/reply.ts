// The deterministic "model": what a simulated provider answers, independent of wire format.
// Stream and non-stream renderings of the same request come from one ReplyPlan, which is what
// keeps their text, finish reason and usage identical.
import type { Knobs } from './knobs.js';

/** How many words a full reply has before max_tokens or stop sequences shorten it. */
export const REPLY_WORDS = 32;
/** Tokens per stream chunk: small enough that every reply streams as several chunks. */
export const TOKENS_PER_CHUNK = 3;

const PADDING_WORDS = [
  'the',
  'gateway',
  'routes',
  'each',
  'request',
  'to',
  'a',
  'healthy',
  'instance',
  'and',
  'keeps',
  'latency',
  'low',
  'while',
  'providers',
  'answer',
  'with',
  'tokens',
  'that',
  'arrive',
  'in',
  'small',
  'chunks',
  'so',
  'clients',
  'see',
  'progress',
  'early',
  'every',
  'time',
];

export type ReplyFinish = 'stop' | 'length' | 'stop_sequence' | 'tool_calls';

export interface ToolCallPlan {
  id: string;
  name: string;
  argumentsJson: string;
  /** The arguments split the way a provider streams them. */
  argumentFragments: string[];
}

export interface ReplyPlan {
  text: string;
  /** One entry per output token; joined they give `text`. */
  textTokens: string[];
  reasoning: string;
  reasoningTokens: string[];
  toolCall?: ToolCallPlan;
  finish: ReplyFinish;
  stopSequence?: string;
  promptTokens: number;
  completionTokens: number;
}

export interface ToolDefinition {
  name: string;
}

export interface ReplyRequest {
  /** Provider name used in the reply, e.g. "OpenAI". */
  label: string;
  lastUserText: string;
  /** Every piece of input text (system, messages), for the prompt token count. */
  promptText: string;
  maxTokens?: number;
  stop?: string[];
  /** ZAI thinking: also produce reasoning_content. */
  reasoning?: boolean;
  /** Perplexity sonar-reasoning: the answer starts with a <think> section. */
  thinkTag?: boolean;
  tools?: ToolDefinition[];
  /** The toolCall knob, already resolved: force a call, optionally with name and arguments. */
  forcedToolCall?: { name?: string; arguments?: Record<string, unknown> };
  /** Seeds ids so that concurrent requests do not share them. */
  serial: number;
}

/** The toolCall knob in the form planReply takes. */
export function forcedToolCall(knobs: Knobs): Pick<ReplyRequest, 'forcedToolCall'> {
  const knob = knobs.toolCall;
  if (knob === undefined || knob === false) return {};
  return { forcedToolCall: knob === true ? {} : knob };
}

export function countPromptTokens(promptText: string): number {
  return Math.max(1, Math.ceil(promptText.length / 4));
}

/** Splits text into tokens: each word with its leading whitespace, plus any trailing whitespace. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

export function planReply(request: ReplyRequest): ReplyPlan {
  const promptTokens = countPromptTokens(request.promptText);
  const toolCall = planToolCall(request);
  if (toolCall) {
    const completionTokens = Math.max(1, Math.ceil((toolCall.name.length + toolCall.argumentsJson.length) / 4));
    return {
      text: '',
      textTokens: [],
      reasoning: '',
      reasoningTokens: [],
      toolCall,
      finish: 'tool_calls',
      promptTokens,
      completionTokens,
    };
  }

  const reasoning = request.reasoning ? reasoningText(request.lastUserText) : '';
  const reasoningTokens = tokenize(reasoning);
  let full = replyText(request.label, request.lastUserText);
  if (request.thinkTag) full = `<think>${reasoningText(request.lastUserText)}</think>\n\n${full}`;

  let finish: ReplyFinish = 'stop';
  let stopSequence: string | undefined;
  let cutAt = full.length;
  for (const sequence of request.stop ?? []) {
    const index = sequence === '' ? -1 : full.indexOf(sequence);
    if (index >= 0 && index < cutAt) {
      cutAt = index;
      stopSequence = sequence;
    }
  }
  let textTokens = tokenize(full.slice(0, cutAt));
  if (stopSequence !== undefined) finish = 'stop_sequence';
  if (request.maxTokens !== undefined && textTokens.length > request.maxTokens) {
    textTokens = textTokens.slice(0, request.maxTokens);
    finish = 'length';
    stopSequence = undefined;
  }
  const text = textTokens.join('');
  return {
    text,
    textTokens,
    reasoning,
    reasoningTokens,
    finish,
    ...(stopSequence !== undefined ? { stopSequence } : {}),
    promptTokens,
    completionTokens: textTokens.length + reasoningTokens.length,
  };
}

/** Groups tokens into stream chunks of TOKENS_PER_CHUNK. */
export function chunkTokens(tokens: string[]): string[][] {
  const chunks: string[][] = [];
  for (let index = 0; index < tokens.length; index += TOKENS_PER_CHUNK)
    chunks.push(tokens.slice(index, index + TOKENS_PER_CHUNK));
  return chunks;
}

export function firstWords(text: string, count: number): string {
  return text.trim().split(/\s+/).filter(Boolean).slice(0, count).join(' ');
}

/** A cheap stable string hash (FNV-1a), for choosing padding words and ids. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function replyText(label: string, lastUserText: string): string {
  const quoted = firstWords(lastUserText, 8) || '(empty message)';
  const words = `Simulated ${label} reply to: ${quoted}`.split(' ');
  let padding = hashText(lastUserText) % PADDING_WORDS.length;
  while (words.length < REPLY_WORDS) {
    words.push(PADDING_WORDS[padding % PADDING_WORDS.length]!);
    padding++;
  }
  return `${words.join(' ')}.`;
}

function reasoningText(lastUserText: string): string {
  const topic = firstWords(lastUserText, 5) || 'an empty message';
  return `The user asked about ${topic}, so a short deterministic answer follows.`;
}

function planToolCall(request: ReplyRequest): ToolCallPlan | undefined {
  const tools = request.tools ?? [];
  if (tools.length === 0) return undefined;
  const asksForWeather = /\bweather\b/i.test(request.lastUserText);
  if (!request.forcedToolCall && !asksForWeather) return undefined;
  const name = request.forcedToolCall?.name ?? tools.find((tool) => /weather/i.test(tool.name))?.name ?? tools[0]!.name;
  const args = request.forcedToolCall?.arguments ?? { location: locationIn(request.lastUserText) };
  const argumentsJson = JSON.stringify(args);
  const argumentFragments: string[] = [];
  for (let index = 0; index < argumentsJson.length; index += 8)
    argumentFragments.push(argumentsJson.slice(index, index + 8));
  const id = `${(hashText(request.lastUserText) ^ request.serial).toString(36)}${request.serial.toString(36)}`;
  return { id, name, argumentsJson, argumentFragments };
}

/** "What's the weather in Paris?" -> "Paris"; a fixed city otherwise. */
function locationIn(text: string): string {
  const match = /\bin\s+([A-Z][\p{L}-]*(?:\s+[A-Z][\p{L}-]*)*)/u.exec(text);
  return match?.[1] ?? 'San Francisco';
}
