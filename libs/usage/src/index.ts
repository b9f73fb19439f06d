export { PriceBook } from './pricing/price-book.js';
export { findPrice, type PriceIndex, priceKey } from './pricing/price-lookup.js';
export { type PriceOverride, PriceOverridesRepository } from './pricing/price-overrides.repository.js';
export { type ModelPrice, SHIPPED_PRICES, type ShippedPrice } from './pricing/price-table.js';
export {
  InvalidPriceError,
  PriceOverrideNotFoundError,
  PricesService,
  type PriceView,
} from './pricing/prices.service.js';
export { requestCost } from './pricing/request-cost.js';
export { CHARACTERS_PER_TOKEN, estimateStreamUsage } from './pricing/usage-estimate.js';
export { type MaintenanceResult, partitionName, RequestLogPartitions } from './request-log/request-log-partitions.js';
export { loggedBody, loggedPrompt, REDACTION_MARGIN } from './request-log/logged-body.js';
export { RequestLogRepository, RequestLogRowsRefusedError } from './request-log/request-log.repository.js';
export type { RequestLogRow } from './request-log/request-log-row.js';
export { RequestLogWriter } from './request-log/request-log-writer.js';
export { toCsv } from './reports/csv.js';
export {
  type RequestCursor,
  type RequestFilter,
  type RequestRecord,
  type UsageAggregate,
  type UsageDimension,
  type UsageQuery,
  UsageReportsRepository,
} from './reports/usage-reports.repository.js';
export {
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  InvalidUsageRangeError,
  type RequestPage,
  USAGE_MAX_RANGE_DAYS,
  USAGE_MAX_ROWS,
  type UsageReport,
  UsageReportsService,
} from './reports/usage-reports.service.js';
export { UsageModule, type UsageModuleOptions } from './usage.module.js';
