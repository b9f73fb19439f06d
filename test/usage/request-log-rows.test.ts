import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { type AppConfig, MetricsService } from '@switchboard/kernel';
import { RequestLogRepository, type RequestLogRow, RequestLogWriter } from '@switchboard/usage';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { query } from '../support/usage-log.js';

Logger.overrideLogger(false);

const KEY_ID = '00000000-0000-4000-8000-000000000001';

function row(changes: Partial<RequestLogRow>): RequestLogRow {
  return {
    id: randomUUID(),
    time: new Date(),
    requestId: 'r',
    keyId: KEY_ID,
    format: 'openai',
    route: 'model',
    stream: false,
    requestedModel: 'gpt-4o',
    servedProvider: 'openai',
    servedModel: 'gpt-4o',
    instanceId: randomUUID(),
    instanceName: 'openai-a',
    attempts: 1,
    fallbacks: 0,
    status: 200,
    errorKind: null,
    inputTokens: 10,
    outputTokens: 5,
    cachedTokens: null,
    reasoningTokens: null,
    costUsd: 0.0001,
    latencyMs: 12,
    timeToFirstTokenMs: null,
    userAgent: null,
    prompt: null,
    answer: null,
    ...changes,
  };
}

describe('request log rows Postgres would refuse', () => {
  let database: TestDatabase;
  let repository: RequestLogRepository;
  let metrics: MetricsService;
  let writer: RequestLogWriter;

  before(async () => {
    database = await createTestDatabase();
    const config = {
      DATABASE_URL: database.url,
      REQUEST_LOG_QUEUE_MAX: 1_000,
      REQUEST_LOG_QUEUE_MAX_BYTES: 16_777_216,
      REQUEST_LOG_BATCH_ROWS: 100,
      REQUEST_LOG_FLUSH_MS: 60_000,
    } as AppConfig;
    repository = new RequestLogRepository(config);
    metrics = new MetricsService('test');
    writer = new RequestLogWriter(repository, metrics, config);
  });

  after(async () => {
    await repository?.close();
    await database?.drop();
  });

  it('writes a discovered instance (id consul:…) and a model holding NUL; drops only a row out of range', async () => {
    const discovered = row({ instanceId: 'consul:openai-a-1', instanceName: 'consul-openai-a' });
    const nul = row({ requestedModel: 'gpt\u0000-4o', userAgent: 'agent\u0000', prompt: '\u0000[]' });
    // A lone surrogate (half an emoji cut by a client) and the characters JSON escapes.
    const awkward = row({ userAgent: 'cut \ud83d', prompt: 'quote " backslash \\ tab \t newline \n \u2028 😀' });
    // Beyond smallint: no cleaning makes this row fit, so it alone is dropped (SQLSTATE 22003).
    const outOfRange = row({ attempts: 100_000 });
    const ordinary = Array.from({ length: 20 }, () => row({}));
    for (const entry of [...ordinary.slice(0, 10), discovered, outOfRange, nul, awkward, ...ordinary.slice(10)])
      writer.append(entry);
    await writer.flush();

    assert.equal(writer.lastError, undefined);
    assert.equal(writer.queued, 0, 'no row waits to be retried');
    assert.equal(writer.dropped, 1);
    const rows = await query<{
      id: string;
      instance_id: string | null;
      instance_name: string;
      requested_model: string;
      user_agent: string | null;
      prompt: string | null;
    }>(
      database.url,
      'SELECT id::text, instance_id::text, instance_name, requested_model, user_agent, prompt FROM request_log',
    );
    assert.equal(rows.length, 23);
    const byId = new Map(rows.map((entry) => [entry.id, entry]));
    assert.equal(byId.get(discovered.id)?.instance_id, null);
    assert.equal(byId.get(discovered.id)?.instance_name, 'consul-openai-a');
    assert.equal(byId.get(nul.id)?.requested_model, 'gpt-4o');
    assert.equal(byId.has(outOfRange.id), false);
    assert.equal(byId.get(awkward.id)?.user_agent, 'cut \ufffd', 'the lone surrogate is kept as U+FFFD');
    assert.equal(byId.get(awkward.id)?.prompt, awkward.prompt);
    const page = await metrics.registry.getSingleMetricAsString('switchboard_request_log_dropped_total');
    assert.match(page, /switchboard_request_log_dropped_total\{reason="refused"[^}]*\} 1$/m);
  });
});
