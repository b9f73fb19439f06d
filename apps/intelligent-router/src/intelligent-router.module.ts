import { type DynamicModule, Module } from '@nestjs/common';
import { IntelligentRouterController } from './intelligent-router.controller.js';

@Module({})
export class IntelligentRouterModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: IntelligentRouterModule, imports: [platform], controllers: [IntelligentRouterController] };
  }
}
