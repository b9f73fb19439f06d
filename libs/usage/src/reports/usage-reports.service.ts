import { Injectable } from '@nestjs/common';
import { DomainError, type DomainErrorKind } from '@switchboard/kernel';
import {
  type RequestCursor,
  type RequestFilter,
  type RequestRecord,
  type UsageAggregate,
  type UsageQuery,
  UsageReportsRepository,
} from './usage-reports.repository.js';

export class InvalidCursorError extends DomainError {
  readonly kind: DomainErrorKind = 'invalid_request';
  override readonly field = 'cursor';

  constructor() {
    super('cursor is not one this API gave out: pass the nextCursor of the previous page as it is');
  }
}

const DAY_MS = 86_400_000;
/** The longest range a usage report covers per bucket size: a month of hours, a rollup's retention of days. */
export const USAGE_MAX_RANGE_DAYS = { hour: 31, day: 400 } as const;
/** The most rows a usage report returns; past it the report says it was truncated. */
export const USAGE_MAX_ROWS = 10_000;

export class InvalidUsageRangeError extends DomainError {
  readonly kind: DomainErrorKind = 'invalid_request';
  override readonly field = 'from';
}

export interface UsageReport {
  rows: UsageAggregate[];
  /** More rows matched than USAGE_MAX_ROWS: the first ones in bucket order are returned. */
  truncated: boolean;
}

export interface RequestPage {
  items: RequestRecord[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** The admin API's usage reads: the request list with cursor pages, and aggregates over the rollup. */
@Injectable()
export class UsageReportsService {
  constructor(private readonly repository: UsageReportsRepository) {}

  async requests(filter: RequestFilter, cursor: string | undefined, limit: number): Promise<RequestPage> {
    const rows = await this.repository.findRequests(filter, cursor ? decodeCursor(cursor) : undefined, limit + 1);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ time: last.time, id: last.id }) : null };
  }

  /** Sums over [from, to): at most USAGE_MAX_RANGE_DAYS of the bucket size, at most USAGE_MAX_ROWS rows. */
  async usage(query: UsageQuery): Promise<UsageReport> {
    if (query.from.getTime() >= query.to.getTime())
      throw new InvalidUsageRangeError('from must be before to: the range is [from, to)');
    const maxDays = USAGE_MAX_RANGE_DAYS[query.bucket];
    if (query.to.getTime() - query.from.getTime() > maxDays * DAY_MS)
      throw new InvalidUsageRangeError(
        `from must be at most ${maxDays} days before to for ${query.bucket} buckets: ask for a shorter range or day buckets`,
      );
    const rows = await this.repository.aggregate(query, USAGE_MAX_ROWS + 1);
    return { rows: rows.slice(0, USAGE_MAX_ROWS), truncated: rows.length > USAGE_MAX_ROWS };
  }
}

/** Opaque to clients: the last row's time and id, base64url. */
export function encodeCursor(cursor: RequestCursor): string {
  return Buffer.from(`${cursor.time.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(text: string): RequestCursor {
  const [time, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const parsed = new Date(time ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(parsed.getTime())) throw new InvalidCursorError();
  return { time: parsed, id };
}
