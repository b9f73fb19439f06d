export { bootstrapApp, type AppDefinition, type RunningApp } from './bootstrap.js';
export { PlatformModule, type PlatformOptions } from './platform.module.js';
export { type ReadinessCheck, ReadinessRegistry } from './readiness-registry.js';
export {
  type OperatorErrorBody,
  OperatorErrorsFilter,
  type OperatorErrorsOptions,
  renderOperatorError,
} from './operator-errors.filter.js';
