/**
 * What kind of failure a domain error is, in words every surface understands. Each surface renders
 * it in its own body format; the HTTP status comes from one table, httpStatusOf.
 */
export type DomainErrorKind =
  /** The request itself is wrong (a field, a header, a query); the caller must change it. */
  | 'invalid_request'
  /** The caller did not say who it is, or the credentials are unknown. */
  | 'unauthenticated'
  /** The caller is known but may not do this (a model outside its key's allow-list). */
  | 'forbidden'
  /** Nothing by that id or name. */
  | 'not_found'
  /** The request contradicts what exists already (a duplicate name). */
  | 'conflict'
  /** Too many requests, or a quota used up; later may work. */
  | 'rate_limited'
  /** An upstream failed or answered nonsense; the caller is not at fault. */
  | 'upstream'
  /** Nothing usable can serve it right now; try again shortly. */
  | 'unavailable'
  /** An upstream did not answer in time. */
  | 'upstream_timeout'
  /** A failure of our own; the logs have it. */
  | 'internal';

/** The one kind → HTTP status table. */
const HTTP_STATUS: Readonly<Record<DomainErrorKind, number>> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  internal: 500,
  upstream: 502,
  unavailable: 503,
  upstream_timeout: 504,
};

export function httpStatusOf(kind: DomainErrorKind): number {
  return HTTP_STATUS[kind];
}

/**
 * The kind an HTTP status stands for, read backwards from the same table: for failures that arrive
 * as a bare status (a framework exception). A status the table lacks reads as 'internal' from 500
 * up, 'invalid_request' below.
 */
export function kindOfHttpStatus(status: number): DomainErrorKind {
  for (const [kind, mapped] of Object.entries(HTTP_STATUS)) if (mapped === status) return kind as DomainErrorKind;
  return status >= 500 ? 'internal' : 'invalid_request';
}

/**
 * A failure the domain names, with the kind that decides its HTTP status. Subclasses carry the
 * details; their message is written for whoever called (it must never hold a secret or an
 * upstream's raw text).
 */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /** When trying again makes sense, in seconds (sent as Retry-After); undefined when it does not. */
  readonly retryAfterSeconds?: number;
  /** The request field at fault, when one is (OpenAI's `param`). */
  readonly field?: string;
  /** Each problem, when there are several (the operator APIs list them as `details`). */
  readonly details?: readonly string[];

  get httpStatus(): number {
    return httpStatusOf(this.kind);
  }
}
