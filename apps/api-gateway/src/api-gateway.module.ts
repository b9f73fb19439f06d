import { type DynamicModule, Module } from '@nestjs/common';
import { RoutingModule } from '@switchboard/routing';
import { UsageModule } from '@switchboard/usage';
import { AdmissionHook } from './admission.hook.js';
import { ApiGatewayController } from './api-gateway.controller.js';
import { ChatRoutes } from './chat.routes.js';
import { ChatService } from './chat.service.js';
import { ClientAuth, ClientAuthGuard } from './client-auth.guard.js';
import { CorsHook } from './cors.hook.js';
import { ModelsController } from './models.controller.js';
import { UsageRecorder } from './usage-recorder.js';

@Module({})
export class ApiGatewayModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: ApiGatewayModule,
      imports: [
        platform,
        RoutingModule.forRoot({ servesClients: true }),
        UsageModule.forRoot({ records: true, administers: false }),
      ],
      controllers: [ApiGatewayController, ModelsController],
      providers: [CorsHook, AdmissionHook, ChatRoutes, ChatService, ClientAuth, ClientAuthGuard, UsageRecorder],
    };
  }
}
