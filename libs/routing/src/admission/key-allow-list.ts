import type { ClientIdentity } from '@switchboard/fleet';
import { DomainError } from '@switchboard/kernel';
import type { RouteCandidate, RouteDecision } from '../policy/router.js';

/** A model or provider the client key may not use: 403 naming it. */
export class ModelNotAllowedError extends DomainError {
  readonly kind = 'forbidden';
  override readonly field = 'model';

  constructor(readonly model: string) {
    super(
      `This API key may not use the model '${model}'; an operator sets the models and providers a key may use (allowedModels, allowedProviders)`,
    );
    this.name = 'ModelNotAllowedError';
  }
}

const compiled = new Map<string, RegExp>();

/** A glob where * stands for any run of characters ("gpt-4o*", "openai/*", "*"), matched whole and case-sensitively. */
export function matchesPattern(pattern: string, value: string): boolean {
  let regex = compiled.get(pattern);
  if (!regex) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${source}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex.test(value);
}

function allows(identity: ClientIdentity, candidate: RouteCandidate): boolean {
  const { allowedModels, allowedProviders } = identity;
  if (allowedProviders.length > 0 && !allowedProviders.some((pattern) => matchesPattern(pattern, candidate.provider)))
    return false;
  if (allowedModels.length === 0) return true;
  return allowedModels.some(
    (pattern) => matchesPattern(pattern, candidate.model) || matchesPattern(pattern, candidate.pool),
  );
}

/**
 * Whether the candidate is what the client named: "provider/model" names one pool; a plain name
 * (which may hold a "/" itself, as meta-llama/Llama-3.1-8B does) names the model on any provider;
 * `auto` names no model, so every candidate is.
 */
function isNamed(decision: RouteDecision, candidate: RouteCandidate): boolean {
  if (decision.mode === 'auto') return true;
  if (decision.mode === 'explicit') return candidate.pool === decision.requested;
  return candidate.model === decision.requested;
}

/**
 * The route cut down to what the key may use. The model the client named must itself be allowed
 * (a fallback to another model does not make a forbidden one usable); `auto` may be served by any
 * allowed candidate. Throws ModelNotAllowedError naming the model when nothing is left.
 */
export function applyAllowList(identity: ClientIdentity, decision: RouteDecision): RouteDecision {
  if (identity.allowedModels.length === 0 && identity.allowedProviders.length === 0) return decision;
  const candidates = decision.candidates.filter((candidate) => allows(identity, candidate));
  const namedAllowed = candidates.some((candidate) => isNamed(decision, candidate));
  if (candidates.length === 0 || !namedAllowed) throw new ModelNotAllowedError(decision.requested);
  return { ...decision, candidates };
}
