import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppConfig } from '@switchboard/kernel';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isClientApi } from './client-format.js';

/** What a browser may read of a response: the ids, routing and rate-limit headers. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'x-switchboard-provider',
  'x-switchboard-model',
  'x-switchboard-instance',
  'x-switchboard-attempts',
  'x-switchboard-route',
  'x-switchboard-overhead-ms',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'retry-after',
].join(', ');

/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_S = '600';

/**
 * CORS for browser clients of the client API (/v1/*), off unless GATEWAY_CORS_ORIGINS lists
 * origins. A preflight from an allowed origin is answered here, before admission and key checks
 * (browsers send it without credentials); other origins get no CORS headers, so browsers refuse.
 */
@Injectable()
export class CorsHook implements OnModuleInit {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(
    private readonly adapter: HttpAdapterHost,
    config: AppConfig,
  ) {
    const listed = config.GATEWAY_CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    this.anyOrigin = listed.includes('*');
    this.origins = new Set(listed);
  }

  onModuleInit(): void {
    if (!this.anyOrigin && this.origins.size === 0) return;
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      const origin = request.headers.origin;
      if (!origin || !isClientApi(request.url) || !this.allows(origin)) return done();
      void reply.header('access-control-allow-origin', this.anyOrigin ? '*' : origin).header('vary', 'Origin');
      if (isPreflight(request)) return this.answerPreflight(request, reply);
      void reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      done();
    });
  }

  private allows(origin: string): boolean {
    return this.anyOrigin || this.origins.has(origin);
  }

  private answerPreflight(request: FastifyRequest, reply: FastifyReply): void {
    const asked = request.headers['access-control-request-headers'];
    void reply
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', typeof asked === 'string' ? asked : 'authorization, content-type')
      .header('access-control-max-age', PREFLIGHT_MAX_AGE_S)
      .status(204)
      .send();
  }
}

function isPreflight(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
}
