import { type DynamicModule, Module } from '@nestjs/common';
import { RoutingModule } from '@switchboard/routing';
import { LoadBalancerController } from './load-balancer.controller.js';

@Module({})
export class LoadBalancerModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: LoadBalancerModule,
      imports: [platform, RoutingModule.forRoot({ servesClients: false })],
      controllers: [LoadBalancerController],
    };
  }
}
