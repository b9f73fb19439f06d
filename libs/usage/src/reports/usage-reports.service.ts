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

  usage(query: UsageQuery): Promise<UsageAggregate[]> {
    return this.repository.aggregate(query);
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
