import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BadRequestException, Controller, Get, HttpException, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainError, type DomainErrorKind } from '@switchboard/kernel';
import type { HttpLimits } from './http-edge.js';
import { loggableError, OperatorErrorsFilter, renderOperatorError } from './operator-errors.filter.js';

class Refusal extends DomainError {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const limits: HttpLimits = {
  maxBodyBytes: 1024,
  maxBodySetting: 'ADMIN_MAX_BODY_BYTES',
  maxJsonDepth: 8,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  maxHeaderBytes: 16_384,
};

describe('renderOperatorError', () => {
  it('answers a domain error with the status of its kind and its message', () => {
    assert.deepEqual(renderOperatorError(new Refusal('conflict', 'a pool named "a" exists already'), limits), {
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'a pool named "a" exists already' },
      headers: {},
    });
    assert.equal(renderOperatorError(new Refusal('unavailable', 'none'), limits).body.error, 'Service Unavailable');
  });

  it('keeps message one sentence and lists several problems in details', () => {
    const rendered = renderOperatorError(new BadRequestException(['name must be set', 'weight: too heavy']), limits);
    assert.deepEqual(rendered.body, {
      statusCode: 400,
      error: 'Bad Request',
      message: 'name must be set; weight: too heavy',
      details: ['name must be set', 'weight: too heavy'],
    });
    assert.equal(renderOperatorError(new BadRequestException('one problem'), limits).body.details, undefined);
  });

  it('explains a body over the limit with the setting that raises it', () => {
    const tooLarge = new HttpException('Request body is too large', 413, {
      cause: Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' }),
    });
    const rendered = renderOperatorError(tooLarge, limits);
    assert.equal(rendered.status, 413);
    assert.match(rendered.body.message, /larger than 1024 bytes \(ADMIN_MAX_BODY_BYTES\)/);
  });

  it('shows nothing of an unexpected error', () => {
    const rendered = renderOperatorError(new Error('postgres://admin:s3cret@db refused'), limits);
    assert.equal(rendered.status, 500);
    assert.doesNotMatch(JSON.stringify(rendered.body), /s3cret/);
  });
});

describe('loggableError', () => {
  it('redacts credentials in the message and keeps the stack frames', () => {
    const logged = loggableError(new Error('upstream said: invalid key sk-live-abcdef123456'));
    assert.doesNotMatch(logged, /sk-live-abcdef123456/);
    assert.match(logged, /^Error: upstream said: invalid key \[redacted\]/);
    assert.match(logged, /\n\s+at /);
  });
});

@Controller()
class ThrowingController {
  @Get('domain/:kind')
  domain(@Param('kind') kind: DomainErrorKind): never {
    throw new Refusal(kind, `refused as ${kind}`);
  }

  @Get('unexpected')
  unexpected(): never {
    throw new Error('postgres://admin:s3cret@db/switchboard refused');
  }
}

@Module({ controllers: [ThrowingController] })
class ThrowingModule {}

describe('OperatorErrorsFilter as the global filter of a Nest app on Fastify', () => {
  let app: NestFastifyApplication;
  const get = async (url: string) => {
    const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() as Record<string, unknown>, text: response.body };
  };

  before(async () => {
    app = await NestFactory.create<NestFastifyApplication>(ThrowingModule, new FastifyAdapter(), { logger: false });
    app.useGlobalFilters(new OperatorErrorsFilter(limits));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  after(() => app.close());

  it('renders a domain error with the status of its kind', async () => {
    const expected = { statusCode: 404, error: 'Not Found', message: 'refused as not_found' };
    assert.deepEqual(await get('/domain/not_found'), { status: 404, body: expected, text: JSON.stringify(expected) });
    assert.equal((await get('/domain/unavailable')).status, 503);
    assert.equal((await get('/domain/conflict')).status, 409);
  });

  it('answers an unknown route and an unexpected error in the same shape, showing no internals', async () => {
    assert.deepEqual(await get('/nowhere'), {
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Cannot GET /nowhere' },
      text: JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nowhere' }),
    });
    const unexpected = await get('/unexpected');
    assert.equal(unexpected.status, 500);
    assert.match(String(unexpected.body.message), /x-request-id/);
    assert.ok(!unexpected.text.includes('s3cret'), unexpected.text);
  });
});
