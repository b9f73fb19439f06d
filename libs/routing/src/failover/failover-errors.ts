import { DomainError, type DomainErrorKind } from '@switchboard/kernel';
import type { ProviderError } from '@switchboard/providers';

/**
 * No instance of any candidate pool could take the request (all down, draining, open or busy).
 * When attempts were made, the last failure decides the kind the client sees.
 */
export class NoHealthyInstanceError extends DomainError {
  get kind(): DomainErrorKind {
    return this.lastError?.domainKind ?? 'unavailable';
  }

  constructor(
    readonly pools: readonly string[],
    readonly lastError?: ProviderError,
  ) {
    super(
      lastError
        ? `Every attempt failed; the last one: ${lastError.message}`
        : `No healthy instance is available for ${pools.join(', ')}; try again shortly or ask an operator to check GET /pools on the load-balancer`,
    );
    this.name = 'NoHealthyInstanceError';
  }
}

/** The client went away (or its request was aborted) before an answer. */
export class RequestCancelledError extends Error {
  constructor() {
    super('The client closed the request');
    this.name = 'RequestCancelledError';
  }
}

/** A refusal the gateway itself makes, rendered in the client's format. */
export class GatewayHttpError extends DomainError {
  constructor(
    readonly kind: Extract<DomainErrorKind, 'unauthenticated' | 'rate_limited' | 'invalid_request' | 'unavailable'>,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayHttpError';
  }
}
