import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessRegistry } from '@switchboard/platform';
import { CatalogFeed } from './catalog-feed.js';
import { ConsulHealthFeed } from './consul-health-feed.js';
import { InstanceTable } from './instance-table.js';

/**
 * Readiness of the routing table: down until the catalog was loaded once (nothing to route to),
 * degraded while it serves on stale state (Postgres or Consul away), up otherwise. Reported in
 * /health/ready as "routing".
 */
@Injectable()
export class RoutingTableHealthIndicator implements OnModuleInit {
  constructor(
    private readonly table: InstanceTable,
    private readonly catalog: CatalogFeed,
    private readonly consulFeed: ConsulHealthFeed,
    private readonly health: HealthIndicatorService,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register('routing', (key) => this.check(key));
  }

  check(key = 'routing') {
    const indicator = this.health.check(key);
    const instances = [...this.table.all()].length;
    if (this.table.catalogLoadedAt === 0)
      return indicator.down({
        message: `instance catalog not loaded yet${this.catalog.lastError ? `: ${this.catalog.lastError}` : ''}`,
      });
    const problems = [
      ...(this.catalog.lastError ? [`catalog from Postgres is stale: ${this.catalog.lastError}`] : []),
      ...(this.consulFeed.lastError
        ? [`Consul health watch failing, serving last known health: ${this.consulFeed.lastError}`]
        : []),
    ];
    if (problems.length > 0) return indicator.degraded({ instances, message: problems.join('; ') });
    return indicator.up({ instances, pools: this.table.poolNames().length });
  }
}
