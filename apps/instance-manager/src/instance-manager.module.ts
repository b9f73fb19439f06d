import { type DynamicModule, Module } from '@nestjs/common';
import { FleetModule } from '@switchboard/fleet';
import { ALERT_CONTROLLERS, ALERT_PROVIDERS } from './alerts/alerts.providers.js';
import { ClientKeysController } from './admin/client-keys.controller.js';
import { ConsulViewController } from './admin/consul-view.controller.js';
import { DiscoveredInstancesController } from './admin/discovered-instances.controller.js';
import { InstancesController } from './admin/instances.controller.js';
import { RoutingPolicyController, RoutingPolicySeed } from './admin/routing-policy.controller.js';
import { RoutingPolicyDocuments, TrafficWindowReader } from '@switchboard/routing';
import { DashboardService } from './monitoring/dashboard.service.js';
import { MonitoringController } from './monitoring/monitoring.controller.js';
import { MonitoringSource } from './monitoring/monitoring-source.js';
import { InstanceManagerController } from './instance-manager.controller.js';
import { RoutingPreviewController } from './routing-preview/routing-preview.controller.js';
import { RoutingPreviewService } from './routing-preview/routing-preview.service.js';
import { UsageModule } from '@switchboard/usage';
import { PricesController } from './usage/prices.controller.js';
import { ErrorKindsController } from './usage/error-kinds.controller.js';
import { UsageController } from './usage/usage.controller.js';

@Module({})
export class InstanceManagerModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: InstanceManagerModule,
      imports: [platform, FleetModule, UsageModule.forRoot({ records: false, administers: true })],
      controllers: [
        InstanceManagerController,
        DiscoveredInstancesController,
        InstancesController,
        ClientKeysController,
        ConsulViewController,
        RoutingPolicyController,
        RoutingPreviewController,
        MonitoringController,
        ...ALERT_CONTROLLERS,
        UsageController,
        ErrorKindsController,
        PricesController,
      ],
      providers: [
        RoutingPolicyDocuments,
        RoutingPolicySeed,
        RoutingPreviewService,
        TrafficWindowReader,
        DashboardService,
        { provide: MonitoringSource, useExisting: DashboardService },
        ...ALERT_PROVIDERS,
      ],
    };
  }
}
