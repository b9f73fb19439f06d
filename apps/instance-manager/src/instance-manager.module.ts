import { type DynamicModule, Module } from '@nestjs/common';
import { InstanceManagerController } from './instance-manager.controller.js';

@Module({})
export class InstanceManagerModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: InstanceManagerModule, imports: [platform], controllers: [InstanceManagerController] };
  }
}
