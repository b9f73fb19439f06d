import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestCost } from './request-cost.js';
import { SHIPPED_PRICES } from './price-table.js';

const priceOf = (provider: string, model: string) =>
  SHIPPED_PRICES.find((entry) => entry.provider === provider && entry.model === model);

/** Equal to a millionth of a cent: costs are sums of products of decimals. */
const near = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);

describe('requestCost', () => {
  it('prices OpenAI usage with cached input at its own rate and reasoning as output', () => {
    // prompt_tokens 2,000 of which 1,500 cached; completion 800 of which 300 reasoning (gpt-4o).
    const cost = requestCost(
      { promptTokens: 2_000, completionTokens: 800, totalTokens: 2_800, cachedTokens: 1_500, reasoningTokens: 300 },
      priceOf('openai', 'gpt-4o'),
    );
    // 500 x 2.50 + 1,500 x 1.25 + 800 x 10.00, per million.
    near(cost, (500 * 2.5 + 1_500 * 1.25 + 800 * 10) / 1e6);
  });

  it('prices Claude cache reads and cache writes apart from plain input', () => {
    // The adapter folds input_tokens 100 + cache_read 4,000 + cache_creation 1,000 into promptTokens.
    const cost = requestCost(
      {
        promptTokens: 5_100,
        completionTokens: 250,
        totalTokens: 5_350,
        cachedTokens: 4_000,
        cacheWriteTokens: 1_000,
      },
      priceOf('claude', 'claude-sonnet-4-6'),
    );
    near(cost, (100 * 3 + 4_000 * 0.3 + 1_000 * 3.75 + 250 * 15) / 1e6);
  });

  it('prices Z.AI cached tokens at the cached-input rate', () => {
    const cost = requestCost(
      { promptTokens: 1_000, completionTokens: 500, totalTokens: 1_500, cachedTokens: 600 },
      priceOf('zai', 'glm-4.6'),
    );
    near(cost, (400 * 0.6 + 600 * 0.11 + 500 * 2.2) / 1e6);
  });

  it("takes Perplexity's own cost when it reports one, and adds the request fee when it does not", () => {
    const usage = { promptTokens: 9, completionTokens: 38, totalTokens: 47 };
    near(requestCost({ ...usage, costUsd: 0.005047 }, priceOf('perplexity', 'sonar')), 0.005047);
    near(requestCost(usage, priceOf('perplexity', 'sonar')), (9 * 1 + 38 * 1) / 1e6 + 0.005);
  });

  it('is unknown without usage or without a price, and zero only for a priced request that used nothing', () => {
    assert.equal(requestCost(undefined, priceOf('openai', 'gpt-4o')), undefined);
    assert.equal(requestCost({ promptTokens: 10, completionTokens: 10, totalTokens: 20 }, undefined), undefined);
    assert.equal(requestCost({ promptTokens: 0, completionTokens: 0, totalTokens: 0 }, priceOf('openai', 'gpt-4o')), 0);
  });

  it('never prices a part below zero when a provider reports more cached than prompt tokens', () => {
    near(
      requestCost(
        { promptTokens: 10, completionTokens: 0, totalTokens: 10, cachedTokens: 12 },
        priceOf('openai', 'gpt-4o'),
      ),
      (12 * 1.25) / 1e6,
    );
  });

  it('never counts a cost below zero, stated or from negative token counts', () => {
    const usage = { promptTokens: 10, completionTokens: 10, totalTokens: 20 };
    assert.equal(requestCost({ ...usage, costUsd: -2 }, priceOf('perplexity', 'sonar')), 0);
    assert.equal(
      requestCost(
        { promptTokens: -1_000_000, completionTokens: -5, totalTokens: -1_000_005 },
        priceOf('openai', 'gpt-4o'),
      ),
      0,
    );
    near(
      requestCost({ ...usage, completionTokens: -500, reasoningTokens: -500 }, priceOf('openai', 'gpt-4o')),
      (10 * 2.5) / 1e6,
    );
  });
});
