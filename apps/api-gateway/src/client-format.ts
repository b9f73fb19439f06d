import { HttpException } from '@nestjs/common';
import { GatewayHttpError, InvalidPreferredProviderError, NoHealthyInstanceError } from '@switchboard/routing';
import {
  anthropicErrorBody,
  clientErrorShape,
  openAIErrorBody,
  ProviderError,
  RequestFormatError,
} from '@switchboard/providers';
import { UnknownModelError } from '@switchboard/routing';

export type ClientFormat = 'openai' | 'anthropic';

export function formatOf(url: string): ClientFormat {
  return url.startsWith('/v1/messages') ? 'anthropic' : 'openai';
}

export interface RenderedError {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** The error types each format's official SDK maps to its exception classes. */
const GATEWAY_TYPES: Record<string, { openai: string; openaiCode: string | null; anthropic: string }> = {
  authentication: { openai: 'invalid_request_error', openaiCode: 'invalid_api_key', anthropic: 'authentication_error' },
  rate_limit: { openai: 'rate_limit_error', openaiCode: 'rate_limit_exceeded', anthropic: 'rate_limit_error' },
  invalid_request: { openai: 'invalid_request_error', openaiCode: null, anthropic: 'invalid_request_error' },
  model_not_found: { openai: 'invalid_request_error', openaiCode: 'model_not_found', anthropic: 'not_found_error' },
  unavailable: { openai: 'server_error', openaiCode: 'no_healthy_instance', anthropic: 'overloaded_error' },
  not_found: { openai: 'invalid_request_error', openaiCode: null, anthropic: 'not_found_error' },
};

function gatewayBody(format: ClientFormat, kind: string, message: string, param: string | null = null): unknown {
  const types = GATEWAY_TYPES[kind] ?? GATEWAY_TYPES.invalid_request!;
  return format === 'openai'
    ? { error: { message, type: types.openai, param, code: types.openaiCode } }
    : { type: 'error', error: { type: types.anthropic, message } };
}

/** Any failure as the client's API format would have it: status, body and headers. */
export function renderError(format: ClientFormat, error: unknown): RenderedError {
  if (error instanceof GatewayHttpError)
    return { status: error.status, body: gatewayBody(format, error.kind, error.message), headers: error.headers };
  if (error instanceof InvalidPreferredProviderError)
    return { status: 400, body: gatewayBody(format, 'invalid_request', error.message), headers: {} };
  if (error instanceof RequestFormatError)
    return { status: 400, body: gatewayBody(format, 'invalid_request', error.message, error.field), headers: {} };
  if (error instanceof UnknownModelError)
    return { status: 404, body: gatewayBody(format, 'model_not_found', error.message, 'model'), headers: {} };
  if (error instanceof NoHealthyInstanceError) {
    if (error.lastError) return renderProviderError(format, error.lastError, error.message);
    return { status: 503, body: gatewayBody(format, 'unavailable', error.message), headers: { 'retry-after': '1' } };
  }
  if (error instanceof ProviderError) return renderProviderError(format, error, `${error.provider}: ${error.message}`);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? [(response as { message: unknown }).message].flat().join('; ')
        : error.message;
    const kind =
      status === 404
        ? 'not_found'
        : status === 401
          ? 'authentication'
          : status === 429
            ? 'rate_limit'
            : status >= 500
              ? 'unavailable'
              : 'invalid_request';
    return { status, body: gatewayBody(format, kind, message), headers: {} };
  }
  return {
    status: 500,
    body: gatewayBody(
      format,
      'unavailable',
      'Internal gateway error; the request id in x-request-id finds it in the logs',
    ),
    headers: {},
  };
}

function renderProviderError(format: ClientFormat, error: ProviderError, message: string): RenderedError {
  const shape = clientErrorShape(error.kind);
  const body =
    format === 'openai'
      ? openAIErrorBody({ kind: error.kind, message })
      : anthropicErrorBody({ kind: error.kind, message });
  const headers: Record<string, string> = {};
  if (shape.status === 429 || shape.status === 503)
    headers['retry-after'] = String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)));
  return { status: shape.status, body, headers };
}
