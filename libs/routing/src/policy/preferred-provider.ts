import { DomainError } from '@switchboard/kernel';
import { PROVIDER_NAMES, type ProviderName } from '@switchboard/providers';

/** The header a client (or service) names the provider it prefers with. */
export const PREFERRED_PROVIDER_HEADER = 'x-switchboard-prefer-provider';

export class InvalidPreferredProviderError extends DomainError {
  readonly kind = 'invalid_request';

  constructor() {
    super(`${PREFERRED_PROVIDER_HEADER} must be one of ${PROVIDER_NAMES.join(', ')}`);
    this.name = 'InvalidPreferredProviderError';
  }
}

/** The header's value as a provider, undefined when absent; throws when it names none we know. */
export function parsePreferredProvider(value: string | string[] | undefined): ProviderName | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value)) return value as ProviderName;
  throw new InvalidPreferredProviderError();
}
