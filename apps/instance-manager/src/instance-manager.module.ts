import { type DynamicModule, Module } from '@nestjs/common';
import { InstancesModule } from '@switchboard/instances';
import { ClientKeysController } from './admin/client-keys.controller.js';
import { ConsulViewController } from './admin/consul-view.controller.js';
import { InstancesController } from './admin/instances.controller.js';
import { AdminTokenGuard } from './admin/admin-token.guard.js';
import { InstanceManagerController } from './instance-manager.controller.js';

@Module({})
export class InstanceManagerModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: InstanceManagerModule,
      imports: [platform, InstancesModule],
      controllers: [InstanceManagerController, InstancesController, ClientKeysController, ConsulViewController],
      providers: [AdminTokenGuard],
    };
  }
}
