import { DomainError } from '@switchboard/kernel';

/** A client request body that cannot be read, naming the offending field (rendered as a 400). */
export class RequestFormatError extends DomainError {
  readonly kind = 'invalid_request';

  constructor(
    override readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'RequestFormatError';
  }
}

/**
 * An optional number field of a client body: absent stays undefined, anything but a finite number
 * (a string "0.7", null) is refused with the field named, rather than silently dropped.
 */
export function optionalNumber(
  root: Record<string, unknown>,
  field: string,
  range?: { min: number; max: number },
): number | undefined {
  const value = root[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new RequestFormatError(field, `${field} must be a number`);
  if (range && (value < range.min || value > range.max))
    throw new RequestFormatError(field, `${field} must be between ${range.min} and ${range.max}`);
  return value;
}

/** An optional boolean field (stream): anything but true/false is refused with the field named. */
export function optionalBoolean(root: Record<string, unknown>, field: string): boolean | undefined {
  const value = root[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new RequestFormatError(field, `${field} must be true or false`);
  return value;
}
