import { bootstrapApp } from '@switchboard/platform';
import { ApiGatewayModule } from './api-gateway.module.js';
import { clientSurface } from './client-format.filter.js';

await bootstrapApp({
  name: 'api-gateway',
  defaultPort: 8000,
  uses: { database: true, redis: true, credentials: true },
  consul: { registration: { tags: ['gateway'] } },
  module: (platform) => ApiGatewayModule.register(platform),
  clientSurface,
  workers: (config) => config.GATEWAY_WORKERS,
});
