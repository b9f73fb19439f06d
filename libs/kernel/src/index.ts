export { AppConfig, type AppDependencies } from './config/app-config.js';
export { ConfigModule } from './config/config.module.js';
export { ConfigValidationError, loadConfig, readSecretFromEnvironment } from './config/load-config.js';
export { JsonLogger, type LogSink } from './logging/json-logger.js';
export { requestContext, requestIdFrom, type RequestContext } from './logging/request-context.js';
export { METRIC_PREFIX, MetricsService } from './metrics/metrics.service.js';
export { backoffDelay, sleep, type BackoffOptions } from './time/backoff.js';
export { describeError } from './errors/describe-error.js';
export { DomainError, type DomainErrorKind, httpStatusOf, kindOfHttpStatus } from './errors/domain-error.js';
