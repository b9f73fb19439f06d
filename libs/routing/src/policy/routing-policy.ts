import { PROVIDER_NAMES, type ProviderName } from '@switchboard/providers';
import { type BalancingStrategy, STRATEGIES } from '../balancing/strategies.js';
import { describeError, DomainError } from '@switchboard/kernel';

/** "provider/model", e.g. "claude/claude-sonnet-4-6". */
export type ModelRefText = string;

export interface RuleCondition {
  hasImages?: boolean;
  hasTools?: boolean;
  wantsReasoning?: boolean;
  jsonOutput?: boolean;
  needsFreshFacts?: boolean;
  minPromptTokens?: number;
  maxPromptTokens?: number;
}

/** All conditions set must hold; the first matching rule picks the tier. */
export interface RoutingRule {
  name: string;
  when: RuleCondition;
  tier: string;
}

export interface RoutingPolicy {
  version: 1;
  /** Model names that mean "let the policy choose" (default "auto" and "switchboard/auto"). */
  autoModels: string[];
  /** Ordered candidate lists, each entry "provider/model". */
  tiers: Record<string, ModelRefText[]>;
  /** Evaluated in order; the first match picks the tier for auto. */
  rules: RoutingRule[];
  defaultTier: string;
  /** Tried after the requested model: keyed by "provider/model" or a plain model name. */
  fallbacks: Record<string, ModelRefText[]>;
  /** Order among providers when a plain model name is served by several. */
  providerPreference: ProviderName[];
  /** Case-insensitive regular expressions over the last user message. */
  freshFactsPatterns: string[];
  /** The balancing strategy, overridable per pool ("provider/model"). */
  balancing: { strategy: BalancingStrategy; pools: Record<string, BalancingStrategy> };
  /** At most this many candidates in a decision. */
  maxCandidates: number;
}

/**
 * The built-in policy, in force while Consul KV holds none (or an invalid one). Each tier crosses
 * providers, so one provider's outage degrades quality a little instead of failing requests.
 * - fast: the cheap small models; no default rule picks it (prompt length says little about
 *   difficulty), it is there for operators' rules and as a fallback pool.
 * - vision: models that read images (not the GLM text models, not Perplexity).
 * - tools: models with function calling; never Perplexity, which drops tool definitions.
 * - search: Perplexity's web-grounded models first, then general models that answer from memory.
 * - reasoning: extended-thinking models, strongest first.
 * - long_context: 200k-token context windows first, gpt-4o (128k) last.
 * Rules go from hard requirements to preferences: an image or a tool call fails outright on a
 * model that lacks them, while search, reasoning and long context only improve the answer.
 */
