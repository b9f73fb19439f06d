export { BalancerState, type BalancingStrategy, type PoolMember, type RandomSource, selectMember, STRATEGIES, usable } from './balancer.js';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState, DEFAULT_CIRCUIT_BREAKER } from './circuit-breaker.js';
export { DEFAULT_RETRY_BUDGET, fullJitterDelay, RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export { requestFeatures, type RequestFeatures } from './request-features.js';
export { type ModelCatalog, type RouteCandidate, type RouteDecision, routeChat, type RouteHints, UnknownModelError } from './router.js';
export {
  DEFAULT_ROUTING_POLICY,
  freshFactsMatchers,
  type ModelRefText,
  parseModelRef,
  parseRoutingPolicy,
  poolKey,
  type RoutingPolicy,
  RoutingPolicyError,
  type RoutingRule,
  type RuleCondition,
} from './routing-policy.js';
