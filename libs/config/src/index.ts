export { AppConfig, type AppDependencies } from './app-config.js';
export { ConfigModule } from './config.module.js';
export { ConfigValidationError, loadConfig, readSecretFromEnvironment } from './load-config.js';
