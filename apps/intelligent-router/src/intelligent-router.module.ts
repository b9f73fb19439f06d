import { type DynamicModule, Module } from '@nestjs/common';
import { RoutingModule } from '@switchboard/routing';
import { IntelligentRouterController } from './intelligent-router.controller.js';

@Module({})
export class IntelligentRouterModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: IntelligentRouterModule,
      imports: [platform, RoutingModule.forRoot({ servesClients: false })],
      controllers: [IntelligentRouterController],
    };
  }
}
