import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { MetricsService } from '@switchboard/kernel';
import { ClientKeyCache, type ClientIdentity } from '@switchboard/fleet';
import { GatewayHttpError, RateLimiter } from '@switchboard/routing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatOf } from './client-format.js';

declare module 'fastify' {
  interface FastifyRequest {
    client?: ClientIdentity;
  }
}

/**
 * Client keys: "Authorization: Bearer <key>" (OpenAI clients) or "x-api-key: <key>" (Anthropic
 * clients), checked against the in-memory key table; then the key's rate limit.
 */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  constructor(
    private readonly keys: ClientKeyCache,
    private readonly limiter: RateLimiter,
    private readonly metrics: MetricsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const key = keyFrom(request);
    if (!key) {
      throw new GatewayHttpError(
        'unauthenticated',
        'No API key: send your Switchboard client key as "Authorization: Bearer <key>" or "x-api-key: <key>"',
      );
    }
    const identity = await this.keys.authenticate(key);
    if (!identity) {
      throw new GatewayHttpError(
        'unauthenticated',
        'Invalid API key: it is unknown or revoked. Operators create keys with POST /admin/client-keys on the instance-manager',
      );
    }
    request.client = identity;
    if (identity.rateLimitRpm !== null) {
      const decision = this.limiter.check(identity.id, identity.rateLimitRpm);
      const headers = {
        'x-ratelimit-limit-requests': String(decision.limit),
        'x-ratelimit-remaining-requests': String(decision.remaining),
      };
      if (!decision.allowed) {
        this.metrics.rateLimited.inc({ format: formatOf(request.url) });
        throw new GatewayHttpError(
          'rate_limited',
          `Rate limit of ${decision.limit} requests per minute reached for this key; retry in ${decision.retryAfterSeconds} s`,
          {
            ...headers,
            'retry-after': String(decision.retryAfterSeconds),
          },
        );
      }
      http.getResponse<FastifyReply>().headers(headers);
    }
    return true;
  }
}

function keyFrom(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && authorization.toLowerCase().startsWith('bearer '))
    return authorization.slice(7).trim() || undefined;
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : undefined;
}
