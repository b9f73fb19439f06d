import { type DynamicModule, Module } from '@nestjs/common';
import { GatewayModule } from '@switchboard/gateway';
import { LoadBalancerController } from './load-balancer.controller.js';

@Module({})
export class LoadBalancerModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: LoadBalancerModule, imports: [platform, GatewayModule.forRoot({ servesClients: false })], controllers: [LoadBalancerController] };
  }
}
