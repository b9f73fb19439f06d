export { AuditRepository, type AuditEntry } from './audit/audit.repository.js';
export { type ActiveClientKey, ClientKeysRepository, type NewClientKey } from './client-keys/client-keys.repository.js';
export {
  CLIENT_KEY_PREFIX,
  ClientKeysService,
  hashClientKey,
  type ClientKeyView,
} from './client-keys/client-keys.service.js';
export {
  instanceCheckId,
  instanceServiceId,
  MANAGED_META_KEY,
  toConsulService,
} from './registration/consul-service.js';
export { CredentialCipher, maskSecret } from './credentials/credential-cipher.js';
export {
  type CredentialSource,
  InstanceCredentials,
  providerTarget,
  type ResolvedCredential,
} from './credentials/instance-credentials.js';
export {
  type CheckStatus,
  healthScore,
  type HealthState,
  type HealthThresholds,
  INITIAL_HEALTH,
  nextHealth,
} from './health/health-state.js';
export {
  HEALTH_EVENTS_CHANNEL,
  HEALTH_KEY_PREFIX,
  HEALTH_WINDOW,
  HealthStore,
  type HealthEvent,
  type InstanceHealthMetrics,
} from './health/health-store.js';
export {
  ClientKeyNotFoundError,
  DuplicateInstanceNameError,
  InstanceNotFoundError,
  InvalidInstanceError,
} from './instances/instance-errors.js';
export { InstanceProber, type ProbeReport } from './health/instance-prober.js';
export { InstanceRegistry, type KnownCheck } from './registration/instance-registry.js';
export { InstanceSupervisor, LEADER_LOCK_KEY } from './health/instance-supervisor.js';
export { type InstanceView, toInstanceView } from './instances/instance-view.js';
export { FleetDataModule, type FleetDataOptions } from './fleet-data.module.js';
export { FleetModule } from './fleet.module.js';
export { InstancesRepository } from './instances/instances.repository.js';
export {
  type InstanceHealthView,
  type InstanceInput,
  InstancesService,
  type InstanceUpdate,
  type ListQuery,
} from './instances/instances.service.js';
export { ClientKeyCache, type ClientIdentity, identityOf } from './client-keys/client-key-cache.js';
export { type ClientKeyLimits, NO_LIMITS } from './client-keys/client-key-limits.js';
