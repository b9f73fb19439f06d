export { AppConfig, type AppDependencies } from './app-config.js';
export { ConfigModule } from './config.module.js';
export { ConfigValidationError, loadConfig } from './load-config.js';
