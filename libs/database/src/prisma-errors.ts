import { DomainError } from '@switchboard/kernel';
import { Prisma } from './generated/prisma/client.js';

/** A write refused by a unique constraint (Prisma P2002): the row exists already. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** An update or delete that found no row to act on (Prisma P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025';
}

/** Prisma's codes for "the server is not there" (cannot reach, timed out, connection closed). */
const UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017']);
/** The driver adapter's kinds for the same, when Prisma wraps them in another code (raw queries: P2010). */
const UNREACHABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TlsConnectionError']);
/** Postgres refusing because it is shutting down or starting (admin_shutdown, crash_shutdown, cannot_connect_now). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);

/** The database could not be reached or is going down: nothing was done, and later may work. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (UNREACHABLE_CODES.has(error.code)) return true;
  const cause = (
    error.meta as { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } } | undefined
  )?.driverAdapterError?.cause;
  return UNREACHABLE_KINDS.has(cause?.kind ?? '') || UNAVAILABLE_SQLSTATES.has(cause?.originalCode ?? '');
}

/** A call that needs the database while it is unavailable: 503 with Retry-After, nothing changed. */
export class DatabaseUnavailableError extends DomainError {
  readonly kind = 'unavailable';
  override readonly retryAfterSeconds = 5;

  constructor() {
    super('The database is unavailable, so nothing was read or changed; retry in a few seconds');
    this.name = 'DatabaseUnavailableError';
  }
}
