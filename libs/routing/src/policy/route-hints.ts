import { DomainError } from '@switchboard/kernel';
import { PROVIDER_NAMES, type ProviderName } from '@switchboard/providers';
import type { RouteHints } from './router.js';

/** The header a client (or service) names the provider it prefers with. */
export const PREFERRED_PROVIDER_HEADER = 'x-switchboard-prefer-provider';
/** The header that lets an explicit "provider/model" fall back to other providers ("true"). */
export const ALLOW_FALLBACK_HEADER = 'x-switchboard-allow-fallback';

/** A routing header with a value it cannot have; the message names the header and what it takes. */
export class InvalidRouteHintError extends DomainError {
  readonly kind = 'invalid_request';

  constructor(header: string, expected: string) {
    super(`${header} must be ${expected}`);
    this.name = 'InvalidRouteHintError';
  }
}

type HeaderValue = string | string[] | undefined;

/** The routing hints of a request's headers; throws InvalidRouteHintError naming a bad one. */
export function routeHintsFrom(headers: Record<string, HeaderValue>): RouteHints {
  return {
    preferredProvider: parsePreferredProvider(headers[PREFERRED_PROVIDER_HEADER]),
    allowFallback: parseAllowFallback(headers[ALLOW_FALLBACK_HEADER]),
  };
}

/** The header's value as a provider, undefined when absent; throws when it names none we know. */
export function parsePreferredProvider(value: HeaderValue): ProviderName | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value)) return value as ProviderName;
  throw new InvalidRouteHintError(PREFERRED_PROVIDER_HEADER, `one of ${PROVIDER_NAMES.join(', ')}`);
}

function parseAllowFallback(value: HeaderValue): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new InvalidRouteHintError(ALLOW_FALLBACK_HEADER, 'true or false');
}
