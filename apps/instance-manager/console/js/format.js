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
