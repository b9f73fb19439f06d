import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '@switchboard/platform';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../admin/actor.js';
import { CreateWebhookDto, WebhookTestResult, WebhookView } from './alerts.dto.js';
import { AlertWebhooksService } from './alert-webhooks.service.js';

@ApiTags('alerts')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/alerts/webhooks')
export class AlertWebhooksController {
  constructor(private readonly webhooks: AlertWebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'The alert webhooks; their URLs show scheme and host only' })
  @ApiOkResponse({ type: [WebhookView] })
  list(): Promise<WebhookView[]> {
    return this.webhooks.list();
  }

  @Post()
  @ApiOperation({ summary: 'Add a webhook that firing and resolved alerts are sent to; the URL is stored encrypted' })
  @ApiCreatedResponse({ type: WebhookView })
  create(@Body() body: CreateWebhookDto, @Req() request: FastifyRequest): Promise<WebhookView> {
    return this.webhooks.create(body, actorOf(request));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook; notifications to it stop at once' })
  async remove(@Param('id') id: string, @Req() request: FastifyRequest): Promise<void> {
    await this.webhooks.remove(id, actorOf(request));
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a test notification now (one attempt) and say whether the receiver took it' })
  @ApiOkResponse({ type: WebhookTestResult })
  test(@Param('id') id: string, @Req() request: FastifyRequest): Promise<WebhookTestResult> {
    return this.webhooks.test(id, actorOf(request));
  }
}
