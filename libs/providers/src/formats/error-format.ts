import type { ProviderErrorKind } from '../core/provider-error.js';

/**
 * Each format's error type for a failure that reaches the client. The HTTP status is not here:
 * it is kernel's httpStatusOf(error.domainKind), the one kind -> status table.
 */
const TYPES: Record<ProviderErrorKind, { openai: string; anthropic: string }> = {
  auth: { openai: 'upstream_error', anthropic: 'api_error' },
  permission: { openai: 'upstream_error', anthropic: 'api_error' },
  bad_request: { openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  not_found: { openai: 'invalid_request_error', anthropic: 'not_found_error' },
  context_length: { openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  rate_limited: { openai: 'rate_limit_error', anthropic: 'rate_limit_error' },
  quota_exhausted: { openai: 'insufficient_quota', anthropic: 'rate_limit_error' },
  overloaded: { openai: 'server_error', anthropic: 'overloaded_error' },
  server_error: { openai: 'server_error', anthropic: 'api_error' },
  timeout: { openai: 'timeout', anthropic: 'api_error' },
  network: { openai: 'server_error', anthropic: 'api_error' },
  stream_cut: { openai: 'server_error', anthropic: 'api_error' },
  malformed_upstream: { openai: 'server_error', anthropic: 'api_error' },
  destination_refused: { openai: 'upstream_error', anthropic: 'api_error' },
};

export interface ClientError {
  kind: ProviderErrorKind;
  message: string;
}

export function openAIErrorBody(error: ClientError): {
  error: { message: string; type: string; param: null; code: string };
} {
  return { error: { message: error.message, type: TYPES[error.kind].openai, param: null, code: error.kind } };
}

export function anthropicErrorBody(error: ClientError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: TYPES[error.kind].anthropic, message: error.message } };
}
