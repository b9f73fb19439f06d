import type { ProviderErrorKind } from '../core/provider-error.js';

/** How a failure is shown to a client, per API format: HTTP status and the format's error type. */
export interface ClientErrorShape {
  status: number;
  openaiType: string;
  anthropicType: string;
}

const SHAPES: Record<ProviderErrorKind, ClientErrorShape> = {
  auth: { status: 502, openaiType: 'upstream_error', anthropicType: 'api_error' },
  permission: { status: 502, openaiType: 'upstream_error', anthropicType: 'api_error' },
  bad_request: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error' },
  not_found: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error' },
  context_length: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error' },
  rate_limited: { status: 429, openaiType: 'rate_limit_error', anthropicType: 'rate_limit_error' },
  quota_exhausted: { status: 429, openaiType: 'insufficient_quota', anthropicType: 'rate_limit_error' },
  overloaded: { status: 503, openaiType: 'server_error', anthropicType: 'overloaded_error' },
  server_error: { status: 502, openaiType: 'server_error', anthropicType: 'api_error' },
  timeout: { status: 504, openaiType: 'timeout', anthropicType: 'api_error' },
  network: { status: 502, openaiType: 'server_error', anthropicType: 'api_error' },
  stream_cut: { status: 502, openaiType: 'server_error', anthropicType: 'api_error' },
  malformed_upstream: { status: 502, openaiType: 'server_error', anthropicType: 'api_error' },
};

/**
 * The gateway's answer when an upstream failure reaches the client. The upstream's credentials
 * problems (auth, permission) are the operator's, not the client's: they surface as 502, never
 * as a 401 that would make the client doubt its own key.
 */
export function clientErrorShape(kind: ProviderErrorKind): ClientErrorShape {
  return SHAPES[kind];
}

export interface ClientError {
  kind: ProviderErrorKind;
  message: string;
}

export function openAIErrorBody(error: ClientError): {
  error: { message: string; type: string; param: null; code: string };
} {
  return { error: { message: error.message, type: SHAPES[error.kind].openaiType, param: null, code: error.kind } };
}

export function anthropicErrorBody(error: ClientError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: SHAPES[error.kind].anthropicType, message: error.message } };
}
