import { Module } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { ProviderClient } from '@switchboard/providers';
import { FleetDataModule } from './fleet-data.module.js';
import { HealthStore } from './health/health-store.js';
import { InstanceProber } from './health/instance-prober.js';
import { InstanceRegistry } from './registration/instance-registry.js';
import { InstanceSupervisor, PROBE_CONCURRENCY } from './health/instance-supervisor.js';
import { InstancesService } from './instances/instances.service.js';

/** Provider instances for the instance-manager: the fleet's data, Consul registration, probing and health. */
@Module({
  imports: [FleetDataModule.forRoot()],
  providers: [
    // As many connections per origin as probes run at once, so probes never queue for a socket
    // (their timeout would count the wait) when many instances share a provider host.
    {
      provide: ProviderClient,
      useFactory: (config: AppConfig) =>
        new ProviderClient({ connectionsPerOrigin: PROBE_CONCURRENCY, destinationPolicy: config.destinationPolicy }),
      inject: [AppConfig],
    },
    HealthStore,
    InstanceProber,
    InstanceRegistry,
    InstanceSupervisor,
    InstancesService,
  ],
  exports: [FleetDataModule, HealthStore, InstanceRegistry, InstanceSupervisor, InstancesService],
})
export class FleetModule {}
