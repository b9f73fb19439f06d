import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuditRepository, ClientKeysService, CredentialCipher } from '@switchboard/instances';
import { ProviderClient } from '@switchboard/providers';
import { CatalogFeed } from './catalog-feed.js';
import { ChatOrchestrator } from './chat-orchestrator.js';
import { CircuitBreakers } from './circuit-breakers.js';
import { ClientKeyCache } from './client-key-cache.js';
import { ConsulHealthFeed } from './consul-health-feed.js';
import { InstanceBalancer } from './instance-balancer.js';
import { InstanceTable } from './instance-table.js';
import { RateLimiter } from './rate-limiter.js';
import { RedisEventsFeed } from './redis-events-feed.js';
import { RoutingPolicyStore } from './routing-policy.store.js';
import { RoutingTableHealthIndicator } from './routing-table.health.js';

export interface GatewayModuleOptions {
  /** The app calls providers and serves clients (api-gateway): credentials, client keys, failover. */
  servesClients: boolean;
}

/**
 * The in-process routing core the three front apps share: the healthy-instance table and its
 * feeds, circuit breakers, the routing policy, the balancer; and for the api-gateway, client
 * keys, rate limits and failover.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: GatewayModuleOptions): DynamicModule {
    const shared: Provider[] = [InstanceTable, CatalogFeed, ConsulHealthFeed, RedisEventsFeed, CircuitBreakers, RoutingPolicyStore, InstanceBalancer, CredentialCipher, RoutingTableHealthIndicator];
    const clientFacing: Provider[] = options.servesClients
      ? [
          // Enough kept-alive sockets per upstream origin for the gateway's concurrency.
          { provide: ProviderClient, useFactory: () => new ProviderClient({ connectionsPerOrigin: 256 }) },
          AuditRepository,
          ClientKeysService,
          ClientKeyCache,
          RateLimiter,
          ChatOrchestrator,
        ]
      : [];
    const providers = [...shared, ...clientFacing];
    return { module: GatewayModule, global: true, imports: [TerminusModule], providers, exports: providers };
  }
}
