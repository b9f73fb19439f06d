import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FleetDataModule } from '@switchboard/fleet';
import { PriceBook } from './pricing/price-book.js';
import { PriceOverridesRepository } from './pricing/price-overrides.repository.js';
import { PricesService } from './pricing/prices.service.js';
import { RequestLogHealthIndicator } from './request-log/request-log.health.js';
import { RequestLogPartitions } from './request-log/request-log-partitions.js';
import { RequestLogRepository } from './request-log/request-log.repository.js';
import { RequestLogWriter } from './request-log/request-log-writer.js';
import { UsageReportsRepository } from './reports/usage-reports.repository.js';
import { UsageReportsService } from './reports/usage-reports.service.js';

export interface UsageModuleOptions {
  /** The app serves chat requests (api-gateway): prices in memory and the request log writer. */
  records: boolean;
  /** The app serves the admin API (instance-manager): reports, price overrides, partition upkeep. */
  administers: boolean;
}

/** Usage and spend: prices, the request log and the reports over it. */
@Module({})
export class UsageModule {
  static forRoot(options: UsageModuleOptions): DynamicModule {
    const providers: Provider[] = [
      PriceOverridesRepository,
      ...(options.records ? [PriceBook, RequestLogRepository, RequestLogWriter, RequestLogHealthIndicator] : []),
      ...(options.administers
        ? [PricesService, RequestLogPartitions, UsageReportsRepository, UsageReportsService]
        : []),
    ];
    return {
      module: UsageModule,
      imports: [TerminusModule, FleetDataModule.forRoot()],
      providers,
      exports: providers,
    };
  }
}
