import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Get, Module, NotFoundException, Param, UseFilters } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainError, type DomainErrorKind } from '@switchboard/kernel';
import { OperatorErrorsFilter, renderOperatorError } from './operator-errors.filter.js';

class Refusal extends DomainError {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
  }
}

describe('renderOperatorError', () => {
  it('answers with the status of the kind and Nest’s body, the message as text or as a list', () => {
    assert.deepEqual(renderOperatorError(new Refusal('conflict', 'a pool named "a" exists already')), {
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'a pool named "a" exists already' },
    });
    assert.deepEqual(renderOperatorError(new Refusal('invalid_request', 'weight: too heavy'), { messageList: true }), {
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: ['weight: too heavy'] },
    });
    assert.equal(renderOperatorError(new Refusal('unavailable', 'none')).body.error, 'Service Unavailable');
  });
});

@Controller()
class ThrowingController {
  @Get('domain/:kind')
  @UseFilters(new OperatorErrorsFilter())
  domain(@Param('kind') kind: DomainErrorKind): never {
    throw new Refusal(kind, `refused as ${kind}`);
  }

  @Get('listed')
  @UseFilters(new OperatorErrorsFilter({ messageList: true }))
  listed(): never {
    throw new Refusal('not_found', 'no instance with id 7');
  }

  @Get('framework')
  @UseFilters(new OperatorErrorsFilter())
  framework(): never {
    throw new NotFoundException('Nest answers this one itself');
  }

  @Get('unexpected')
  @UseFilters(new OperatorErrorsFilter())
  unexpected(): never {
    throw new Error('postgres://admin:s3cret@db/switchboard refused');
  }
}

@Module({ controllers: [ThrowingController] })
class ThrowingModule {}

describe('OperatorErrorsFilter in a Nest app on Fastify', () => {
  let app: NestFastifyApplication;
  const get = async (url: string) => {
    const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() as Record<string, unknown>, text: response.body };
  };

  before(async () => {
    app = await NestFactory.create<NestFastifyApplication>(ThrowingModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  after(() => app.close());

  it('renders a domain error with the status of its kind', async () => {
    assert.deepEqual(await get('/domain/not_found'), {
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'refused as not_found' },
      text: JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'refused as not_found' }),
    });
    assert.equal((await get('/domain/unavailable')).status, 503);
    assert.equal((await get('/domain/conflict')).status, 409);
  });

  it('lists the message where the surface asks for it', async () => {
    const response = await get('/listed');
    assert.equal(response.status, 404);
    assert.deepEqual(response.body.message, ['no instance with id 7']);
  });

  it('leaves framework exceptions and unexpected errors to Nest, which shows no internals', async () => {
    const framework = await get('/framework');
    assert.equal(framework.status, 404);
    assert.equal(framework.body.message, 'Nest answers this one itself');
    const unexpected = await get('/unexpected');
    assert.equal(unexpected.status, 500);
    assert.ok(!unexpected.text.includes('s3cret'), unexpected.text);
  });
});
