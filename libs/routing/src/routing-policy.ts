import { PROVIDER_NAMES, type ProviderName } from '@switchboard/providers';
import { type BalancingStrategy, STRATEGIES } from './balancer.js';

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
  /** Model names that mean "let the policy choose". */
  autoModels: string[];
  /** Ordered candidate lists. */
  tiers: Record<string, ModelRefText[]>;
  rules: RoutingRule[];
  defaultTier: string;
  /** Tried after the requested model: keyed by "provider/model" or a plain model name. */
  fallbacks: Record<string, ModelRefText[]>;
  /** Order among providers when a plain model name is served by several. */
  providerPreference: ProviderName[];
  /** Case-insensitive regular expressions over the last user message. */
  freshFactsPatterns: string[];
  balancing: { strategy: BalancingStrategy; pools: Record<string, BalancingStrategy> };
  maxCandidates: number;
}

/**
 * The built-in policy, in force while Consul KV holds none (or an invalid one). Tiers put the
 * cheapest capable model first and cross providers, so one provider's outage degrades quality a
 * little instead of failing requests. Perplexity only leads where fresh web facts are needed: it
 * drops tools, and its answers cost search.
 */
export const DEFAULT_ROUTING_POLICY: RoutingPolicy = {
  version: 1,
  autoModels: ['auto', 'switchboard/auto'],
  tiers: {
    fast: ['openai/gpt-4o-mini', 'claude/claude-haiku-4-5', 'zai/glm-4.5-air'],
    balanced: ['openai/gpt-4o', 'claude/claude-sonnet-4-6', 'zai/glm-4.6', 'openai/gpt-4o-mini'],
    reasoning: ['claude/claude-opus-4-7', 'claude/claude-sonnet-4-6', 'zai/glm-4.6', 'perplexity/sonar-reasoning', 'openai/gpt-4o'],
    vision: ['openai/gpt-4o', 'claude/claude-sonnet-4-6', 'openai/gpt-4o-mini', 'claude/claude-haiku-4-5'],
    tools: ['openai/gpt-4o', 'claude/claude-sonnet-4-6', 'zai/glm-4.6', 'openai/gpt-4o-mini'],
    search: ['perplexity/sonar-pro', 'perplexity/sonar', 'openai/gpt-4o', 'claude/claude-sonnet-4-6'],
    long_context: ['claude/claude-sonnet-4-6', 'claude/claude-opus-4-7', 'zai/glm-4.6', 'openai/gpt-4o'],
  },
  rules: [
    { name: 'images', when: { hasImages: true }, tier: 'vision' },
    { name: 'fresh-facts', when: { needsFreshFacts: true, hasTools: false }, tier: 'search' },
    { name: 'tools', when: { hasTools: true }, tier: 'tools' },
    { name: 'long-prompt', when: { minPromptTokens: 32_000 }, tier: 'long_context' },
    { name: 'reasoning', when: { wantsReasoning: true }, tier: 'reasoning' },
    { name: 'short-prompt', when: { maxPromptTokens: 200, jsonOutput: false }, tier: 'fast' },
  ],
  defaultTier: 'balanced',
  fallbacks: {
    'gpt-4o': ['claude/claude-sonnet-4-6', 'zai/glm-4.6'],
    'gpt-4o-mini': ['claude/claude-haiku-4-5', 'zai/glm-4.5-air'],
    'claude-sonnet-4-6': ['openai/gpt-4o', 'zai/glm-4.6'],
    'claude-opus-4-7': ['claude/claude-sonnet-4-6', 'openai/gpt-4o'],
    'claude-haiku-4-5': ['openai/gpt-4o-mini', 'zai/glm-4.5-air'],
    'glm-4.6': ['openai/gpt-4o', 'claude/claude-sonnet-4-6'],
    'glm-4.5-air': ['openai/gpt-4o-mini', 'claude/claude-haiku-4-5'],
    'sonar-pro': ['perplexity/sonar'],
    sonar: ['perplexity/sonar-pro'],
  },
  providerPreference: ['openai', 'claude', 'zai', 'perplexity', 'openai_compatible'],
  freshFactsPatterns: [
    '\\b(latest|breaking|current|recent|today|tonight|yesterday|this (week|month|year)|right now|as of)\\b',
    '\\b(news|headlines|stock price|share price|exchange rate|weather|score|election results?)\\b',
  ],
  balancing: { strategy: 'health_based', pools: {} },
  maxCandidates: 6,
};

