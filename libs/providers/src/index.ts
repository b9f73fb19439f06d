export {
  claudeAdapter,
  openAIAdapter,
  openAICompatibleAdapter,
  perplexityAdapter,
  ZAI_CHINA_BASE_URL,
  ZAI_GLOBAL_BASE_URL,
  zaiAdapter,
} from './adapters/index.js';
export {
  baseUrlOf,
  type ProviderAdapter,
  type ProviderTarget,
  type ResponseHeaders,
  type UpstreamRequest,
} from './core/provider-adapter.js';
export {
  DESTINATION_REFUSED,
  DestinationRefusedError,
  guardedConnector,
  guardedLookup,
  type ResolveAll,
} from './core/destination-guard.js';
export {
  ProviderClient,
  type ChatCallOptions,
  type ProbeResult,
  type ProviderClientOptions,
  type StreamCallOptions,
} from './core/provider-client.js';
export {
  kindFromStatus,
  parseRetryAfter,
  ProviderError,
  type ProviderErrorDetails,
  type ProviderErrorKind,
} from './core/provider-error.js';
export { SseParser, type SseEvent } from './core/sse-parser.js';
export {
  AnthropicStreamWriter,
  fromAnthropicRequest,
  toAnthropicMessage,
} from './formats/anthropic/anthropic-format.js';
export {
  anthropicErrorBody,
  openAIErrorBody,
  type ClientError,
} from './formats/error-format.js';
export { fromOpenAIRequest, OpenAIStreamWriter, toOpenAIResponse } from './formats/openai/openai-format.js';
export { RequestFormatError } from './formats/request-format-error.js';
export * from './model/chat-request.js';
export * from './model/chat-response.js';
export {
  adapterFor,
  isProviderName,
  PROVIDER_NAMES,
  PROVIDER_SERVICE_PREFIX,
  PROVIDERS,
  providerOfServiceName,
  providerServiceName,
  type ProviderDefinition,
  type ProviderName,
} from './registry.js';
