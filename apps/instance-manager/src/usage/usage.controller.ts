import { Controller, Get, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '@switchboard/platform';
import {
  type RequestFilter,
  toCsv,
  USAGE_MAX_RANGE_DAYS,
  USAGE_MAX_ROWS,
  UsageReportsService,
} from '@switchboard/usage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  RequestLogEntryDto,
  RequestPageDto,
  RequestsQueryDto,
  UsageQueryDto,
  UsageReportDto,
  UsageRowDto,
} from './usage.dto.js';

const DAY_MS = 86_400_000;
const USAGE_COLUMNS: (keyof UsageRowDto)[] = [
  'bucket',
  'keyId',
  'provider',
  'model',
  'instance',
  'requests',
  'errors',
  'inputTokens',
  'outputTokens',
  'cachedTokens',
  'reasoningTokens',
  'costUsd',
  'unpricedRequests',
  'averageLatencyMs',
];
/** The request list in CSV: everything but the bodies (kept for the JSON view of a key that logs them). */
const REQUEST_COLUMNS: (keyof RequestLogEntryDto)[] = [
  'time',
  'id',
  'requestId',
  'keyId',
  'format',
  'route',
  'stream',
  'requestedModel',
  'servedProvider',
  'servedModel',
  'instanceName',
  'attempts',
  'fallbacks',
  'status',
  'errorKind',
  'inputTokens',
  'outputTokens',
  'cachedTokens',
  'reasoningTokens',
  'costUsd',
  'latencyMs',
  'timeToFirstTokenMs',
  'userAgent',
];

@ApiTags('usage')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin')
export class UsageController {
  constructor(private readonly reports: UsageReportsService) {}

  @Get('usage')
  @ApiOperation({
    summary: 'Requests, tokens and cost summed per hour or day, grouped by key, provider, model, instance',
    description: `The range is at most ${USAGE_MAX_RANGE_DAYS.hour} days for hour buckets and ${USAGE_MAX_RANGE_DAYS.day} for day buckets (400 naming from otherwise); at most ${USAGE_MAX_ROWS} rows, with truncated set when more matched (CSV: header x-truncated: true).`,
  })
  @ApiOkResponse({ type: UsageReportDto })
  @ApiProduces('application/json', 'text/csv')
  async usage(
    @Query() query: UsageQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { from, to } = rangeOf(query);
    const bucket = query.bucket ?? 'day';
    const groupBy = query.groupBy ?? [];
    const { rows, truncated } = await this.reports.usage({ from, to, bucket, groupBy, ...filters(query) });
    if (wantsCsv(query, request)) {
      if (truncated) void reply.header('x-truncated', 'true');
      return csv(reply, 'usage.csv', toCsv(USAGE_COLUMNS, rows as UsageRowDto[]));
    }
    return { from, to, bucket, groupBy, rows, truncated } satisfies UsageReportDto;
  }

  @Get('requests')
  @ApiOperation({ summary: 'The request log, newest first, filtered, in cursor pages' })
  @ApiOkResponse({ type: RequestPageDto })
  @ApiProduces('application/json', 'text/csv')
  async requests(
    @Query() query: RequestsQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { from, to } = rangeOf(query);
    const filter: RequestFilter = {
      from,
      to,
      ...filters(query),
      ...statusOf(query.status),
      ...(query.errorKind ? { errorKind: query.errorKind } : {}),
    };
    const page = await this.reports.requests(filter, query.cursor, query.limit ?? 100);
    if (wantsCsv(query, request)) {
      if (page.nextCursor) void reply.header('x-next-cursor', page.nextCursor);
      return csv(reply, 'requests.csv', toCsv(REQUEST_COLUMNS, page.items as RequestLogEntryDto[]));
    }
    return page;
  }
}

function rangeOf(query: { from?: Date; to?: Date }): { from: Date; to: Date } {
  const to = query.to ?? new Date();
  return { from: query.from ?? new Date(to.getTime() - DAY_MS), to };
}

function filters(query: { keyId?: string; provider?: string; model?: string }) {
  return {
    ...(query.keyId ? { keyId: query.keyId } : {}),
    ...(query.provider ? { provider: query.provider } : {}),
    ...(query.model ? { model: query.model } : {}),
  };
}

function statusOf(status: string | undefined): Pick<RequestFilter, 'status'> {
  if (!status) return {};
  return status.endsWith('xx') ? { status: { classOf: Number(status[0]) } } : { status: Number(status) };
}

function wantsCsv(query: { format?: string }, request: FastifyRequest): boolean {
  if (query.format) return query.format === 'csv';
  return /\btext\/csv\b/.test(request.headers.accept ?? '');
}

function csv(reply: FastifyReply, filename: string, body: string): string {
  void reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`);
  return body;
}
