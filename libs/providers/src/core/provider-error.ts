import type { ProviderName } from '../registry.js';

/** One taxonomy for every provider's failures. */
export type ProviderErrorKind =
  | 'auth'
  | 'permission'
  | 'bad_request'
  | 'not_found'
  | 'context_length'
  | 'rate_limited'
  | 'quota_exhausted'
  | 'overloaded'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'stream_cut'
  | 'malformed_upstream';

/**
 * Whether another attempt (on another instance, or later) can succeed. Quota and balance
 * exhaustion are not retryable on the same account: a retry only burns time.
 */
const RETRYABLE: Record<ProviderErrorKind, boolean> = {
  auth: false,
  permission: false,
  bad_request: false,
  not_found: false,
  context_length: false,
  rate_limited: true,
  quota_exhausted: false,
  overloaded: true,
  server_error: true,
  timeout: true,
  network: true,
  stream_cut: true,
  malformed_upstream: true,
};

export function isRetryableKind(kind: ProviderErrorKind): boolean {
  return RETRYABLE[kind];
}

export interface ProviderErrorDetails {
  provider: ProviderName;
  kind: ProviderErrorKind;
  /** The upstream HTTP status; 0 when no response came (network, timeout). */
  status: number;
  message: string;
  /** From Retry-After (or the provider's equivalent), in milliseconds. */
  retryAfterMs?: number;
  /** The provider's own error code or type, e.g. 'insufficient_quota', '1113', 'overloaded_error'. */
  code?: string;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly provider: ProviderName;
  readonly kind: ProviderErrorKind;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly code?: string;

  constructor(details: ProviderErrorDetails) {
    super(details.message, { cause: details.cause });
    this.name = 'ProviderError';
    this.provider = details.provider;
    this.kind = details.kind;
    this.status = details.status;
    this.retryable = RETRYABLE[details.kind];
    this.retryAfterMs = details.retryAfterMs;
    this.code = details.code;
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** The kind an HTTP status means when the body says nothing more specific. */
export function kindFromStatus(status: number): ProviderErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 413) return 'context_length';
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}
