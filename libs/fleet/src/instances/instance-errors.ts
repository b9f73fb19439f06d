/** Typed domain errors; the admin API's exception filter maps them to HTTP statuses. */
export class InstanceNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no provider instance with id ${id}`);
    this.name = 'InstanceNotFoundError';
  }
}

export class DuplicateInstanceNameError extends Error {
  constructor(readonly instanceName: string) {
    super(`a provider instance named "${instanceName}" exists already`);
    this.name = 'DuplicateInstanceNameError';
  }
}

export class ClientKeyNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no client API key with id ${id}`);
    this.name = 'ClientKeyNotFoundError';
  }
}

export class InvalidInstanceError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidInstanceError';
  }
}
