import { Injectable } from '@nestjs/common';
import { isDataError, PrismaService, sqlStateOf } from '@switchboard/database';
import type { RequestLogRow } from './request-log-row.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A text Postgres takes: it refuses NUL in text, and a client can put one in any field it sends. */
function text(value: string | null): string | null {
  return value === null ? null : value.replaceAll('\u0000', '');
}

/**
 * instance_id is a uuid: instances discovered through Consul have ids such as consul:<serviceId>,
 * which are kept as null (the row names the instance in instance_name either way).
 */
function uuidOrNull(value: string | null): string | null {
  return value !== null && UUID.test(value) ? value : null;
}

/** Postgres refused the rows themselves (SQLSTATE class 22 or 23): the same rows sent again fail again. */
export class RequestLogRowsRefusedError extends Error {
  constructor(
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestLogRowsRefusedError';
  }
}

/** The request_log columns in insert order, with the array type each is sent as and its value as Postgres takes it. */
const COLUMNS: readonly (readonly [column: string, type: string, value: (row: RequestLogRow) => unknown])[] = [
  ['id', 'uuid', (row) => row.id],
  ['time', 'timestamptz', (row) => row.time.toISOString()],
  ['request_id', 'text', (row) => text(row.requestId)],
  ['key_id', 'uuid', (row) => row.keyId],
  ['format', 'text', (row) => text(row.format)],
  ['route', 'text', (row) => text(row.route)],
  ['stream', 'boolean', (row) => row.stream],
  ['requested_model', 'text', (row) => text(row.requestedModel)],
  ['served_provider', 'text', (row) => text(row.servedProvider)],
  ['served_model', 'text', (row) => text(row.servedModel)],
  ['instance_id', 'uuid', (row) => uuidOrNull(row.instanceId)],
  ['instance_name', 'text', (row) => text(row.instanceName)],
  ['attempts', 'smallint', (row) => row.attempts],
  ['fallbacks', 'smallint', (row) => row.fallbacks],
  ['status', 'smallint', (row) => row.status],
  ['error_kind', 'text', (row) => text(row.errorKind)],
  ['input_tokens', 'integer', (row) => row.inputTokens],
  ['output_tokens', 'integer', (row) => row.outputTokens],
  ['cached_tokens', 'integer', (row) => row.cachedTokens],
  ['reasoning_tokens', 'integer', (row) => row.reasoningTokens],
  ['cost_usd', 'numeric', (row) => (row.costUsd === null ? null : row.costUsd.toFixed(9))],
  ['latency_ms', 'integer', (row) => row.latencyMs],
  ['ttft_ms', 'integer', (row) => row.timeToFirstTokenMs],
  ['user_agent', 'text', (row) => text(row.userAgent)],
  ['prompt', 'text', (row) => text(row.prompt)],
  ['answer', 'text', (row) => text(row.answer)],
];

const SUMS = `count(*), count(*) FILTER (WHERE status >= 400 OR error_kind IS NOT NULL),
       coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(cached_tokens), 0),
       coalesce(sum(reasoning_tokens), 0), coalesce(sum(cost_usd), 0),
       count(*) FILTER (WHERE cost_usd IS NULL AND input_tokens IS NOT NULL), coalesce(sum(latency_ms), 0)`;

function addTo(table: string, bucket: string): string {
  return `ON CONFLICT (${bucket}, key_id, provider, model, instance_name) DO UPDATE SET
  requests = ${table}.requests + EXCLUDED.requests,
  errors = ${table}.errors + EXCLUDED.errors,
  input_tokens = ${table}.input_tokens + EXCLUDED.input_tokens,
  output_tokens = ${table}.output_tokens + EXCLUDED.output_tokens,
  cached_tokens = ${table}.cached_tokens + EXCLUDED.cached_tokens,
  reasoning_tokens = ${table}.reasoning_tokens + EXCLUDED.reasoning_tokens,
  cost_usd = ${table}.cost_usd + EXCLUDED.cost_usd,
  unpriced_requests = ${table}.unpriced_requests + EXCLUDED.unpriced_requests,
  latency_ms_sum = ${table}.latency_ms_sum + EXCLUDED.latency_ms_sum`;
}

/**
 * One statement per batch: the rows go in as one array per column (unnest), so a batch of
 * thousands is a single round trip with 26 parameters; the rows that were new are summed into
 * usage_hourly and usage_daily in the same statement, so the rollups never disagree with the log.
 * A batch sent twice (its first commit's answer lost) adds nothing the second time: the key is
 * (time, id). Rollup rows are upserted in key order so concurrent gateways lock them in one order.
 */
const INSERT_BATCH = `
WITH inserted AS (
  INSERT INTO request_log (${COLUMNS.map(([column]) => column).join(', ')})
  SELECT * FROM unnest(${COLUMNS.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ')})
  ON CONFLICT DO NOTHING
  RETURNING time, key_id, coalesce(served_provider, '') AS provider, coalesce(served_model, requested_model, '') AS model,
            coalesce(instance_name, '') AS instance_name, status, error_kind, input_tokens, output_tokens,
            cached_tokens, reasoning_tokens, cost_usd, latency_ms
), hourly AS (
  INSERT INTO usage_hourly
  SELECT date_trunc('hour', time, 'UTC'), key_id, provider, model, instance_name, ${SUMS}
  FROM inserted GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ${addTo('usage_hourly', 'hour')}
)
INSERT INTO usage_daily
SELECT date_trunc('day', time, 'UTC'), key_id, provider, model, instance_name, ${SUMS}
FROM inserted GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
${addTo('usage_daily', 'day')}`;

/** Writes request log batches (the gateway's side of request_log). */
@Injectable()
export class RequestLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Throws RequestLogRowsRefusedError when Postgres refuses the rows' data, and the client's own error otherwise. */
  async insert(rows: readonly RequestLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    const columns = COLUMNS.map(([, , value]) => rows.map(value));
    try {
      await this.prisma.$executeRawUnsafe(INSERT_BATCH, ...columns);
    } catch (error) {
      if (isDataError(error)) throw new RequestLogRowsRefusedError(sqlStateOf(error)!, (error as Error).message);
      throw error;
    }
  }
}
