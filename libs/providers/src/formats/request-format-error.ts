/** A client request body that cannot be read, naming the offending field (rendered as a 400). */
export class RequestFormatError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'RequestFormatError';
  }
}
