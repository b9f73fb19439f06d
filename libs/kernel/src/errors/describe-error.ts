/**
 * The message of anything thrown, for logs and health output. JavaScript lets code throw any
 * value, so a catch block cannot assume an Error; this is the one place that copes with that.
 */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
