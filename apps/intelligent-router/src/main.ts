import { bootstrapApp } from '@switchboard/platform';
import { IntelligentRouterModule } from './intelligent-router.module.js';

await bootstrapApp({
  name: 'intelligent-router',
  defaultPort: 8002,
  uses: { database: true, redis: true },
  consul: { registration: { tags: ['router'] } },
  module: (platform) => IntelligentRouterModule.register(platform),
});
