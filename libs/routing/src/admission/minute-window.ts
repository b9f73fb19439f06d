/** The length of one counting window: a minute (limits are per minute). */
export const WINDOW_MS = 60_000;

/** The window a moment falls in (its number since the epoch). */
export function windowOf(now: number): number {
  return Math.floor(now / WINDOW_MS);
}

/**
 * Requests in the minute before `now`, from the current window's count and the previous one's,
 * weighted by how much of it still overlaps that minute (a sliding window from two counters).
 */
export function slidingCount(current: number, previous: number, now: number): number {
  return current + previous * (1 - (now % WINDOW_MS) / WINDOW_MS);
}

/** Requests counted in the current one-minute window and the one before it. */
export interface MinuteWindow {
  window: number;
  current: number;
  previous: number;
}

/** The window rolled forward to `now` (a new object only when it moved). */
function rolled(counts: MinuteWindow | undefined, now: number): MinuteWindow {
  const window = windowOf(now);
  if (counts?.window === window) return counts;
  return { window, current: 0, previous: counts?.window === window - 1 ? counts.current : 0 };
}

/** Counts one request at `now`; returns the (possibly rolled) window to keep. */
export function countRequest(counts: MinuteWindow | undefined, now: number): MinuteWindow {
  const next = rolled(counts, now);
  next.current += 1;
  return next;
}

/** Requests in the minute before `now` (see slidingCount). */
export function requestsInLastMinute(counts: MinuteWindow | undefined, now: number): number {
  if (!counts) return 0;
  // What rolled() would give, without making a window object per look (the balancer asks per member).
  const window = windowOf(now);
  if (counts.window === window) return slidingCount(counts.current, counts.previous, now);
  return slidingCount(0, counts.window === window - 1 ? counts.current : 0, now);
}
