export { bootstrapApp, type AppDefinition, type ErrorSurface, type RunningApp } from './bootstrap.js';
export { PlatformModule, type PlatformOptions } from './platform.module.js';
export { type ReadinessCheck, ReadinessRegistry } from './readiness-registry.js';
export { AdminToken, AdminTokenGuard } from './admin-token.js';
export {
  type EdgeRefusal,
  type EdgeRenderer,
  explainFrameworkError,
  type HttpLimits,
  InvalidJsonBodyError,
} from './http-edge.js';
export {
  loggableError,
  messagesOf,
  type OperatorErrorBody,
  fromRefusal,
  OperatorErrorsFilter,
  operatorErrorBody,
  renderOperatorError,
} from './operator-errors.filter.js';
export {
  parseProcessReport,
  PROCESS_REPORT_STALE_AFTER,
  PROCESS_REPORTERS_KEY,
  type ProcessReport,
  processReportKey,
  replicaOfReporter,
} from './process-report.js';
