import { bootstrapApp } from '@switchboard/platform';
import { LoadBalancerModule } from './load-balancer.module.js';

await bootstrapApp({
  name: 'load-balancer',
  defaultPort: 8003,
  uses: { database: true, redis: true },
  consul: { registration: { tags: ['balancer'] } },
  module: (platform) => LoadBalancerModule.register(platform),
});
