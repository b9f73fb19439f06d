import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findPrice, type PriceIndex, priceKey } from './price-lookup.js';
import type { ModelPrice } from './price-table.js';

const GPT_4O = { inputUsdPerMtok: 2.5, outputUsdPerMtok: 10 } as ModelPrice;
const SONAR = { inputUsdPerMtok: 1, outputUsdPerMtok: 1 } as ModelPrice;
const CLAUDE = { inputUsdPerMtok: 3, outputUsdPerMtok: 15 } as ModelPrice;
const prices: PriceIndex = new Map([
  [priceKey('openai', 'gpt-4o'), GPT_4O],
  [priceKey('perplexity', 'sonar'), SONAR],
  [priceKey('claude', 'claude-sonnet-4-5'), CLAUDE],
]);

describe('findPrice', () => {
  it("gives a dated snapshot its base name's price", () => {
    assert.equal(findPrice(prices, 'openai', 'gpt-4o-2024-08-06'), GPT_4O);
    assert.equal(findPrice(prices, 'openai', 'gpt-4o-0513'), GPT_4O);
    assert.equal(findPrice(prices, 'claude', 'claude-sonnet-4-5-20250929'), CLAUDE);
  });

  it('leaves any other unpriced name unknown rather than priced as a shorter one', () => {
    assert.equal(findPrice(prices, 'openai', 'gpt-4o-audio-preview'), undefined);
    assert.equal(findPrice(prices, 'openai', 'gpt-4o-audio-preview-2024-12-17'), undefined);
    assert.equal(findPrice(prices, 'perplexity', 'sonar-deep-research'), undefined);
    assert.equal(findPrice(prices, 'openai', 'gpt-4o-123'), undefined, 'three digits are no date');
  });
});
