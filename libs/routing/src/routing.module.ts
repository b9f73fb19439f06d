import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FleetDataModule } from '@switchboard/fleet';
import { AppConfig } from '@switchboard/kernel';
import { ProviderClient } from '@switchboard/providers';
import { CatalogFeed } from './table/catalog-feed.js';
import { ChatOrchestrator } from './failover/chat-orchestrator.js';
import { InstanceCircuits } from './resilience/instance-circuits.js';
import { ConsulHealthFeed } from './table/consul-health-feed.js';
import { InstanceBalancer } from './balancing/instance-balancer.js';
import { InstanceTable } from './table/instance-table.js';
import { KeyBudgets } from './admission/key-budgets.js';
import { RateLimiter } from './admission/rate-limiter.js';
import { RedisEventsFeed } from './table/redis-events-feed.js';
import { RoutingPolicyStore } from './policy/routing-policy.store.js';
import { TrafficRecorder } from './traffic/traffic-recorder.js';
import { RoutingTableHealthIndicator } from './table/routing-table.health.js';

export interface RoutingModuleOptions {
  /** The app calls providers and serves clients (api-gateway): credentials, client keys, failover. */
  servesClients: boolean;
}

/**
 * The in-process routing core the three front apps share: the healthy-instance table and its
 * feeds, circuit breakers, the routing policy, the balancer; and for the api-gateway, client
 * keys, rate limits and failover.
 */
@Module({})
export class RoutingModule {
  static forRoot(options: RoutingModuleOptions): DynamicModule {
    const shared: Provider[] = [
      InstanceTable,
      CatalogFeed,
      ConsulHealthFeed,
      RedisEventsFeed,
      InstanceCircuits,
      RoutingPolicyStore,
      InstanceBalancer,
      RoutingTableHealthIndicator,
    ];
    const clientFacing: Provider[] = options.servesClients
      ? [
          // Enough kept-alive sockets per upstream origin for the gateway's concurrency.
          {
            provide: ProviderClient,
            useFactory: (config: AppConfig) =>
              new ProviderClient({ connectionsPerOrigin: 256, destinationPolicy: config.destinationPolicy }),
            inject: [AppConfig],
          },
          RateLimiter,
          KeyBudgets,
          TrafficRecorder,
          ChatOrchestrator,
        ]
      : [];
    const providers = [...shared, ...clientFacing];
    // The fleet's repositories and credentials (and, for the api-gateway, the client key cache) come from fleet.
    const fleet = FleetDataModule.forRoot({ clientKeyCache: options.servesClients });
    return {
      module: RoutingModule,
      global: true,
      imports: [TerminusModule, fleet],
      providers,
      exports: [...providers, FleetDataModule],
    };
  }
}
