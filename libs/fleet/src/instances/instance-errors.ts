import { DomainError } from '@switchboard/kernel';

/** Typed domain errors; their kind decides the HTTP status (kernel's httpStatusOf). */
export class InstanceNotFoundError extends DomainError {
  readonly kind = 'not_found';

  constructor(readonly id: string) {
    super(`no provider instance with id ${id}`);
    this.name = 'InstanceNotFoundError';
  }
}

export class DuplicateInstanceNameError extends DomainError {
  readonly kind = 'conflict';

  constructor(readonly instanceName: string) {
    super(`a provider instance named "${instanceName}" exists already`);
    this.name = 'DuplicateInstanceNameError';
  }
}

export class ClientKeyNotFoundError extends DomainError {
  readonly kind = 'not_found';

  constructor(readonly id: string) {
    super(`no client API key with id ${id}`);
    this.name = 'ClientKeyNotFoundError';
  }
}

export class InvalidInstanceError extends DomainError {
  readonly kind = 'invalid_request';

  constructor(
    override readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidInstanceError';
  }
}
