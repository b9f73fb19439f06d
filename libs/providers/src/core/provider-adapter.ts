import type { ChatRequest } from '../model/chat-request.js';
import type { ChatResponse, StreamEvent } from '../model/chat-response.js';
import type { ProviderName } from '../registry.js';
import type { ProviderError } from './provider-error.js';
import type { SseEvent } from './sse-parser.js';

/** Where and as whom to call: one provider instance's endpoint and credentials. */
export interface ProviderTarget {
  /** e.g. https://api.openai.com/v1; the adapter's default when absent. */
  baseUrl?: string;
  apiKey: string;
  /** Extra headers an operator configured (organisation, project, beta flags). */
  headers?: Record<string, string>;
}

/** An HTTP request to the provider, relative to the target's base URL. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/**
 * Everything provider-specific, as pure functions: the generic client (ProviderClient) owns the
 * HTTP, SSE parsing, timeouts and aborts, and never names a provider.
 */
export interface ProviderAdapter<State = unknown> {
  readonly provider: ProviderName;
  readonly defaultBaseUrl: string;
  /**
   * Its chat answers are OpenAI chat completions with nothing to translate (OpenAI itself and
   * OpenAI-compatible servers), so an OpenAI client may be sent them unchanged.
   */
  readonly answersAsOpenAI?: boolean;
  buildChatRequest(request: ChatRequest, target: ProviderTarget): UpstreamRequest;
  /** A parsed JSON body of a 2xx answer; throws ProviderError for an error hidden in a 2xx body. */
  parseChatResponse(body: unknown): ChatResponse;
  newStreamState(): State;
  /** One SSE event to normalised events; throws ProviderError for an error event. */
  parseStreamEvent(event: SseEvent, state: State): StreamEvent[];
  /** A non-2xx answer to the taxonomy. */
  parseError(status: number, headers: ResponseHeaders, bodyText: string): ProviderError;
  /**
   * A cheap request that does not bill tokens, to tell whether the endpoint and key work
   * (a models list where the provider has one).
   */
  buildProbeRequest(target: ProviderTarget): UpstreamRequest;
  /** Whether the probe's status means healthy (a models list: 2xx; a validation probe: 400). */
  probeAccepts(status: number): boolean;
  /**
   * The upstream closed the stream: the closing events if that was a proper end, otherwise a
   * ProviderError of kind stream_cut.
   */
  finishStream(state: State): StreamEvent[];
  /** What the probe costs and why it was chosen, for operators. */
  readonly probeDescription: string;
}

/** The base URL to call, without a trailing slash. */
export function baseUrlOf(adapter: ProviderAdapter, target: ProviderTarget): string {
  return (target.baseUrl ?? adapter.defaultBaseUrl).replace(/\/+$/, '');
}
