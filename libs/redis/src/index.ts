export { RedisHealthIndicator } from './redis.health.js';
export { RedisModule } from './redis.module.js';
export { RedisService } from './redis.service.js';
