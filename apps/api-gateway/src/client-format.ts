import { HttpException, NotFoundException } from '@nestjs/common';
import { DomainError, type DomainErrorKind, httpStatusOf, kindOfHttpStatus } from '@switchboard/kernel';
import { type EdgeRefusal, explainFrameworkError, type HttpLimits, messagesOf } from '@switchboard/platform';
import { anthropicErrorBody, openAIErrorBody, ProviderError } from '@switchboard/providers';
import { BudgetExceededError, GatewayHttpError, NoHealthyInstanceError, UnknownModelError } from '@switchboard/routing';

export type ClientFormat = 'openai' | 'anthropic';

export function formatOf(url: string): ClientFormat {
  return url.startsWith('/v1/messages') ? 'anthropic' : 'openai';
}

/** The client API: everything under /v1 answers in a client format, the rest in the operator shape. */
export function isClientApi(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
}

/** The chat routes (POST) and the format each speaks. */
export const CHAT_ROUTES: Readonly<Record<string, ClientFormat>> = {
  '/v1/chat/completions': 'openai',
  '/v1/messages': 'anthropic',
};

/** The routes of the client API and their one method each, for 404 and 405 answers. */
const CLIENT_ROUTES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.keys(CHAT_ROUTES).map((path) => [path, 'POST'])),
  '/v1/models': 'GET',
};

export interface RenderedError {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface FormatTypes {
  openai: string;
  openaiCode: string | null;
  anthropic: string;
}

const SERVER_SIDE: FormatTypes = {
  openai: 'server_error',
  openaiCode: 'no_healthy_instance',
  anthropic: 'overloaded_error',
};

/** The error types each format's official SDK maps to its exception classes, per domain kind. */
const FORMAT_TYPES: Record<DomainErrorKind, FormatTypes> = {
  invalid_request: { openai: 'invalid_request_error', openaiCode: null, anthropic: 'invalid_request_error' },
  unauthenticated: {
    openai: 'invalid_request_error',
    openaiCode: 'invalid_api_key',
    anthropic: 'authentication_error',
  },
  forbidden: { openai: 'invalid_request_error', openaiCode: 'model_not_allowed', anthropic: 'permission_error' },
  not_found: { openai: 'invalid_request_error', openaiCode: null, anthropic: 'not_found_error' },
  conflict: { openai: 'invalid_request_error', openaiCode: null, anthropic: 'invalid_request_error' },
  rate_limited: { openai: 'rate_limit_error', openaiCode: 'rate_limit_exceeded', anthropic: 'rate_limit_error' },
  internal: SERVER_SIDE,
  upstream: SERVER_SIDE,
  unavailable: SERVER_SIDE,
  upstream_timeout: SERVER_SIDE,
};

/** An unknown model is a not_found the SDKs know by name. */
const MODEL_NOT_FOUND: FormatTypes = {
  openai: 'invalid_request_error',
  openaiCode: 'model_not_found',
  anthropic: 'not_found_error',
};

/** A key past its spend limit: what OpenAI sends for a spent quota; Anthropic's SDK knows it as a rate limit. */
const QUOTA_EXCEEDED: FormatTypes = {
  openai: 'insufficient_quota',
  openaiCode: 'insufficient_quota',
  anthropic: 'rate_limit_error',
};

function body(format: ClientFormat, types: FormatTypes, message: string, param: string | null = null): unknown {
  return format === 'openai'
    ? { error: { message, type: types.openai, param, code: types.openaiCode } }
    : { type: 'error', error: { type: types.anthropic, message } };
}

/** Every status a client can be sent, from kernel's one kind -> status table. */
function domainRendering(format: ClientFormat, kind: DomainErrorKind, message: string, param: string | null = null) {
  return { status: httpStatusOf(kind), body: body(format, FORMAT_TYPES[kind], message, param) };
}

/** A refusal with a status of its own (413, 415, 408, 405, ...) in the client's format. */
export function renderRefusal(format: ClientFormat, refusal: EdgeRefusal & { headers?: Record<string, string> }) {
  const types = FORMAT_TYPES[kindOfHttpStatus(refusal.status)];
  return {
    status: refusal.status,
    body: body(format, types, refusal.message, refusal.field ?? null),
    headers: refusal.headers ?? {},
  };
}

/**
 * A request no route of the client API serves: 405 naming the method to use when the path exists,
 * else 404 listing what the gateway serves (/v1/embeddings, /v1/responses, ... until they exist).
 */
export function unservedRoute(method: string, url: string): EdgeRefusal & { headers: Record<string, string> } {
  const path = url.split('?')[0]!;
  const allowed = CLIENT_ROUTES[path];
  if (allowed)
    return {
      status: 405,
      message: `${method} is not allowed on ${path}: use ${allowed}`,
      headers: { allow: allowed },
    };
  const served = Object.entries(CLIENT_ROUTES).map(([route, verb]) => `${verb} ${route}`);
  return {
    status: 404,
    message: `${method} ${path} is not served by this gateway; it serves ${served.join(', ')}`,
    headers: {},
  };
}

/** Nest's answer for a request no route matched (its own NotFoundException, not a domain not_found). */
export function isUnmatchedRoute(error: unknown): boolean {
  return error instanceof NotFoundException && /^Cannot [A-Z]+ /.test(error.message);
}

/**
 * Any failure as the client's API format would have it: status, body and headers. Only domain
 * errors' own messages and framework refusals reach the client (written for it); anything
 * unexpected is a generic 500.
 */
export function renderError(format: ClientFormat, error: unknown, limits?: HttpLimits): RenderedError {
  if (error instanceof NoHealthyInstanceError && error.lastError)
    return renderProviderError(format, error.lastError, error.message);
  if (error instanceof ProviderError) return renderProviderError(format, error, error.message);
  if (error instanceof UnknownModelError)
    return {
      status: httpStatusOf(error.kind),
      body: body(format, MODEL_NOT_FOUND, error.message, 'model'),
      headers: {},
    };
  if (error instanceof BudgetExceededError)
    return {
      status: httpStatusOf(error.kind),
      body: body(format, QUOTA_EXCEEDED, error.message),
      headers: error.headers,
    };
  if (error instanceof DomainError) {
    const param = error.field ?? null;
    const headers =
      error instanceof GatewayHttpError
        ? error.headers
        : error instanceof NoHealthyInstanceError
          ? { 'retry-after': '1' }
          : {};
    return { ...domainRendering(format, error.kind, error.message, param), headers };
  }
  const refusal = limits && explainFrameworkError(error, limits);
  if (refusal) return renderRefusal(format, refusal);
  if (error instanceof HttpException)
    return renderRefusal(format, { status: error.getStatus(), message: messagesOf(error).join('; ') });
  return {
    ...domainRendering(
      format,
      'internal',
      'Internal gateway error; the request id in x-request-id finds it in the logs',
    ),
    headers: {},
  };
}

function renderProviderError(format: ClientFormat, error: ProviderError, message: string): RenderedError {
  const status = httpStatusOf(error.domainKind);
  const rendered =
    format === 'openai'
      ? openAIErrorBody({ kind: error.kind, message })
      : anthropicErrorBody({ kind: error.kind, message });
  const headers: Record<string, string> = {};
  if (status === 429 || status === 503)
    headers['retry-after'] = String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)));
  return { status, body: rendered, headers };
}
