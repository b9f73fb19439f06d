import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@switchboard/database';
import type { RequestLogRow } from '../request-log/request-log-row.js';

/** Filters of the request list; every one optional but the time range. */
export interface RequestFilter {
  from: Date;
  to: Date;
  keyId?: string;
  provider?: string;
  /** Matches the served model or, for requests never served, the requested one. */
  model?: string;
  /** An HTTP status (429) or a class (4xx). */
  status?: number | { classOf: number };
  errorKind?: string;
}

/** Where a page of the request list starts: after this (time, id), walking back in time. */
export interface RequestCursor {
  time: Date;
  id: string;
}

/** A request log row as read back: the row the gateway wrote (the format column is plain text). */
export type RequestRecord = Omit<RequestLogRow, 'format'> & { format: string };

export type UsageDimension = 'key' | 'provider' | 'model' | 'instance';

const DIMENSION_COLUMNS: Record<UsageDimension, { column: string; alias: string }> = {
  key: { column: 'key_id', alias: 'keyId' },
  provider: { column: 'provider', alias: 'provider' },
  model: { column: 'model', alias: 'model' },
  instance: { column: 'instance_name', alias: 'instance' },
};

export interface UsageQuery {
  from: Date;
  to: Date;
  bucket: 'hour' | 'day';
  groupBy: readonly UsageDimension[];
  keyId?: string;
  provider?: string;
  model?: string;
}

export interface UsageAggregate {
  bucket: Date;
  keyId: string | null;
  provider: string | null;
  model: string | null;
  instance: string | null;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costUsd: number;
  unpricedRequests: number;
  averageLatencyMs: number;
}

/** Reads of the request log and its hourly rollup for the admin API. */
@Injectable()
export class UsageReportsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Newest first, `limit` rows after the cursor. The walk follows the primary key (time, id)
   * backwards, or (key_id, time) when a key is named; each day's partition outside the range is
   * skipped by the planner.
   */
  findRequests(filter: RequestFilter, cursor: RequestCursor | undefined, limit: number): Promise<RequestRecord[]> {
    const conditions = [Prisma.sql`time >= ${filter.from} AND time < ${filter.to}`];
    if (filter.keyId) conditions.push(Prisma.sql`key_id = ${filter.keyId}::uuid`);
    if (filter.provider) conditions.push(Prisma.sql`served_provider = ${filter.provider}`);
    if (filter.model) conditions.push(Prisma.sql`coalesce(served_model, requested_model) = ${filter.model}`);
    if (typeof filter.status === 'number') conditions.push(Prisma.sql`status = ${filter.status}`);
    else if (filter.status)
      conditions.push(
        Prisma.sql`status >= ${filter.status.classOf * 100} AND status < ${filter.status.classOf * 100 + 100}`,
      );
    if (filter.errorKind) conditions.push(Prisma.sql`error_kind = ${filter.errorKind}`);
    if (cursor) conditions.push(Prisma.sql`(time, id) < (${cursor.time}, ${cursor.id}::uuid)`);
    return this.prisma.$queryRaw<RequestRecord[]>`
      SELECT id::text, time, request_id AS "requestId", key_id::text AS "keyId", format, route, stream,
             requested_model AS "requestedModel", served_provider AS "servedProvider", served_model AS "servedModel",
             instance_id::text AS "instanceId", instance_name AS "instanceName", attempts, fallbacks, status,
             error_kind AS "errorKind", input_tokens AS "inputTokens", output_tokens AS "outputTokens",
             cached_tokens AS "cachedTokens", reasoning_tokens AS "reasoningTokens", cost_usd::float8 AS "costUsd",
             latency_ms AS "latencyMs", ttft_ms AS "timeToFirstTokenMs", user_agent AS "userAgent", prompt, answer
        FROM request_log
       WHERE ${Prisma.join(conditions, ' AND ')}
       ORDER BY time DESC, id DESC
       LIMIT ${limit}`;
  }

  /**
   * Sums from the rollups (`from` rounded down to its hour or day): a month of traffic is one row
   * per key, model and instance per day (or hour), however many requests it held. At most `limit`
   * rows, in bucket order.
   */
  aggregate(query: UsageQuery, limit: number): Promise<UsageAggregate[]> {
    const dimensions = query.groupBy.map((dimension) => DIMENSION_COLUMNS[dimension]);
    const selected = Object.entries(DIMENSION_COLUMNS).map(([dimension, { column, alias }]) =>
      query.groupBy.includes(dimension as UsageDimension)
        ? Prisma.raw(`${column}::text AS "${alias}"`)
        : Prisma.raw(`NULL::text AS "${alias}"`),
    );
    const grouping = [Prisma.raw('1'), ...dimensions.map(({ column }) => Prisma.raw(column))];
    // Day buckets read the daily rollup, hour buckets the hourly one. Rollup rows start on their
    // bucket: a range starting mid-bucket counts its whole first bucket.
    const [table, start] = query.bucket === 'day' ? ['usage_daily', 'day'] : ['usage_hourly', 'hour'];
    const conditions = [
      Prisma.sql`${Prisma.raw(start)} >= date_trunc(${query.bucket}, ${query.from}::timestamptz, 'UTC')`,
      Prisma.sql`${Prisma.raw(start)} < ${query.to}`,
    ];
    if (query.keyId) conditions.push(Prisma.sql`key_id = ${query.keyId}::uuid`);
    if (query.provider) conditions.push(Prisma.sql`provider = ${query.provider}`);
    if (query.model) conditions.push(Prisma.sql`model = ${query.model}`);
    return this.prisma.$queryRaw<UsageAggregate[]>`
      SELECT ${Prisma.raw(start)} AS bucket, ${Prisma.join(selected, ', ')},
             sum(requests)::float8 AS requests, sum(errors)::float8 AS errors,
             sum(input_tokens)::float8 AS "inputTokens", sum(output_tokens)::float8 AS "outputTokens",
             sum(cached_tokens)::float8 AS "cachedTokens", sum(reasoning_tokens)::float8 AS "reasoningTokens",
             sum(cost_usd)::float8 AS "costUsd", sum(unpriced_requests)::float8 AS "unpricedRequests",
             (sum(latency_ms_sum) / nullif(sum(requests), 0))::float8 AS "averageLatencyMs"
        FROM ${Prisma.raw(table)}
       WHERE ${Prisma.join(conditions, ' AND ')}
       GROUP BY ${Prisma.join(grouping, ', ')}
       ORDER BY ${Prisma.join(grouping, ', ')}
       LIMIT ${limit}`;
  }
}
