import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { WEBHOOK_KINDS } from './alert-payloads.js';

/** The response schemas of the alerts API: the TypeScript shape and the OpenAPI document at once. */

export class AlertNotificationView {
  @ApiProperty() webhookId!: string;
  @ApiPropertyOptional({ description: 'The webhook name (absent when the webhook is unknown here)' })
  webhook?: string;
  @ApiProperty({ enum: ['firing', 'resolved'], description: 'What the last notification told' }) state!: string;
  @ApiProperty({ description: 'ISO time the last notification was sent (claimed before its first attempt)' })
  notifiedAt!: string;
  @ApiProperty({ enum: ['sending', 'delivered', 'failed'] }) outcome!: string;
  @ApiProperty() attempts!: number;
  @ApiPropertyOptional({ description: 'Why the last attempt failed' }) lastError?: string;
}

export class AlertView {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'ProviderInstanceCritical' }) alertname!: string;
  @ApiProperty({ enum: ['critical', 'warning', 'info'] }) severity!: string;
  @ApiProperty({ enum: ['pending', 'firing', 'resolved'] }) state!: string;
  @ApiProperty() summary!: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { provider: 'openai' } })
  labels!: Record<string, string>;
  @ApiPropertyOptional({ description: 'The figure the rule compared (error rate, p95 ms, bytes, ...)' })
  value?: number;
  @ApiProperty({ description: 'ISO time the condition was first seen' }) startsAt!: string;
  @ApiPropertyOptional({ description: 'ISO time it started firing' }) firedAt?: string;
  @ApiPropertyOptional({ description: 'ISO time it was resolved' }) endsAt?: string;
  @ApiPropertyOptional({ type: [AlertNotificationView] }) notifications?: AlertNotificationView[];
}

export class AlertsResponse {
  @ApiProperty({ type: [AlertView], description: 'Pending and firing alerts' }) active!: AlertView[];
  @ApiProperty({ type: [AlertView], description: 'Resolved alerts, newest first' }) history!: AlertView[];
}

export class AlertsQuery {
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500, description: 'How many resolved alerts' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 500' })
  @Min(1, { message: 'limit must be a whole number from 1 to 500' })
  @Max(500, { message: 'limit must be a whole number from 1 to 500' })
  limit = 50;
}

export class WebhookView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: WEBHOOK_KINDS }) kind!: string;
  @ApiProperty({ example: 'https://hooks.slack.com', description: 'Scheme and host only: the URL is a secret' })
  target!: string;
  @ApiProperty() enabled!: boolean;
  @ApiPropertyOptional({ description: 'ISO time of the last successful delivery' }) lastDeliveryAt?: string;
  @ApiPropertyOptional({ description: 'Why the last delivery failed (cleared by a success)' }) lastError?: string;
}

export class CreateWebhookDto {
  @ApiProperty({ example: 'ops-slack', description: 'Unique; letters, digits, dot, dash, underscore' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
    message: 'name must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  name!: string;

  @ApiProperty({ enum: WEBHOOK_KINDS, description: 'json: an Alertmanager-like body; slack: an incoming-webhook body' })
  @IsIn(WEBHOOK_KINDS, { message: `kind must be one of ${WEBHOOK_KINDS.join(', ')}` })
  kind!: 'json' | 'slack';

  @ApiProperty({
    example: 'https://hooks.slack.com/services/T000/B000/XXXX',
    writeOnly: true,
    description: 'Stored encrypted and never returned; link-local and cloud metadata destinations are refused',
  })
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'url must be an http(s) URL' },
  )
  url!: string;
}

export class WebhookTestResult {
  @ApiProperty() delivered!: boolean;
  @ApiProperty() attempts!: number;
  @ApiPropertyOptional({ description: 'Why it was not delivered' }) error?: string;
}

export class ThresholdsRefusalView {
  @ApiProperty() modifyIndex!: number;
  @ApiProperty({ type: [String] }) problems!: string[];
}

export class ThresholdsInForceView {
  @ApiProperty({ example: 'switchboard/config/alerting' }) key!: string;
  @ApiProperty({ enum: ['consul', 'default'], description: 'Consul KV, or the built-in defaults when KV holds none' })
  source!: string;
  @ApiProperty({
    description: 'Consul ModifyIndex of the document in force (0 for the defaults, or a write not read back: see note)',
  })
  modifyIndex!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The thresholds, defaults filled in' })
  thresholds!: Record<string, unknown>;
  @ApiPropertyOptional({
    type: ThresholdsRefusalView,
    description: 'A document stored later that was refused; the one above stays in force',
  })
  refused?: ThresholdsRefusalView;
  @ApiPropertyOptional({
    description: 'On a write only: the document was stored but could not be read back, so this is the one written',
  })
  note?: string;
}
