import { type DomainErrorKind, redactSecrets } from '@switchboard/kernel';
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
  | 'malformed_upstream'
  /** The instance's baseUrl is, or resolves to, a destination the policy refuses (no request was sent). */
  | 'destination_refused';

/**
 * What each kind means, decided here and only here:
 * - retryable: another attempt (on another instance, or later) can succeed. Rejected credentials
 *   and spent quota belong to one instance's account, so another instance can serve.
 * - clientFault: the request itself is bad (malformed, too long, an unknown model), so no instance
 *   and no failover can help, and the instance is not to blame.
 * - accountFault: the instance's account cannot serve anyone (key rejected or revoked, quota or
 *   balance spent; or its baseUrl leads to a refused destination): it is taken out of rotation at
 *   once instead of after several failures, and never tried again in the same request.
 * - domainKind: what the client is told, through kernel's one kind -> status table. The
 *   upstream's credentials problems (auth, permission) are the operator's, not the client's: they
 *   surface as an upstream failure (502), never as a 401 that would make the client doubt its own key.
 */
interface KindMeaning {
  retryable: boolean;
  clientFault: boolean;
  accountFault: boolean;
  domainKind: DomainErrorKind;
}

const upstreamFault = (domainKind: DomainErrorKind): KindMeaning => ({
  retryable: true,
  clientFault: false,
  accountFault: false,
  domainKind,
});
const clientFault = (domainKind: DomainErrorKind): KindMeaning => ({
  retryable: false,
  clientFault: true,
  accountFault: false,
  domainKind,
});
const accountFault = (domainKind: DomainErrorKind): KindMeaning => ({
  retryable: true,
  clientFault: false,
  accountFault: true,
  domainKind,
});

const MEANING: Record<ProviderErrorKind, KindMeaning> = {
  auth: accountFault('upstream'),
  permission: accountFault('upstream'),
  quota_exhausted: accountFault('rate_limited'),
  bad_request: clientFault('invalid_request'),
  not_found: clientFault('not_found'),
  context_length: clientFault('invalid_request'),
  rate_limited: upstreamFault('rate_limited'),
  overloaded: upstreamFault('unavailable'),
  server_error: upstreamFault('upstream'),
  timeout: upstreamFault('upstream_timeout'),
  network: upstreamFault('upstream'),
  stream_cut: upstreamFault('upstream'),
  malformed_upstream: upstreamFault('upstream'),
  // The same instance would be refused every time; another instance of the route can serve.
  destination_refused: accountFault('upstream'),
};

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
  /** The request itself is bad: no failover helps, and the instance is not to blame. */
  readonly clientFault: boolean;
  /** The instance's account cannot serve anyone now (credentials rejected, quota spent). */
  readonly accountFault: boolean;
  /** What the client is told (its HTTP status is kernel's httpStatusOf of it). */
  readonly domainKind: DomainErrorKind;
  readonly retryAfterMs?: number;
  readonly code?: string;

  constructor(details: ProviderErrorDetails) {
    // Upstream text may quote the key it refused or internal detail: it is redacted and cut here,
    // once, before any client, log or Consul check can see it. It always names the provider first,
    // once, so no reader adds the name again.
    super(redactSecrets(namingProvider(details.provider, details.message)), { cause: details.cause });
    this.name = 'ProviderError';
    this.provider = details.provider;
    this.kind = details.kind;
    this.status = details.status;
    this.retryable = MEANING[details.kind].retryable;
    this.clientFault = MEANING[details.kind].clientFault;
    this.accountFault = MEANING[details.kind].accountFault;
    this.domainKind = MEANING[details.kind].domainKind;
    this.retryAfterMs = details.retryAfterMs;
    this.code = details.code;
  }

  /** Redacts the calling instance's own key too, whatever its shape (the provider client knows it). */
  withoutSecret(secret: string | undefined): this {
    if (secret) this.message = redactSecrets(this.message, [secret]);
    return this;
  }
}

function namingProvider(provider: ProviderName, message: string): string {
  return message.startsWith(provider) ? message : `${provider}: ${message}`;
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
