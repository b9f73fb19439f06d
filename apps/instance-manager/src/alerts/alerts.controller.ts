import { Body, Controller, Get, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditRepository } from '@switchboard/fleet';
import { AdminTokenGuard } from '@switchboard/platform';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../admin/actor.js';
import { AlertsQuery, AlertsResponse, ThresholdsInForceView } from './alerts.dto.js';
import { AlertsService } from './alerts.service.js';
import { AlertingThresholdsStore, type ThresholdsWritten } from './alerting-thresholds.store.js';

@ApiTags('alerts')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/alerts')
export class AlertsController {
  constructor(
    private readonly alerts: AlertsService,
    private readonly thresholds: AlertingThresholdsStore,
    private readonly audit: AuditRepository,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Pending and firing alerts, and the resolved ones newest first (?limit=, 1-500)' })
  @ApiOkResponse({ type: AlertsResponse })
  list(@Query() query: AlertsQuery): Promise<AlertsResponse> {
    return this.alerts.list(query.limit);
  }

  @Get('thresholds')
  @ApiOperation({ summary: 'The alerting thresholds in force and where they come from (Consul KV or the defaults)' })
  @ApiOkResponse({ type: ThresholdsInForceView })
  readThresholds(): ThresholdsInForceView {
    return this.view();
  }

  @Put('thresholds')
  @ApiOperation({
    summary:
      'Replace the alerting thresholds: validated (400 names each bad field), written to Consul KV, audited; fields left out keep their defaults',
  })
  @ApiBody({
    schema: { type: 'object', example: { repeatIntervalSeconds: 3600, rules: { ModelNoRoute: { forSeconds: 30 } } } },
  })
  @ApiOkResponse({ type: ThresholdsInForceView })
  async replaceThresholds(@Body() body: unknown, @Req() request: FastifyRequest): Promise<ThresholdsInForceView> {
    const inForce = await this.thresholds.write(body);
    await this.audit.record({
      actor: actorOf(request),
      action: 'alerting_thresholds.replace',
      targetType: 'alerting_thresholds',
      targetId: inForce.key,
      details: { modifyIndex: inForce.modifyIndex },
    });
    return this.view(inForce);
  }

  private view(inForce: ThresholdsWritten = this.thresholds.inForce): ThresholdsInForceView {
    const { thresholds, ...rest } = inForce;
    return { ...rest, thresholds: { ...thresholds } };
  }
}
