export { DatabaseHealthIndicator } from './database.health.js';
export { DatabaseModule } from './database.module.js';
export {
  Prisma,
  type Alert,
  type AlertDelivery,
  type AlertWebhook,
  type AuditLog,
  type ClientApiKey,
  type ModelPriceOverride,
  type ProviderInstance,
} from './generated/prisma/client.js';
export { applyMigrations, ensureDatabase, type MigrationResult } from './migrator.js';
export {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isRecordNotFound,
  isUniqueViolation,
} from './prisma-errors.js';
export { PrismaService } from './prisma.service.js';