export const DEFAULT_ROUTING_POLICY: RoutingPolicy = {
  version: 1,
  autoModels: ['auto', 'switchboard/auto'],
  tiers: {
    fast: ['openai/gpt-4o-mini', 'claude/claude-haiku-4-5', 'zai/glm-4.5-air'],
    balanced: ['openai/gpt-4o', 'claude/claude-sonnet-4-6', 'zai/glm-4.6', 'openai/gpt-4o-mini'],
    reasoning: [
      'claude/claude-opus-4-7',
      'claude/claude-sonnet-4-6',
      'zai/glm-4.6',
      'perplexity/sonar-reasoning',
      'openai/gpt-4o',
    ],
    vision: [
      'openai/gpt-4o',
      'claude/claude-sonnet-4-6',
      'claude/claude-opus-4-7',
      'openai/gpt-4o-mini',
      'claude/claude-haiku-4-5',
    ],
    tools: [
      'openai/gpt-4o',
      'claude/claude-sonnet-4-6',
      'zai/glm-4.6',
      'openai/gpt-4o-mini',
      'claude/claude-haiku-4-5',
      'zai/glm-4.5',
    ],
    search: ['perplexity/sonar-pro', 'perplexity/sonar', 'openai/gpt-4o', 'claude/claude-sonnet-4-6'],
    long_context: ['claude/claude-sonnet-4-6', 'claude/claude-opus-4-7', 'zai/glm-4.6', 'openai/gpt-4o'],
  },
  rules: [
    { name: 'images', when: { hasImages: true }, tier: 'vision' },
    // Perplexity drops tools, so a question needing fresh facts with tools defined goes to tools.
    { name: 'fresh-facts', when: { needsFreshFacts: true, hasTools: false }, tier: 'search' },
    { name: 'tools', when: { hasTools: true }, tier: 'tools' },
    { name: 'reasoning', when: { wantsReasoning: true }, tier: 'reasoning' },
    { name: 'long-prompt', when: { minPromptTokens: 32_000 }, tier: 'long_context' },
  ],
  defaultTier: 'balanced',
  // A model's peers of the same class at the other providers, so a provider outage keeps the quality level.
  fallbacks: {
    'gpt-4o': ['claude/claude-sonnet-4-6', 'zai/glm-4.6'],
    'gpt-4o-mini': ['claude/claude-haiku-4-5', 'zai/glm-4.5-air'],
    'claude-sonnet-4-6': ['openai/gpt-4o', 'zai/glm-4.6'],
    'claude-opus-4-7': ['claude/claude-sonnet-4-6', 'openai/gpt-4o'],
    'claude-haiku-4-5': ['openai/gpt-4o-mini', 'zai/glm-4.5-air'],
    'glm-4.6': ['claude/claude-sonnet-4-6', 'openai/gpt-4o'],
    'glm-4.5': ['zai/glm-4.6', 'openai/gpt-4o-mini'],
    'glm-4.5-air': ['openai/gpt-4o-mini', 'claude/claude-haiku-4-5'],
    'sonar-pro': ['perplexity/sonar', 'openai/gpt-4o'],
    sonar: ['perplexity/sonar-pro', 'openai/gpt-4o-mini'],
    'sonar-reasoning': ['perplexity/sonar-pro', 'claude/claude-sonnet-4-6'],
  },
  providerPreference: ['openai', 'claude', 'zai', 'perplexity', 'openai_compatible'],
  // Narrow on purpose: a false positive sends a question to a search model that cannot use tools.
  freshFactsPatterns: [
    '\\b(news|headlines?)\\b',
    '\\b(today|tonight|yesterday|right now|this (morning|afternoon|evening|week|weekend|month|quarter|year)|so far this)\\b',
    '\\b(latest|most recent|newest|up[- ]to[- ]date)\\b',
    '\\bcurrent(ly)?\\s+(price|prices|rate|rates|weather|events|score|scores|standings|status|president|prime minister|ceo|leader|champion)\\b',
    '\\b(stock|share|bitcoin|crypto|gas|oil) prices?\\b|\\bexchange rates?\\b|\\bweather (forecast|in|for)\\b',
    '\\b(election|match|game|race) results?\\b|\\b(live|final) scores?\\b',
  ],
  balancing: { strategy: 'health_based', pools: {} },
  maxCandidates: 6,
};

export class RoutingPolicyError extends DomainError {
  readonly kind = 'invalid_request';

  override readonly details: readonly string[];

  constructor(readonly problems: string[]) {
    super(`invalid routing policy: ${problems.join('; ')}`);
    this.name = 'RoutingPolicyError';
    this.details = problems;
  }
}

export function poolKey(provider: ProviderName, model: string): string {
  return `${provider}/${model}`;
}

/** "provider/model" when the part before the first "/" is a provider we know ("meta-llama/x" is a plain name). */
export function parseModelRef(text: string): { provider: ProviderName; model: string } | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) return undefined;
  const provider = text.slice(0, slash);
  if (!(PROVIDER_NAMES as readonly string[]).includes(provider)) return undefined;
  return { provider: provider as ProviderName, model: text.slice(slash + 1) };
}

const compiled = new WeakMap<RoutingPolicy, RegExp[]>();

/** The fresh-facts patterns compiled once per policy, so the hot path never compiles. */
export function freshFactsMatchers(policy: RoutingPolicy): RegExp[] {
  let matchers = compiled.get(policy);
  if (!matchers) {
    matchers = policy.freshFactsPatterns.map((source) => new RegExp(source, 'i'));
    compiled.set(policy, matchers);
  }
  return matchers;
}

const CONDITION_FLAGS = ['hasImages', 'hasTools', 'wantsReasoning', 'jsonOutput', 'needsFreshFacts'] as const;
const CONDITION_NUMBERS = ['minPromptTokens', 'maxPromptTokens'] as const;
const CONDITIONS: readonly string[] = [...CONDITION_FLAGS, ...CONDITION_NUMBERS];

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A policy from parsed JSON (Consul KV): missing fields come from the default, every problem is
 * collected with its JSON path, and nothing half-valid is ever returned.
 */
