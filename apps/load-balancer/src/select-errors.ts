import { DomainError } from '@switchboard/kernel';

/** No instance serves the pool at all. */
export class UnknownPoolError extends DomainError {
  readonly kind = 'not_found';

  constructor(readonly pool: string) {
    super(`No instance serves pool ${pool}; GET /pools lists the pools`);
    this.name = 'UnknownPoolError';
  }
}

/** The pool exists, but none of its instances can take a request now. */
export class NoUsableInstanceError extends DomainError {
  readonly kind = 'unavailable';

  constructor(readonly pool: string) {
    super(`No usable instance in pool ${pool} (all critical, draining, excluded, busy or with an open circuit)`);
    this.name = 'NoUsableInstanceError';
  }
}
