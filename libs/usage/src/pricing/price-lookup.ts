import type { ModelPrice } from './price-table.js';

/** Prices by "provider/model", as a gateway or the admin API holds them in memory. */
export type PriceIndex = ReadonlyMap<string, ModelPrice>;

export function priceKey(provider: string, model: string): string {
  return `${provider}/${model}`;
}

/**
 * A dated snapshot's suffix: -2024-08-06, -20250929, or four digits (-0613, -2407). Only these make
 * a model the same as its base name; anything else (-mini, -audio-preview, -deep-research) is a
 * model of its own, priced apart or unknown.
 */
const DATE_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$/;

/**
 * The price of a model: its own entry, else, for a dated snapshot such as gpt-4o-2024-08-06, that
 * of the name without the date (gpt-4o). Any other unpriced model is unknown, never guessed from a
 * shorter name.
 */
export function findPrice(prices: PriceIndex, provider: string, model: string): ModelPrice | undefined {
  const exact = prices.get(priceKey(provider, model));
  if (exact) return exact;
  const base = model.replace(DATE_SUFFIX, '');
  return base !== model && base !== '' ? prices.get(priceKey(provider, base)) : undefined;
}
