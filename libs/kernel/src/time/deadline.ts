/** A wait that ran past its limit; the work behind it may still finish, and its result is dropped. */
export class DeadlineExceededError extends Error {
  constructor(what: string, limitMs: number) {
    super(`${what}: no answer within ${limitMs} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * The promise's outcome, or a DeadlineExceededError once limitMs has passed. For clients without a
 * timeout of their own (Prisma has none): a dependency that hangs rather than refuses must not hold
 * the caller. The work is not cancelled, only no longer waited for.
 */
export async function withDeadline<T>(work: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineExceededError(what, limitMs)), limitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
