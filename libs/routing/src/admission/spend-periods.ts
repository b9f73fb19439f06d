const DAY_MS = 86_400_000;

/** The UTC day and month a moment falls in, as the labels of their shared counters (20261201, 202612). */
export interface SpendPeriods {
  day: string;
  month: string;
  /** Seconds until the day, and the month, end (when a refused key may spend again). */
  dayEndsInSeconds: number;
  monthEndsInSeconds: number;
}

let cachedDay = -1;
let cached: Omit<SpendPeriods, 'dayEndsInSeconds' | 'monthEndsInSeconds'> & { dayEnd: number; monthEnd: number };

/** Budgets are per UTC day and UTC month; the labels are computed once a day, not per request. */
export function spendPeriods(now: number): SpendPeriods {
  const dayNumber = Math.floor(now / DAY_MS);
  if (dayNumber !== cachedDay) {
    const date = new Date(dayNumber * DAY_MS);
    const iso = date.toISOString();
    cached = {
      day: iso.slice(0, 10).replaceAll('-', ''),
      month: iso.slice(0, 7).replace('-', ''),
      dayEnd: (dayNumber + 1) * DAY_MS,
      monthEnd: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1),
    };
    cachedDay = dayNumber;
  }
  return {
    day: cached.day,
    month: cached.month,
    dayEndsInSeconds: Math.ceil((cached.dayEnd - now) / 1000),
    monthEndsInSeconds: Math.ceil((cached.monthEnd - now) / 1000),
  };
}