export function parseRoutingPolicy(value: unknown): RoutingPolicy {
  if (!isObject(value)) throw new RoutingPolicyError(['(root): the policy must be a JSON object']);
  const raw = value;
  const problems: string[] = [];
  const policy: RoutingPolicy = structuredClone(DEFAULT_ROUTING_POLICY);
  const refList = (path: string, list: unknown): ModelRefText[] => {
    if (!Array.isArray(list)) {
      problems.push(`${path}: must be an array of "provider/model"`);
      return [];
    }
    list.forEach((entry, index) => {
      if (typeof entry !== 'string' || !parseModelRef(entry))
        problems.push(
          `${path}[${index}]: ${JSON.stringify(entry)} is not "provider/model" with a provider among ${PROVIDER_NAMES.join(', ')}`,
        );
    });
    return list as ModelRefText[];
  };
  const hasTier = (tier: unknown) => typeof tier === 'string' && Object.hasOwn(policy.tiers, tier);

  for (const key of Object.keys(raw))
    if (!Object.hasOwn(DEFAULT_ROUTING_POLICY, key)) problems.push(`${key}: unknown field`);
  if (raw.version !== undefined && raw.version !== 1) problems.push('version: only version 1 is understood');

  if (raw.autoModels !== undefined) {
    if (!Array.isArray(raw.autoModels)) problems.push('autoModels: must be an array of model names');
    else {
      raw.autoModels.forEach((name, index) => {
        if (typeof name !== 'string' || name.length === 0)
          problems.push(`autoModels[${index}]: must be a non-empty string`);
      });
      policy.autoModels = raw.autoModels as string[];
    }
  }

  if (raw.tiers !== undefined) {
    if (!isObject(raw.tiers)) problems.push('tiers: must be an object of tier name to ["provider/model", ...]');
    else {
      policy.tiers = Object.fromEntries(
        Object.entries(raw.tiers).map(([tier, list]) => [tier, refList(`tiers.${tier}`, list)]),
      );
      for (const [tier, list] of Object.entries(policy.tiers))
        if (Array.isArray(raw.tiers[tier]) && list.length === 0)
          problems.push(`tiers.${tier}: must list at least one "provider/model"`);
    }
  }

  if (raw.defaultTier !== undefined) {
    if (typeof raw.defaultTier !== 'string') problems.push('defaultTier: must be a tier name');
    else policy.defaultTier = raw.defaultTier;
  }
  if ((raw.defaultTier === undefined || typeof raw.defaultTier === 'string') && !hasTier(policy.defaultTier))
    problems.push(`defaultTier: unknown tier '${policy.defaultTier}'`);

  if (raw.rules !== undefined) {
    if (!Array.isArray(raw.rules)) problems.push('rules: must be an array');
    else policy.rules = raw.rules.map((entry, index) => parseRule(entry, `rules[${index}]`, hasTier, problems));
  } else {
    policy.rules.forEach((rule, index) => {
      if (!hasTier(rule.tier))
        problems.push(
          `rules[${index}].tier: unknown tier '${rule.tier}' (a default rule needs a tier this policy removed; give rules too)`,
        );
    });
  }

  if (raw.fallbacks !== undefined) {
    if (!isObject(raw.fallbacks)) problems.push('fallbacks: must be an object of model to ["provider/model", ...]');
    else
      policy.fallbacks = Object.fromEntries(
        Object.entries(raw.fallbacks).map(([model, list]) => [model, refList(`fallbacks.${model}`, list)]),
      );
  }

  if (raw.providerPreference !== undefined) {
    if (!Array.isArray(raw.providerPreference)) problems.push('providerPreference: must be an array of providers');
    else {
      raw.providerPreference.forEach((provider, index) => {
        if (!(PROVIDER_NAMES as readonly unknown[]).includes(provider))
          problems.push(
            `providerPreference[${index}]: unknown provider ${JSON.stringify(provider)} (known: ${PROVIDER_NAMES.join(', ')})`,
          );
      });
      policy.providerPreference = raw.providerPreference as ProviderName[];
    }
  }

  if (raw.freshFactsPatterns !== undefined) {
    if (!Array.isArray(raw.freshFactsPatterns))
      problems.push('freshFactsPatterns: must be an array of regular expressions');
    else {
      raw.freshFactsPatterns.forEach((pattern, index) => {
        if (typeof pattern !== 'string') {
          problems.push(`freshFactsPatterns[${index}]: must be a string`);
          return;
        }
        try {
          new RegExp(pattern, 'i');
        } catch (error) {
          problems.push(`freshFactsPatterns[${index}]: not a valid regular expression (${describeError(error)})`);
        }
      });
      policy.freshFactsPatterns = raw.freshFactsPatterns as string[];
    }
  }

  if (raw.balancing !== undefined) {
    if (!isObject(raw.balancing)) problems.push('balancing: must be an object with strategy and pools');
    else policy.balancing = parseBalancing(raw.balancing, policy.balancing, problems);
  }

  if (raw.maxCandidates !== undefined) {
    if (
      typeof raw.maxCandidates !== 'number' ||
      !Number.isInteger(raw.maxCandidates) ||
      raw.maxCandidates < 1 ||
      raw.maxCandidates > 20
    )
      problems.push('maxCandidates: must be a whole number from 1 to 20');
    else policy.maxCandidates = raw.maxCandidates;
  }

  if (problems.length > 0) throw new RoutingPolicyError(problems);
  return policy;
}

