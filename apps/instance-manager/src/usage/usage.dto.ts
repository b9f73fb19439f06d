import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { USAGE_MAX_ROWS } from '@switchboard/usage';
import { IsDate, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

export const USAGE_DIMENSIONS = ['key', 'provider', 'model', 'instance'] as const;

/** A time range every usage query takes: [from, to), ISO 8601; the last 24 hours when left out. */
class TimeRangeQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start (included); default 24 hours before `to`' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'from must be an ISO 8601 date-time such as 2026-12-01T00:00:00Z' })
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'End (excluded); default now' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'to must be an ISO 8601 date-time such as 2026-12-02T00:00:00Z' })
  to?: Date;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this client key' })
  @IsOptional()
  @IsUUID('all', { message: 'keyId must be a client key id (a UUID)' })
  keyId?: string;

  @ApiPropertyOptional({ example: 'openai', description: 'Only this provider (the one that served)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  provider?: string;

  @ApiPropertyOptional({ example: 'gpt-4o', description: 'Only this model (served, else requested)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], description: 'csv also when the request sends Accept: text/csv' })
  @IsOptional()
  @IsIn(['json', 'csv'], { message: 'format must be json or csv' })
  format?: 'json' | 'csv';
}

export class UsageQueryDto extends TimeRangeQuery {
  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'day' })
  @IsOptional()
  @IsIn(['hour', 'day'], { message: 'bucket must be hour or day' })
  bucket?: 'hour' | 'day';

  @ApiPropertyOptional({
    example: 'key,model',
    description: `Comma-separated dimensions to group by: ${USAGE_DIMENSIONS.join(', ')}; none sums everything per bucket`,
  })
  @IsOptional()
  @Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : value,
  )
  @IsIn(USAGE_DIMENSIONS, { each: true, message: `groupBy must list dimensions among ${USAGE_DIMENSIONS.join(', ')}` })
  groupBy?: (typeof USAGE_DIMENSIONS)[number][];
}

export class RequestsQueryDto extends TimeRangeQuery {
  @ApiPropertyOptional({ example: '429', description: 'An HTTP status (429) or a class (4xx, 5xx)' })
  @IsOptional()
  @Matches(/^([1-5][0-9][0-9]|[1-5]xx)$/, {
    message: 'status must be an HTTP status such as 429 or a class such as 4xx',
  })
  status?: string;

  @ApiPropertyOptional({ example: 'rate_limited', description: 'Only requests that ended with this error kind' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  errorKind?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 1000' })
  @Min(1, { message: 'limit must be a whole number from 1 to 1000' })
  @Max(1000, { message: 'limit must be a whole number from 1 to 1000' })
  limit?: number;
}

export class UsageRowDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the hour or UTC day' })
  bucket!: Date;
  @ApiProperty({ nullable: true, type: String, description: 'When grouped by key' })
  keyId!: string | null;
  @ApiProperty({ nullable: true, type: String })
  provider!: string | null;
  @ApiProperty({ nullable: true, type: String })
  model!: string | null;
  @ApiProperty({ nullable: true, type: String })
  instance!: string | null;
  @ApiProperty()
  requests!: number;
  @ApiProperty({ description: 'Requests answered with an error status or ended by an error' })
  errors!: number;
  @ApiProperty()
  inputTokens!: number;
  @ApiProperty()
  outputTokens!: number;
  @ApiProperty()
  cachedTokens!: number;
  @ApiProperty()
  reasoningTokens!: number;
  @ApiProperty({ description: 'USD of the requests with a known price' })
  costUsd!: number;
  @ApiProperty({ description: 'Requests with usage but no known price (not in costUsd)' })
  unpricedRequests!: number;
  @ApiProperty()
  averageLatencyMs!: number;
}

export class UsageReportDto {
  @ApiProperty({ format: 'date-time' })
  from!: Date;
  @ApiProperty({ format: 'date-time' })
  to!: Date;
  @ApiProperty({ enum: ['hour', 'day'] })
  bucket!: string;
  @ApiProperty({ type: [String] })
  groupBy!: string[];
  @ApiProperty({ type: [UsageRowDto], description: `In bucket order, at most ${USAGE_MAX_ROWS}` })
  rows!: UsageRowDto[];
  @ApiProperty({ description: 'More rows matched than were returned: narrow the range, the filters or the grouping' })
  truncated!: boolean;
}

export class RequestLogEntryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) time!: Date;
  @ApiProperty() requestId!: string;
  @ApiProperty({ format: 'uuid' }) keyId!: string;
  @ApiProperty({ enum: ['openai', 'anthropic'] }) format!: string;
  @ApiProperty({ nullable: true, type: String, example: 'auto:fast' }) route!: string | null;
  @ApiProperty() stream!: boolean;
  @ApiProperty({ nullable: true, type: String }) requestedModel!: string | null;
  @ApiProperty({ nullable: true, type: String }) servedProvider!: string | null;
  @ApiProperty({ nullable: true, type: String }) servedModel!: string | null;
  @ApiProperty({ nullable: true, type: String }) instanceId!: string | null;
  @ApiProperty({ nullable: true, type: String }) instanceName!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty() fallbacks!: number;
  @ApiProperty() status!: number;
  @ApiProperty({ nullable: true, type: String }) errorKind!: string | null;
  @ApiProperty({ nullable: true, type: Number }) inputTokens!: number | null;
  @ApiProperty({ nullable: true, type: Number }) outputTokens!: number | null;
  @ApiProperty({ nullable: true, type: Number }) cachedTokens!: number | null;
  @ApiProperty({ nullable: true, type: Number }) reasoningTokens!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'USD; null when unknown' }) costUsd!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ nullable: true, type: Number }) timeToFirstTokenMs!: number | null;
  @ApiProperty({ nullable: true, type: String }) userAgent!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Only for keys that log bodies' }) prompt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Only for keys that log bodies' }) answer!: string | null;
}

export class RequestPageDto {
  @ApiProperty({ type: [RequestLogEntryDto] })
  items!: RequestLogEntryDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as cursor for the next, older page; null on the last',
  })
  nextCursor!: string | null;
}
