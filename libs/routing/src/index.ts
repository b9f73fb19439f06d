export {
  BalancerState,
  type BalancingStrategy,
  type PoolMember,
  type RandomSource,
  selectMember,
  STRATEGIES,
  usable,
} from './balancing/strategies.js';
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  DEFAULT_CIRCUIT_BREAKER,
} from './resilience/circuit-breaker.js';
export {
  DEFAULT_RETRY_BUDGET,
  RetryBudget,
  type RetryBudgetOptions,
} from './resilience/retry-budget.js';
export { requestFeatures, type RequestFeatures } from './policy/request-features.js';
export {
  type ModelCatalog,
  type RouteCandidate,
  type RouteDecision,
  routeChat,
  type RouteHints,
  UnknownModelError,
} from './policy/router.js';
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
} from './policy/routing-policy.js';
export { CatalogFeed } from './table/catalog-feed.js';
export {
  type AttemptTally,
  ChatOrchestrator,
  type ServedReport,
  type StreamSink,
} from './failover/chat-orchestrator.js';
export { InstanceCircuits } from './resilience/instance-circuits.js';
export { ConsulHealthFeed } from './table/consul-health-feed.js';
export { GatewayHttpError, NoHealthyInstanceError, RequestCancelledError } from './failover/failover-errors.js';
export { InstanceBalancer, type PoolMemberView } from './balancing/instance-balancer.js';
export {
  type CatalogInstance,
  type InstanceStatus,
  InstanceTable,
  type TableInstance,
} from './table/instance-table.js';
export {
  ALLOW_FALLBACK_HEADER,
  InvalidRouteHintError,
  PREFERRED_PROVIDER_HEADER,
  routeHintsFrom,
} from './policy/route-hints.js';
export { AdmissionGate, type AdmissionLimits, AdmissionRefusal } from './admission/admission-gate.js';
export { RateLimiter, type RateDecision } from './admission/rate-limiter.js';
export {
  BUDGET_SYNC_INTERVAL_MS,
  type BudgetDecision,
  BudgetExceededError,
  type BudgetRefusal,
  KeyBudgets,
  SPEND_EVENTS_CHANNEL,
} from './admission/key-budgets.js';
export { applyAllowList, matchesPattern, ModelNotAllowedError } from './admission/key-allow-list.js';
export { KEY_REFUSALS, KeyLimitError, type KeyRefusal } from './admission/key-refusal.js';
export { REQUEST_ERROR_KINDS, type RequestErrorKind } from './request-error-kinds.js';
export { CIRCUIT_EVENTS_CHANNEL, type CircuitEvent, RedisEventsFeed } from './table/redis-events-feed.js';
export { type PolicyStatus, RoutingPolicyStore } from './policy/routing-policy.store.js';
export {
  RoutingPolicyConflictError,
  type RoutingPolicyDocument,
  RoutingPolicyDocuments,
  RoutingPolicyStorageError,
} from './policy/routing-policy.document.js';
export { RoutingTableHealthIndicator } from './table/routing-table.health.js';
export { RoutingModule, type RoutingModuleOptions } from './routing.module.js';
export { TrafficRecorder } from './traffic/traffic-recorder.js';
export { type TrafficWindow, TrafficWindowReader, windowTotal } from './traffic/traffic-reader.js';
export {
  histogramQuantile,
  InstanceTraffic,
  type ReplicaLive,
  TRAFFIC_SLOT_SECONDS,
  TRAFFIC_WINDOW_SECONDS,
} from './traffic/traffic-window.js';
export {
  DISCOVERED_ID_PREFIX,
  DISCOVERY_META,
  type DiscoveredInstance,
  discoveredInstance,
  discoveredKeyProblem,
  offersDiscovery,
} from './table/discovered-instance.js';
