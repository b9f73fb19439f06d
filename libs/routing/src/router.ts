import type { ChatRequest, ProviderName } from '@switchboard/providers';
import { requestFeatures, type RequestFeatures } from './request-features.js';
import { freshFactsMatchers, parseModelRef, poolKey, type RoutingPolicy, type RuleCondition } from './routing-policy.js';

/** Which models are served at all (any health): the router never proposes a pool nobody serves. */
export interface ModelCatalog {
  providersServing(model: string): readonly ProviderName[];
}

export interface RouteHints {
  preferredProvider?: ProviderName;
}

export interface RouteCandidate {
  provider: ProviderName;
  model: string;
  /** "provider/model": the balancer's pool. */
  pool: string;
  reason: string;
}

export interface RouteDecision {
  requested: string;
  mode: 'explicit' | 'model' | 'auto';
  tier?: string;
  /** The auto rule that matched; undefined when the default tier applied. */
  rule?: string;
  candidates: RouteCandidate[];
  /** The decision in sentences, in order. */
  reasons: string[];
  features: RequestFeatures;
}

export class UnknownModelError extends Error {
  constructor(readonly model: string) {
    super(`The model '${model}' is not served by any instance; GET /v1/models lists the models available`);
    this.name = 'UnknownModelError';
  }
}

/**
 * Ordered (provider, model) candidates for a request: explicit "provider/model", a plain model
 * name served by one or more providers, or "auto" (the policy's rules pick a tier from what the
 * request needs), each followed by its fallback chain. Pure and allocation-light: it runs per request.
 */
export function routeChat(request: ChatRequest, hints: RouteHints, policy: RoutingPolicy, catalog: ModelCatalog): RouteDecision {
  const features = requestFeatures(request, freshFactsMatchers(policy));
  const requested = request.model;
  const reasons: string[] = [];
  const candidates: RouteCandidate[] = [];
  const serves = (provider: ProviderName, model: string) => catalog.providersServing(model).includes(provider);
  const add = (provider: ProviderName, model: string, reason: string) => {
    const pool = poolKey(provider, model);
    if (!candidates.some((candidate) => candidate.pool === pool)) candidates.push({ provider, model, pool, reason });
  };
  const addFallbacks = (key: string) => {
    for (const entry of policy.fallbacks[key] ?? []) {
      const ref = parseModelRef(entry);
      if (ref && serves(ref.provider, ref.model)) add(ref.provider, ref.model, `fallback for ${key}`);
      else if (ref) reasons.push(`fallback ${entry} skipped: no instance serves it`);
    }
  };

  let mode: RouteDecision['mode'];
  let tier: string | undefined;
  let rule: string | undefined;
  const explicit = parseModelRef(requested);
  if (policy.autoModels.includes(requested)) {
    mode = 'auto';
    const matched = policy.rules.find((candidate) => matches(candidate.when, features));
    tier = matched?.tier ?? policy.defaultTier;
    rule = matched?.name;
    reasons.push(matched ? `rule '${matched.name}' matched; tier '${tier}'` : `no rule matched; default tier '${tier}'`);
    for (const entry of policy.tiers[tier] ?? []) {
      const ref = parseModelRef(entry);
      if (!ref) continue;
      if (serves(ref.provider, ref.model)) add(ref.provider, ref.model, `tier '${tier}'${rule ? ` chosen by rule '${rule}'` : ' (default)'}`);
      else reasons.push(`${entry} skipped: no instance serves it`);
    }
  } else if (explicit) {
    mode = 'explicit';
    if (!serves(explicit.provider, explicit.model)) throw new UnknownModelError(requested);
    add(explicit.provider, explicit.model, 'requested explicitly');
    reasons.push(`${requested} requested explicitly`);
    addFallbacks(requested);
    addFallbacks(explicit.model);
  } else {
    mode = 'model';
    const providers = [...catalog.providersServing(requested)];
    if (providers.length === 0) throw new UnknownModelError(requested);
    const rank = (provider: ProviderName) => {
      const position = policy.providerPreference.indexOf(provider);
      return position === -1 ? Number.MAX_SAFE_INTEGER : position;
    };
    providers.sort((a, b) => rank(a) - rank(b));
    providers.forEach((provider, index) => add(provider, requested, `serves ${requested}${providers.length > 1 ? ` (provider preference ${index + 1} of ${providers.length})` : ''}`));
    reasons.push(`${requested} is served by ${providers.join(', ')}`);
    addFallbacks(requested);
    for (const provider of providers) addFallbacks(poolKey(provider, requested));
  }
  if (candidates.length === 0) throw new UnknownModelError(requested);

  if (hints.preferredProvider && candidates.some((candidate) => candidate.provider === hints.preferredProvider)) {
    const preferred = candidates.filter((candidate) => candidate.provider === hints.preferredProvider);
    const others = candidates.filter((candidate) => candidate.provider !== hints.preferredProvider);
    candidates.splice(0, candidates.length, ...preferred, ...others);
    reasons.push(`${hints.preferredProvider} moved first: preferred by the client`);
  } else if (hints.preferredProvider) {
    reasons.push(`preferred provider ${hints.preferredProvider} serves none of the candidates; ignored`);
  }
  if (candidates.length > policy.maxCandidates) {
    candidates.length = policy.maxCandidates;
    reasons.push(`cut to ${policy.maxCandidates} candidates`);
  }
  return { requested, mode, tier, rule, candidates, reasons, features };
}

function matches(condition: RuleCondition, features: RequestFeatures): boolean {
  if (condition.hasImages !== undefined && condition.hasImages !== features.hasImages) return false;
  if (condition.hasTools !== undefined && condition.hasTools !== features.hasTools) return false;
  if (condition.wantsReasoning !== undefined && condition.wantsReasoning !== features.wantsReasoning) return false;
  if (condition.jsonOutput !== undefined && condition.jsonOutput !== features.jsonOutput) return false;
  if (condition.needsFreshFacts !== undefined && condition.needsFreshFacts !== features.needsFreshFacts) return false;
  if (condition.minPromptTokens !== undefined && features.promptTokens < condition.minPromptTokens) return false;
  if (condition.maxPromptTokens !== undefined && features.promptTokens > condition.maxPromptTokens) return false;
  return true;
}
