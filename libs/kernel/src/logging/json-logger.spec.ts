import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonLogger } from './json-logger.js';
import { requestContext, requestIdFrom } from './request-context.js';

describe('JsonLogger', () => {
  it('writes one JSON object per line with the request id of the current request', async () => {
    const lines: string[] = [];
    const logger = new JsonLogger('api-gateway', 'info', (line) => lines.push(line));
    await requestContext.run({ requestId: 'req-123' }, async () => {
      await Promise.resolve();
      logger.log('served', 'ChatController');
    });
    logger.warn('outside a request');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => line.endsWith('\n')));
    const first = JSON.parse(lines[0]!);
    assert.equal(first.level, 'info');
    assert.equal(first.app, 'api-gateway');
    assert.equal(first.context, 'ChatController');
    assert.equal(first.msg, 'served');
    assert.equal(first.requestId, 'req-123');
    assert.equal(JSON.parse(lines[1]!).requestId, undefined);
  });

  it('drops lines below its level and keeps error stacks', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('x', 'warn', (line) => lines.push(line));
    logger.log('hidden');
    logger.debug('hidden');
    logger.error('boom', 'Error: boom\n    at here', 'Ctx');
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!);
    assert.equal(entry.level, 'error');
    assert.equal(entry.stack, 'Error: boom\n    at here');
    assert.equal(entry.context, 'Ctx');
  });
});

describe('requestIdFrom', () => {
  it('keeps a sane caller id and replaces anything else', () => {
    assert.equal(requestIdFrom('abc-123'), 'abc-123');
    assert.match(requestIdFrom('bad id with spaces'), /^[0-9a-f-]{36}$/);
    assert.match(requestIdFrom(undefined), /^[0-9a-f-]{36}$/);
  });
});
