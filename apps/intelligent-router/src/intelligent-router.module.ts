import { type DynamicModule, Module } from '@nestjs/common';
import { GatewayModule } from '@switchboard/gateway';
import { IntelligentRouterController } from './intelligent-router.controller.js';

@Module({})
export class IntelligentRouterModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: IntelligentRouterModule, imports: [platform, GatewayModule.forRoot({ servesClients: false })], controllers: [IntelligentRouterController] };
  }
}
