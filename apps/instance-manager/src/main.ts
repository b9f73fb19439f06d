import { bootstrapApp } from '@switchboard/platform';
import { InstanceManagerModule } from './instance-manager.module.js';

await bootstrapApp({
  name: 'instance-manager',
  defaultPort: 8001,
  uses: { database: true, redis: true },
  consul: { registration: { tags: ['admin'] } },
  module: (platform) => InstanceManagerModule.register(platform),
});
