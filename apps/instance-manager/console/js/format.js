// How numbers and times read in the console. A missing value is a dash, never 0.

const DASH = '–';

export function number(value, digits = 0) {
  return value === undefined || value === null ? DASH : Number(value).toFixed(digits);
}

export function rate(value) {
  return value === undefined || value === null ? DASH : `${Number(value).toFixed(value < 10 ? 2 : 1)}/s`;
}

export function percent(value) {
  return value === undefined || value === null ? DASH : `${(value * 100).toFixed(1)}%`;
}

export function ms(value) {
  if (value === undefined || value === null) return DASH;
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function score(value) {
  return value === undefined || value === null ? DASH : Number(value).toFixed(2);
}

export function time(iso) {
  if (!iso) return DASH;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? DASH : date.toLocaleTimeString();
}

export function dateTime(iso) {
  if (!iso) return DASH;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? DASH : date.toLocaleString();
}

export function bytes(value) {
  if (value === undefined || value === null) return DASH;
  return `${(value / 1024 / 1024).toFixed(0)} MiB`;
}

/** Worst first, so what needs an operator is at the top of a board. */
export const STATUS_ORDER = { critical: 0, warning: 1, unknown: 2, passing: 3 };

/** Whole counts with thousands separators (requests, tokens). */
export function count(value) {
  return value === undefined || value === null ? DASH : Math.round(value).toLocaleString('en-US');
}

const DOLLARS = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const CENTS = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
});
const FRACTIONS = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumSignificantDigits: 3 });

/**
 * USD with the precision the amount needs: cents from a dollar up, four decimals below, three
 * significant digits under a cent (one request often costs $0.0000x). An unknown cost (no price,
 * no usage) reads "unknown": it is not zero.
 */
export function usd(value) {
  if (value === undefined || value === null) return 'unknown';
  const amount = Number(value);
  if (amount === 0) return '$0.00';
  if (Math.abs(amount) >= 1) return DOLLARS.format(amount);
  if (Math.abs(amount) >= 0.01) return CENTS.format(amount);
  return FRACTIONS.format(amount);
}

/**
 * The cost of a group of requests: the priced part in USD, and "unknown" for requests that had
 * usage but no price, which the USD figure leaves out. `long` also says how many those were.
 */
export function spend(costUsd, unpricedRequests, long = false) {
  if (!unpricedRequests) return usd(costUsd ?? 0);
  const unknown = long ? `unknown (${count(unpricedRequests)} unpriced)` : 'unknown';
  return costUsd ? `${usd(costUsd)} + ${unknown}` : unknown;
}

/** Date and time to the second, short enough for a table row. */
export function shortDateTime(iso) {
  if (!iso) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return DASH;
  return date.toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}
