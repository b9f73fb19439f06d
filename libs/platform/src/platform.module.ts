import { type DynamicModule, type ModuleMetadata, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig, ConfigModule } from '@switchboard/kernel';
import { ConsulModule, type ConsulModuleOptions } from '@switchboard/consul';
import { DatabaseModule } from '@switchboard/database';
import { MetricsService } from '@switchboard/kernel';
import { RedisModule } from '@switchboard/redis';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

export interface PlatformOptions {
  consul?: ConsulModuleOptions;
}

/**
 * What every app has: validated config, Consul (registration + discovery), the database and Redis
 * when the app uses them, /health/live, /health/ready and /metrics.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, metrics: MetricsService, options: PlatformOptions = {}): DynamicModule {
    const imports: NonNullable<ModuleMetadata['imports']> = [ConfigModule.forRoot(config), TerminusModule, ConsulModule.forRoot(options.consul)];
    if (config.uses.database) imports.push(DatabaseModule);
    if (config.uses.redis) imports.push(RedisModule);
    return {
      module: PlatformModule,
      global: true,
      imports,
      controllers: [HealthController, MetricsController],
      providers: [{ provide: MetricsService, useValue: metrics }],
      exports: [MetricsService],
    };
  }
}
