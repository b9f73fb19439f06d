import { type DynamicModule, type ModuleMetadata, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig, ConfigModule } from '@switchboard/kernel';
import { ConsulHealthIndicator, ConsulModule, type ConsulModuleOptions } from '@switchboard/consul';
import { DatabaseHealthIndicator, DatabaseModule } from '@switchboard/database';
import { MetricsService } from '@switchboard/kernel';
import { RedisHealthIndicator, RedisModule } from '@switchboard/redis';
import { AdminToken, AdminTokenGuard } from './admin-token.js';
import { HealthController } from './health.controller.js';
import { MetricsController, MetricsExposition } from './metrics.controller.js';
import { ReadinessRegistry } from './readiness-registry.js';
import { ProcessReporter } from './process-report.js';

export interface PlatformOptions {
  consul?: ConsulModuleOptions;
}

/**
 * What every app has: validated config, Consul (registration + discovery), the database and Redis
 * when the app uses them, /health/live, /health/ready (over the ReadinessRegistry) and /metrics.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, metrics: MetricsService, options: PlatformOptions = {}): DynamicModule {
    const imports: NonNullable<ModuleMetadata['imports']> = [
      ConfigModule.forRoot(config),
      TerminusModule,
      ConsulModule.forRoot(options.consul),
    ];
    if (config.uses.database) imports.push(DatabaseModule);
    if (config.uses.redis) imports.push(RedisModule);
    return {
      module: PlatformModule,
      global: true,
      imports,
      controllers: [HealthController, MetricsController],
      providers: [
        AdminToken,
        AdminTokenGuard,
        MetricsExposition,
        ProcessReporter,
        { provide: MetricsService, useValue: metrics },
        {
          // The infrastructure checks come first, registered as the registry is made; libraries
          // and apps add theirs in onModuleInit.
          provide: ReadinessRegistry,
          inject: [
            ConsulHealthIndicator,
            { token: DatabaseHealthIndicator, optional: true },
            { token: RedisHealthIndicator, optional: true },
          ],
          useFactory: (
            consul: ConsulHealthIndicator,
            database?: DatabaseHealthIndicator,
            redis?: RedisHealthIndicator,
          ) => {
            const readiness = new ReadinessRegistry();
            readiness.register('consul', (key) => consul.check(key));
            if (database) readiness.register('database', (key) => database.check(key));
            if (redis) readiness.register('redis', (key) => redis.check(key));
            return readiness;
          },
        },
      ],
      exports: [MetricsService, ReadinessRegistry, AdminToken, AdminTokenGuard],
    };
  }
}
