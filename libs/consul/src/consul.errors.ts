/** Consul answered with a non-2xx status. */
import { describeError } from '@switchboard/kernel';
export class ConsulResponseError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`Consul ${method} ${path} answered ${status}: ${body.trim().slice(0, 300) || '(empty body)'}`);
    this.name = 'ConsulResponseError';
  }
}

/** Consul could not be reached, or did not answer in time. */
export class ConsulUnavailableError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`Consul ${method} ${path} failed: ${describeError(cause)}`, { cause });
    this.name = 'ConsulUnavailableError';
  }
}
