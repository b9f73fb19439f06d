import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { AuditRepository } from './audit/audit.repository.js';
import { ClientKeyCache } from './client-keys/client-key-cache.js';
import { ClientKeysRepository } from './client-keys/client-keys.repository.js';
import { ClientKeysService } from './client-keys/client-keys.service.js';
import { CredentialCipher } from './credentials/credential-cipher.js';
import { InstanceCredentials } from './credentials/instance-credentials.js';
import { InstancesRepository } from './instances/instances.repository.js';

export interface FleetDataOptions {
  /** Keep every active client key in memory and create the bootstrap key (the app authenticates clients). */
  clientKeyCache?: boolean;
}

/**
 * The fleet's data, for every app that reads it: one repository per table (the only classes that
 * touch Postgres), instance credentials, client keys; and, for the app that authenticates
 * clients, the in-memory key cache. No probing, no Consul registration (that is FleetModule).
 */
@Module({})
export class FleetDataModule {
  static forRoot(options: FleetDataOptions = {}): DynamicModule {
    const providers: Provider[] = [
      AuditRepository,
      ClientKeysRepository,
      ClientKeysService,
      CredentialCipher,
      InstanceCredentials,
      InstancesRepository,
      ...(options.clientKeyCache ? [ClientKeyCache] : []),
    ];
    return { module: FleetDataModule, providers, exports: providers };
  }
}
