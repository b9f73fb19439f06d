/** What a model costs, in USD per million tokens (and per request where the provider charges one). */
export interface ModelPrice {
  inputUsdPerMtok: number;
  outputUsdPerMtok: number;
  /** Prompt tokens read from the provider's cache; the input price when absent. */
  cachedInputUsdPerMtok?: number;
  /** Prompt tokens written to the provider's cache (Claude); the input price when absent. */
  cacheWriteUsdPerMtok?: number;
  /** Reasoning tokens (part of the output); the output price when absent. */
  reasoningUsdPerMtok?: number;
  /** A fee per request on top of the tokens (Perplexity's search fee). */
  requestUsd?: number;
}

/** One shipped price, with where it was read and when, so an operator can check it. */
export interface ShippedPrice extends ModelPrice {
  provider: string;
  model: string;
  /** The provider's pricing page the numbers come from. */
  source: string;
  /** The day the numbers were read from that page (UTC). */
  checkedOn: string;
  /** False when the numbers could not be read on the provider's own page and come from copies of it. */
  verified: boolean;
  note?: string;
}

const OPENAI = 'https://platform.openai.com/docs/pricing';
const CLAUDE = 'https://platform.claude.com/docs/en/about-claude/pricing';
const ZAI = 'https://docs.z.ai/guides/overview/pricing';
const PERPLEXITY = 'https://docs.perplexity.ai/getting-started/pricing';
const CHECKED_ON = '2026-12-01';

/**
 * The prices Switchboard ships, for the models its providers are set up with by default. An
 * operator overrides any of them (or prices a model missing here) through PUT /admin/prices; a
 * model with no price at all is recorded with an unknown cost, never a zero one. Standard tier,
 * no batch discount. Dated snapshots ("gpt-4o-2024-08-06") take the price of their base name.
 */
export const SHIPPED_PRICES: readonly ShippedPrice[] = [
  // OpenAI: reasoning tokens are billed as output, cached input at half the input price.
  price('openai', 'gpt-4o', { inputUsdPerMtok: 2.5, cachedInputUsdPerMtok: 1.25, outputUsdPerMtok: 10 }, OPENAI, false),
  price(
    'openai',
    'gpt-4o-mini',
    { inputUsdPerMtok: 0.15, cachedInputUsdPerMtok: 0.075, outputUsdPerMtok: 0.6 },
    OPENAI,
    false,
  ),
  // Claude: cache hits at 0.1x input, 5-minute cache writes at 1.25x (the default cache duration).
  price(
    'claude',
    'claude-sonnet-4-6',
    { inputUsdPerMtok: 3, cachedInputUsdPerMtok: 0.3, cacheWriteUsdPerMtok: 3.75, outputUsdPerMtok: 15 },
    CLAUDE,
    true,
  ),
  price(
    'claude',
    'claude-haiku-4-5',
    { inputUsdPerMtok: 1, cachedInputUsdPerMtok: 0.1, cacheWriteUsdPerMtok: 1.25, outputUsdPerMtok: 5 },
    CLAUDE,
    true,
  ),
  // Z.AI: cached input storage is free for now; cache hits are billed at the cached-input price.
  price('zai', 'glm-4.6', { inputUsdPerMtok: 0.6, cachedInputUsdPerMtok: 0.11, outputUsdPerMtok: 2.2 }, ZAI, false),
  price(
    'zai',
    'glm-4.5-air',
    { inputUsdPerMtok: 0.2, cachedInputUsdPerMtok: 0.03, outputUsdPerMtok: 1.1 },
    ZAI,
    false,
    'not found on a stored copy of the page; from memory of it, check before relying on it',
  ),
  // Perplexity reports each request's own cost in its usage (used first); these apply when it does not.
  price(
    'perplexity',
    'sonar',
    { inputUsdPerMtok: 1, outputUsdPerMtok: 1, requestUsd: 0.005 },
    PERPLEXITY,
    true,
    'request fee for the low search context size',
  ),
  price(
    'perplexity',
    'sonar-pro',
    { inputUsdPerMtok: 3, outputUsdPerMtok: 15, requestUsd: 0.006 },
    PERPLEXITY,
    true,
    'request fee for the low search context size',
  ),
  price(
    'perplexity',
    'sonar-reasoning',
    { inputUsdPerMtok: 1, outputUsdPerMtok: 5, requestUsd: 0.005 },
    PERPLEXITY,
    true,
    'request fee for the low search context size',
  ),
  price(
    'perplexity',
    'sonar-reasoning-pro',
    { inputUsdPerMtok: 2, outputUsdPerMtok: 8, requestUsd: 0.006 },
    PERPLEXITY,
    true,
    'request fee for the low search context size',
  ),
];

function price(
  provider: string,
  model: string,
  prices: ModelPrice,
  source: string,
  verified: boolean,
  note?: string,
): ShippedPrice {
  return { provider, model, ...prices, source, checkedOn: CHECKED_ON, verified, ...(note ? { note } : {}) };
}