function parseRule(entry: unknown, path: string, hasTier: (tier: unknown) => boolean, problems: string[]): RoutingRule {
  if (!isObject(entry)) {
    problems.push(`${path}: must be an object with name, when and tier`);
    return { name: '', when: {}, tier: '' };
  }
  if (typeof entry.name !== 'string' || entry.name.length === 0)
    problems.push(`${path}.name: must be a non-empty string`);
  if (typeof entry.tier !== 'string') problems.push(`${path}.tier: must be a tier name`);
  else if (!hasTier(entry.tier)) problems.push(`${path}.tier: unknown tier '${entry.tier}'`);
  const when = isObject(entry.when) ? entry.when : undefined;
  if (!when) problems.push(`${path}.when: must be an object of conditions ({} matches every request)`);
  for (const [key, condition] of Object.entries(when ?? {})) {
    if ((CONDITION_FLAGS as readonly string[]).includes(key)) {
      if (typeof condition !== 'boolean') problems.push(`${path}.when.${key}: must be true or false`);
    } else if ((CONDITION_NUMBERS as readonly string[]).includes(key)) {
      if (typeof condition !== 'number' || !Number.isFinite(condition) || condition < 0)
        problems.push(`${path}.when.${key}: must be a number >= 0`);
    } else problems.push(`${path}.when.${key}: unknown condition (known: ${CONDITIONS.join(', ')})`);
  }
  return { name: String(entry.name), when: (when ?? {}) as RuleCondition, tier: String(entry.tier) };
}

function parseBalancing(
  raw: JsonObject,
  defaults: RoutingPolicy['balancing'],
  problems: string[],
): RoutingPolicy['balancing'] {
  const isStrategy = (strategy: unknown): strategy is BalancingStrategy =>
    (STRATEGIES as readonly unknown[]).includes(strategy);
  for (const key of Object.keys(raw))
    if (key !== 'strategy' && key !== 'pools') problems.push(`balancing.${key}: unknown field`);
  const strategy = raw.strategy ?? defaults.strategy;
  if (!isStrategy(strategy))
    problems.push(`balancing.strategy: ${JSON.stringify(strategy)} is not one of ${STRATEGIES.join(', ')}`);
  let pools: Record<string, BalancingStrategy> = defaults.pools;
  if (raw.pools !== undefined) {
    if (!isObject(raw.pools)) problems.push('balancing.pools: must be an object of "provider/model" to strategy');
    else {
      for (const [pool, poolStrategy] of Object.entries(raw.pools)) {
        if (!parseModelRef(pool))
          problems.push(`balancing.pools.${pool}: the key must be "provider/model" with a known provider`);
        if (!isStrategy(poolStrategy))
          problems.push(
            `balancing.pools.${pool}: ${JSON.stringify(poolStrategy)} is not one of ${STRATEGIES.join(', ')}`,
          );
      }
      pools = raw.pools as Record<string, BalancingStrategy>;
    }
  }
  return { strategy: strategy as BalancingStrategy, pools };
}

/** What a stored policy value stands for: nothing stored, a valid policy, or one refused and why. */
export type StoredPolicy =
  | { source: 'default'; modifyIndex: 0; policy: RoutingPolicy; problems: [] }
  | { source: 'consul'; modifyIndex: number; policy: RoutingPolicy; problems: [] }
  | { source: 'invalid'; modifyIndex: number; policy?: undefined; problems: string[] };

/** Reads the policy key's entry (Consul KV: its text and ModifyIndex), as the watchers and the admin API see it. */
export function readStoredPolicy(entry: { Value: string | null; ModifyIndex: number } | undefined): StoredPolicy {
  if (!entry || entry.Value === null || entry.Value === '')
    return { source: 'default', modifyIndex: 0, policy: DEFAULT_ROUTING_POLICY, problems: [] };
  try {
    return {
      source: 'consul',
      modifyIndex: entry.ModifyIndex,
      policy: parseRoutingPolicy(JSON.parse(entry.Value)),
      problems: [],
    };
  } catch (error) {
    const problems = error instanceof RoutingPolicyError ? error.problems : [`not valid JSON: ${describeError(error)}`];
    return { source: 'invalid', modifyIndex: entry.ModifyIndex, problems };
  }
}
