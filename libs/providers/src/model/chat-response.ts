import type { ProviderName } from '../registry.js';
import type { ToolCall } from './chat-request.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prompt tokens served from the provider's cache, where reported. */
  cachedTokens?: number;
  /** Completion tokens spent on reasoning, where reported. */
  reasoningTokens?: number;
  /** Prompt tokens written to the provider's cache (Claude), billed above plain input. */
  cacheWriteTokens?: number;
  /** What the provider itself says the request cost in USD, where it reports one (Perplexity). */
  costUsd?: number;
}

export interface SearchResult {
  title: string;
  url: string;
  date?: string;
}

export interface ChatResponse {
  id: string;
  /** The model that answered, as the provider names it. */
  model: string;
  provider: ProviderName;
  /** Unix seconds. */
  created: number;
  message: {
    content: string | null;
    /** ZAI reasoning_content, Claude thinking. */
    reasoningContent?: string;
    toolCalls?: ToolCall[];
  };
  finishReason: FinishReason;
  usage?: Usage;
  /** Perplexity. */
  citations?: string[];
  searchResults?: SearchResult[];
  /**
   * The upstream's own body, when it is already an OpenAI chat completion (OpenAI and
   * OpenAI-compatible upstreams): an OpenAI client is sent it as it is, every field the provider
   * sent included (system_fingerprint, service_tier, logprobs), instead of a re-rendering.
   */
  openAIBody?: string;
}

/**
 * The normalised stream: what every provider's stream transform emits, and what every client
 * format renderer consumes.
 */
export type StreamEvent =
  | { type: 'start'; id: string; model: string; created: number }
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool_call_start'; toolIndex: number; id: string; name: string }
  | { type: 'tool_call_delta'; toolIndex: number; argumentsDelta: string }
  | { type: 'citations'; citations: string[]; searchResults?: SearchResult[] }
  | { type: 'finish'; finishReason: FinishReason }
  | { type: 'usage'; usage: Usage }
  /** The provider's own end marker arrived: the stream is complete. */
  | { type: 'end' };
