export { BlockingWatch, isChange, nextIndex, type BlockingQuery, type BlockingWatchOptions } from './blocking-watch.js';
export {
  ConsulClient,
  type BlockingOptions,
  type ConsulClientOptions,
  type ConsulObserver,
  endpointPattern,
} from './consul.client.js';
export { ConsulResponseError, ConsulUnavailableError } from './consul.errors.js';
export { ConsulHealthIndicator } from './consul.health.js';
export { ConsulTokenFile } from './consul-token-file.js';
export { ConsulLock, type ConsulLockOptions } from './consul-lock.js';
export { LeaderElection, type LeaderElectionOptions } from './leader-election.js';
export { ConsulModule, type ConsulModuleOptions } from './consul.module.js';
export {
  ConsulRegistrationService,
  TOKEN_ACCESSOR_META_KEY,
  type ConsulRegistrationOptions,
  type RegistrationState,
} from './consul-registration.service.js';
export * from './consul.types.js';
export { watchKvDocument } from './kv-watch.js';
