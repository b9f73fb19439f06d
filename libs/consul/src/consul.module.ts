import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig, MetricsService } from '@switchboard/kernel';
import { ConsulClient } from './consul.client.js';
import { ConsulHealthIndicator } from './consul.health.js';
import {
  CONSUL_REGISTRATION_OPTIONS,
  ConsulRegistrationService,
  type ConsulRegistrationOptions,
} from './consul-registration.service.js';

export interface ConsulModuleOptions {
  registration?: ConsulRegistrationOptions;
}

@Module({})
export class ConsulModule {
  static forRoot(options: ConsulModuleOptions = {}): DynamicModule {
    return {
      module: ConsulModule,
      global: true,
      imports: [TerminusModule],
      providers: [
        {
          provide: ConsulClient,
          inject: [AppConfig, MetricsService],
          useFactory: (config: AppConfig, metrics: MetricsService) =>
            new ConsulClient({
              address: config.CONSUL_HTTP_ADDR,
              token: config.CONSUL_HTTP_TOKEN,
              tokenFile: config.CONSUL_HTTP_TOKEN_FILE,
              datacenter: config.CONSUL_DATACENTER,
              caFile: config.CONSUL_CACERT,
              observer: metrics.consulObserver,
            }),
        },
        { provide: CONSUL_REGISTRATION_OPTIONS, useValue: options.registration ?? {} },
        ConsulRegistrationService,
        ConsulHealthIndicator,
      ],
      exports: [ConsulClient, ConsulRegistrationService, ConsulHealthIndicator],
    };
  }
}
