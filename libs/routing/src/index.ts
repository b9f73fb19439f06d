export { BalancerState, type BalancingStrategy, type PoolMember, type RandomSource, selectMember, STRATEGIES, usable } from './balancer.js';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState, DEFAULT_CIRCUIT_BREAKER } from './circuit-breaker.js';
