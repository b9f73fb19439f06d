import { type DynamicModule, Module } from '@nestjs/common';
import { ApiGatewayController } from './api-gateway.controller.js';

@Module({})
export class ApiGatewayModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: ApiGatewayModule, imports: [platform], controllers: [ApiGatewayController] };
  }
}
