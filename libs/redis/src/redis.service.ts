import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { Redis } from 'ioredis';

/**
 * The app's one ioredis connection. Commands fail fast while Redis is down (no offline queue),
 * so callers fall back to local state instead of piling up; the client reconnects by itself.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;
  private readonly logger = new Logger(RedisService.name);
  private lastErrorLoggedAt = 0;

  constructor(config: AppConfig) {
    this.client = new Redis(config.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      connectionName: config.serviceId,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000),
    });
    this.client.on('error', (error: Error) => {
      // Reconnection errors repeat every few seconds while Redis is down; say it once per 30 s.
      if (Date.now() - this.lastErrorLoggedAt < 30_000) return;
      this.lastErrorLoggedAt = Date.now();
      this.logger.warn(`Redis unavailable (${error.message}); serving on local state`);
    });
    this.client.on('ready', () => {
      if (this.lastErrorLoggedAt) this.logger.log('Redis reachable again');
      this.lastErrorLoggedAt = 0;
    });
  }

  get available(): boolean {
    return this.client.status === 'ready';
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}
