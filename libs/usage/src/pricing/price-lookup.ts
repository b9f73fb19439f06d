import type { ModelPrice } from './price-table.js';

/** Prices by "provider/model", as a gateway or the admin API holds them in memory. */
export type PriceIndex = ReadonlyMap<string, ModelPrice>;

export function priceKey(provider: string, model: string): string {
  return `${provider}/${model}`;
}

/**
 * The price of a model: its own entry, else that of the longest priced name it extends with "-"
 * (a dated snapshot such as gpt-4o-2024-08-06 takes gpt-4o's price; gpt-4o-mini has its own).
 */
export function findPrice(prices: PriceIndex, provider: string, model: string): ModelPrice | undefined {
  const exact = prices.get(priceKey(provider, model));
  if (exact) return exact;
  let cut = model.lastIndexOf('-');
  while (cut > 0) {
    const base = prices.get(priceKey(provider, model.slice(0, cut)));
    if (base) return base;
    cut = model.lastIndexOf('-', cut - 1);
  }
  return undefined;
}
