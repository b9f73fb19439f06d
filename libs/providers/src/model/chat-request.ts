/**
 * The normalised chat request every adapter translates from. Field names are ours; each adapter
 * maps them to its provider's wire names.
 */

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}

/** An image by URL; a `data:` URL carries the bytes inline (base64). */
export interface ImagePart {
  type: 'image';
  url: string;
}

export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, exactly as the model produced them. */
  arguments: string;
}

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[];
  /** Assistant messages: the tools the model asked to call. */
  toolCalls?: ToolCall[];
  /** Tool messages: which call this is the result of. */
  toolCallId?: string;
  name?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface ResponseFormat {
  type: 'text' | 'json_object' | 'json_schema';
  name?: string;
  schema?: Record<string, unknown>;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  /** Ask for a usage report at the end of a stream. */
  includeUsage?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  user?: string;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /** Extended thinking / reasoning, where the provider has it. */
  reasoning?: { enabled: boolean; budgetTokens?: number };
  /** Provider-specific fields passed through untouched (e.g. Perplexity's search_domain_filter). */
  providerOptions?: Record<string, unknown>;
}

/** The text of a message's content, images left out. */
export function textOf(content: string | ContentPart[]): string {
  return typeof content === 'string'
    ? content
    : content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}
