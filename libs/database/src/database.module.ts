import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseUnavailableInterceptor } from './database-unavailable.interceptor.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { PrismaService } from './prisma.service.js';

@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    PrismaService,
    DatabaseHealthIndicator,
    { provide: APP_INTERCEPTOR, useClass: DatabaseUnavailableInterceptor },
  ],
  exports: [PrismaService, DatabaseHealthIndicator],
})
export class DatabaseModule {}