export class RoutingPolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid routing policy: ${problems.join('; ')}`);
    this.name = 'RoutingPolicyError';
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
  if (!matchers) compiled.set(policy, (matchers = policy.freshFactsPatterns.map((source) => new RegExp(source, 'i'))));
  return matchers;
}

const CONDITION_FLAGS = ['hasImages', 'hasTools', 'wantsReasoning', 'jsonOutput', 'needsFreshFacts'] as const;
const CONDITION_NUMBERS = ['minPromptTokens', 'maxPromptTokens'] as const;

/**
 * A policy from parsed JSON (Consul KV): missing fields come from the default, every problem is
 * collected with its JSON path, and nothing half-valid is ever returned.
 */
export function parseRoutingPolicy(value: unknown): RoutingPolicy {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RoutingPolicyError(['(root): the policy must be a JSON object']);
  const raw = value as Record<string, unknown>;
  const policy: RoutingPolicy = { ...structuredClone(DEFAULT_ROUTING_POLICY) };
  if (raw.version !== undefined && raw.version !== 1) problems.push('version: only version 1 is understood');
  const refList = (path: string, list: unknown): string[] => {
    if (!Array.isArray(list)) {
      problems.push(`${path}: must be an array of "provider/model"`);
      return [];
    }
    list.forEach((entry, index) => {
      if (typeof entry !== 'string' || !parseModelRef(entry)) problems.push(`${path}[${index}]: "${String(entry)}" is not "provider/model" with a provider among ${PROVIDER_NAMES.join(', ')}`);
    });
    return list as string[];
  };
  if (raw.autoModels !== undefined) {
    if (!Array.isArray(raw.autoModels) || !raw.autoModels.every((name) => typeof name === 'string' && name.length > 0)) problems.push('autoModels: must be an array of model names');
    else policy.autoModels = raw.autoModels as string[];
  }
  if (raw.tiers !== undefined) {
    if (typeof raw.tiers !== 'object' || raw.tiers === null || Array.isArray(raw.tiers)) problems.push('tiers: must be an object of tier name to ["provider/model", ...]');
    else policy.tiers = Object.fromEntries(Object.entries(raw.tiers).map(([tier, list]) => [tier, refList(`tiers.${tier}`, list)]));
  }
  if (raw.defaultTier !== undefined) {
    if (typeof raw.defaultTier !== 'string') problems.push('defaultTier: must be a tier name');
    else policy.defaultTier = raw.defaultTier;
  }
  if (!(policy.defaultTier in policy.tiers)) problems.push(`defaultTier: unknown tier '${policy.defaultTier}'`);
  if (raw.rules !== undefined) {
    if (!Array.isArray(raw.rules)) problems.push('rules: must be an array');
    else {
      policy.rules = raw.rules.map((entry, index) => {
        const rule = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
        const path = `rules[${index}]`;
        if (typeof rule.name !== 'string' || !rule.name) problems.push(`${path}.name: must be a non-empty string`);
        if (typeof rule.tier !== 'string' || !(rule.tier in policy.tiers)) problems.push(`${path}.tier: unknown tier '${String(rule.tier)}'`);
        const when = (typeof rule.when === 'object' && rule.when !== null ? rule.when : undefined) as Record<string, unknown> | undefined;
        if (!when) problems.push(`${path}.when: must be an object of conditions`);
        for (const [key, condition] of Object.entries(when ?? {})) {
          if ((CONDITION_FLAGS as readonly string[]).includes(key)) {
            if (typeof condition !== 'boolean') problems.push(`${path}.when.${key}: must be true or false`);
          } else if ((CONDITION_NUMBERS as readonly string[]).includes(key)) {
            if (typeof condition !== 'number' || condition < 0) problems.push(`${path}.when.${key}: must be a number >= 0`);
          } else problems.push(`${path}.when.${key}: unknown condition (known: ${[...CONDITION_FLAGS, ...CONDITION_NUMBERS].join(', ')})`);
        }
        return { name: String(rule.name), when: (when ?? {}) as RuleCondition, tier: String(rule.tier) };
      });
    }
  } else {
    policy.rules.forEach((rule, index) => {
      if (!(rule.tier in policy.tiers)) problems.push(`rules[${index}].tier: unknown tier '${rule.tier}' (the default rules need tiers the policy removed; give rules too)`);
    });
  }
  if (raw.fallbacks !== undefined) {
    if (typeof raw.fallbacks !== 'object' || raw.fallbacks === null || Array.isArray(raw.fallbacks)) problems.push('fallbacks: must be an object of model to ["provider/model", ...]');
    else policy.fallbacks = Object.fromEntries(Object.entries(raw.fallbacks).map(([model, list]) => [model, refList(`fallbacks.${model}`, list)]));
  }
  if (raw.providerPreference !== undefined) {
    if (!Array.isArray(raw.providerPreference)) problems.push('providerPreference: must be an array of providers');
    else {
      raw.providerPreference.forEach((provider, index) => {
        if (!(PROVIDER_NAMES as readonly unknown[]).includes(provider)) problems.push(`providerPreference[${index}]: unknown provider '${String(provider)}'`);
      });
      policy.providerPreference = raw.providerPreference as ProviderName[];
    }
  }
  if (raw.freshFactsPatterns !== undefined) {
    if (!Array.isArray(raw.freshFactsPatterns)) problems.push('freshFactsPatterns: must be an array of regular expressions');
    else {
      raw.freshFactsPatterns.forEach((pattern, index) => {
        try {
          if (typeof pattern !== 'string') throw new Error('not a string');
          new RegExp(pattern, 'i');
        } catch (error) {
          problems.push(`freshFactsPatterns[${index}]: not a valid regular expression (${error instanceof Error ? error.message : String(error)})`);
        }
      });
      policy.freshFactsPatterns = raw.freshFactsPatterns as string[];
    }
  }
  if (raw.balancing !== undefined) {
    const balancing = (typeof raw.balancing === 'object' && raw.balancing !== null ? raw.balancing : {}) as Record<string, unknown>;
    const strategy = balancing.strategy ?? policy.balancing.strategy;
    if (!(STRATEGIES as readonly unknown[]).includes(strategy)) problems.push(`balancing.strategy: must be one of ${STRATEGIES.join(', ')}`);
    const pools = (balancing.pools ?? {}) as Record<string, unknown>;
    for (const [pool, poolStrategy] of Object.entries(pools)) {
      if (!parseModelRef(pool)) problems.push(`balancing.pools.${pool}: the key must be "provider/model"`);
      if (!(STRATEGIES as readonly unknown[]).includes(poolStrategy)) problems.push(`balancing.pools.${pool}: must be one of ${STRATEGIES.join(', ')}`);
    }
    policy.balancing = { strategy: strategy as BalancingStrategy, pools: pools as Record<string, BalancingStrategy> };
  }
  if (raw.maxCandidates !== undefined) {
    if (typeof raw.maxCandidates !== 'number' || !Number.isInteger(raw.maxCandidates) || raw.maxCandidates < 1 || raw.maxCandidates > 20) problems.push('maxCandidates: must be a whole number from 1 to 20');
    else policy.maxCandidates = raw.maxCandidates;
  }
  const known = new Set(Object.keys(DEFAULT_ROUTING_POLICY));
  for (const key of Object.keys(raw)) if (!known.has(key)) problems.push(`${key}: unknown field`);
  if (problems.length > 0) throw new RoutingPolicyError(problems);
  return policy;
}
