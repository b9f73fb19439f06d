export { AppConfig, type AppDependencies } from './config/app-config.js';
export { ConfigModule } from './config/config.module.js';
export { ConfigValidationError, loadConfig, readSecretFromEnvironment } from './config/load-config.js';
export { JsonLogger, type LogSink } from './logging/json-logger.js';
export { requestContext, requestIdFrom, type RequestContext } from './logging/request-context.js';
export { METRIC_PREFIX, MetricsService, type MetricsSnapshot } from './metrics/metrics.service.js';
export { type BuildInfo, parseBuildInfo, readBuildInfo } from './build/build-info.js';
export { backoffDelay, sleep, type BackoffOptions } from './time/backoff.js';
export { DeadlineExceededError, withDeadline } from './time/deadline.js';
export { describeError } from './errors/describe-error.js';
export { seededRandom } from './random/seeded-random.js';
export { DomainError, type DomainErrorKind, httpStatusOf, kindOfHttpStatus } from './errors/domain-error.js';
export { checkDependency, type DependencyIndicator } from './health/dependency-check.js';
export { MAX_REASON_LENGTH, REDACTED, redactCredentials, redactSecrets } from './errors/redact-secrets.js';
export {
  ALLOW_PRIVATE_SETTING,
  type AddressClass,
  addressRefusal,
  classifyAddress,
  type DestinationPolicy,
  type DestinationRefusal,
  hostRefusal,
  urlRefusal,
} from './network/destination-policy.js';
