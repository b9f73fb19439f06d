import { Module } from '@nestjs/common';
import { ProviderClient } from '@switchboard/providers';
import { AuditRepository } from './audit/audit.repository.js';
import { ClientKeysRepository } from './client-keys/client-keys.repository.js';
import { ClientKeysService } from './client-keys/client-keys.service.js';
import { CredentialCipher } from './credentials/credential-cipher.js';
import { InstanceCredentials } from './credentials/instance-credentials.js';
import { HealthStore } from './health/health-store.js';
import { InstanceProber } from './health/instance-prober.js';
import { InstanceRegistry } from './registration/instance-registry.js';
import { InstanceSupervisor, PROBE_CONCURRENCY } from './health/instance-supervisor.js';
import { InstancesRepository } from './instances/instances.repository.js';
import { InstancesService } from './instances/instances.service.js';

/** Provider instances: persistence, credentials, Consul registration, probing and health. */
@Module({
  providers: [
    // As many connections per origin as probes run at once, so probes never queue for a socket
    // (their timeout would count the wait) when many instances share a provider host.
    { provide: ProviderClient, useFactory: () => new ProviderClient({ connectionsPerOrigin: PROBE_CONCURRENCY }) },
    AuditRepository,
    ClientKeysRepository,
    ClientKeysService,
    CredentialCipher,
    InstanceCredentials,
    HealthStore,
    InstanceProber,
    InstanceRegistry,
    InstanceSupervisor,
    InstancesRepository,
    InstancesService,
  ],
  exports: [AuditRepository, ClientKeysRepository, ClientKeysService, CredentialCipher, InstanceCredentials, HealthStore, InstanceRegistry, InstanceSupervisor, InstancesRepository, InstancesService],
})
export class FleetModule {}
