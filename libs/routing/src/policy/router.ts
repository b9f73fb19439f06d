import { DomainError } from '@switchboard/kernel';
import type { ChatRequest, ProviderName } from '@switchboard/providers';
import { requestFeatures, type RequestFeatures } from './request-features.js';
import {
  freshFactsMatchers,
  parseModelRef,
  poolKey,
  type RoutingPolicy,
  type RuleCondition,
} from './routing-policy.js';

/** Which models are served at all (any health): the router never proposes a pool nobody serves. */
export interface ModelCatalog {
  /** Providers with at least one enabled instance that lists this model (any health). */
  providersServing(model: string): readonly ProviderName[];
}

export interface RouteHints {
  preferredProvider?: ProviderName;
  /** The client allows an explicit "provider/model" to fall back to other providers (header). */
  allowFallback?: boolean;
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
  /** Human-readable sentences explaining the decision, in order. */
  reasons: string[];
  features: RequestFeatures;
}

export class UnknownModelError extends DomainError {
  readonly kind = 'not_found';

  /** `detail` says why, when the model name alone does not (auto: the tier nobody serves). */
  constructor(
    readonly model: string,
    detail = 'it is not served by any instance',
  ) {
    super(`The model '${model}' cannot be routed: ${detail}. GET /v1/models lists the models available`);
    this.name = 'UnknownModelError';
  }
}

/**
 * Ordered (provider, model) candidates for a request: explicit "provider/model", a plain model
 * name served by one or more providers, or an auto name (the policy's rules pick a tier from what
 * the request needs), each followed by its fallbacks; only pools the catalog serves. Pure and
 * cheap: it runs per request, compiles nothing and parses nothing.
 */
export function routeChat(
  request: ChatRequest,
  hints: RouteHints,
  policy: RoutingPolicy,
  catalog: ModelCatalog,
): RouteDecision {
  const features = requestFeatures(request, freshFactsMatchers(policy));
  const requested = request.model;
  const reasons: string[] = [];
  const candidates: RouteCandidate[] = [];
  const serves = (provider: ProviderName, model: string) => catalog.providersServing(model).includes(provider);
  const add = (provider: ProviderName, model: string, reason: string) => {
    const pool = poolKey(provider, model);
    if (!candidates.some((candidate) => candidate.pool === pool)) candidates.push({ provider, model, pool, reason });
  };
  const addFallbacks = (key: string, list: readonly string[] | undefined) => {
    for (const entry of list ?? []) {
      const ref = parseModelRef(entry);
      if (ref && serves(ref.provider, ref.model)) add(ref.provider, ref.model, `fallback for ${key}`);
      else reasons.push(`fallback ${entry} for ${key} skipped: no instance serves it`);
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
    const chosen = matched
      ? `tier '${tier}' chosen by rule '${matched.name}'`
      : `tier '${tier}' (default: no rule matched)`;
    reasons.push(chosen);
    for (const entry of own(policy.tiers, tier) ?? []) {
      const ref = parseModelRef(entry);
      if (ref && serves(ref.provider, ref.model)) add(ref.provider, ref.model, chosen);
      else reasons.push(`${entry} skipped: no instance serves it`);
    }
    if (candidates.length === 0)
      throw new UnknownModelError(requested, `no instance serves any model of tier '${tier}'`);
  } else if (explicit) {
    mode = 'explicit';
    if (!serves(explicit.provider, explicit.model)) throw new UnknownModelError(requested);
    add(explicit.provider, explicit.model, 'requested explicitly');
    reasons.push(`${requested} requested explicitly`);
    // A client that names the provider wants that provider: other providers only when the policy
    // has an entry for exactly this "provider/model", or the client allows the model's chain.
    const exact = own(policy.fallbacks, requested);
    if (exact) addFallbacks(requested, exact);
    else if (hints.allowFallback) addFallbacks(explicit.model, own(policy.fallbacks, explicit.model));
    else
      reasons.push(
        `no other provider: ${requested} names its provider (fallbacks["${requested}"] in the policy or the request header x-switchboard-allow-fallback: true allow one)`,
      );
  } else {
    mode = 'model';
    const rank = (provider: ProviderName) => {
      const position = policy.providerPreference.indexOf(provider);
      return position === -1 ? Number.MAX_SAFE_INTEGER : position;
    };
    // Array.prototype.sort is stable: providers the preference does not list keep the catalog's order, last.
    const providers = [...catalog.providersServing(requested)].sort((a, b) => rank(a) - rank(b));
    if (providers.length === 0) throw new UnknownModelError(requested);
    for (const provider of providers) {
      const position = rank(provider);
      add(
        provider,
        requested,
        `serves ${requested} (${position === Number.MAX_SAFE_INTEGER ? 'not in the provider preference' : `provider preference ${position + 1}`})`,
      );
    }
    reasons.push(`${requested} is served by ${providers.join(', ')}, in the order of the provider preference`);
    addFallbacks(requested, own(policy.fallbacks, requested));
    for (const provider of providers) {
      const pool = poolKey(provider, requested);
      addFallbacks(pool, own(policy.fallbacks, pool));
    }
  }

  const preferred = hints.preferredProvider;
  if (preferred && candidates.some((candidate) => candidate.provider === preferred)) {
    const first = candidates
      .filter((candidate) => candidate.provider === preferred)
      .map((candidate) => ({ ...candidate, reason: `${candidate.reason}; moved first: preferred provider` }));
    const others = candidates.filter((candidate) => candidate.provider !== preferred);
    candidates.splice(0, candidates.length, ...first, ...others);
    reasons.push(`${preferred} candidates moved first: preferred by the client`);
  } else if (preferred) {
    reasons.push(`preferred provider ${preferred} serves none of the candidates; ignored`);
  }
  if (candidates.length > policy.maxCandidates) {
    const dropped = candidates.splice(policy.maxCandidates);
    reasons.push(
      `cut to ${policy.maxCandidates} candidates; dropped ${dropped.map((candidate) => candidate.pool).join(', ')}`,
    );
  }
  return { requested, mode, tier, rule, candidates, reasons, features };
}

/** Own keys only: a model named "constructor" must not find Object.prototype's. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
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
