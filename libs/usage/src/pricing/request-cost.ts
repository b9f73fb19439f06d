import type { Usage } from '@switchboard/providers';
import type { ModelPrice } from './price-table.js';

const PER_MILLION = 1_000_000;

/** The number, or zero when it is negative. */
function atLeastZero(value: number): number {
  return Math.max(0, value);
}

/**
 * What one request cost in USD, from the usage its provider reported: undefined when unknown (no
 * usage, or no price for the model), never a made-up zero. A provider that states the cost itself
 * (Perplexity) is taken at its word. Prompt tokens include the cached ones and the cache writes,
 * completion tokens include the reasoning ones (as OpenAI, Claude and Z.AI count them), so each
 * part is priced once at its own rate.
 */
export function requestCost(usage: Usage | undefined, price: ModelPrice | undefined): number | undefined {
  if (!usage) return undefined;
  // Counts and costs below zero come from a broken or hostile upstream; they would lower a key's spend.
  if (usage.costUsd !== undefined) return atLeastZero(usage.costUsd);
  if (!price) return undefined;
  const cached = atLeastZero(usage.cachedTokens ?? 0);
  const cacheWrite = atLeastZero(usage.cacheWriteTokens ?? 0);
  const reasoning = atLeastZero(usage.reasoningTokens ?? 0);
  const plainInput = Math.max(0, atLeastZero(usage.promptTokens) - cached - cacheWrite);
  const plainOutput = Math.max(0, atLeastZero(usage.completionTokens) - reasoning);
  const microTokens =
    plainInput * price.inputUsdPerMtok +
    cached * (price.cachedInputUsdPerMtok ?? price.inputUsdPerMtok) +
    cacheWrite * (price.cacheWriteUsdPerMtok ?? price.inputUsdPerMtok) +
    plainOutput * price.outputUsdPerMtok +
    reasoning * (price.reasoningUsdPerMtok ?? price.outputUsdPerMtok);
  return microTokens / PER_MILLION + (price.requestUsd ?? 0);
}
