import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { MetricsService } from '@switchboard/kernel';
import { ClientKeyCache, type ClientIdentity } from '@switchboard/fleet';
import { BudgetExceededError, GatewayHttpError, KeyBudgets, KeyLimitError, RateLimiter } from '@switchboard/routing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatOf } from './client-format.js';

declare module 'fastify' {
  interface FastifyRequest {
    client?: ClientIdentity;
  }
}

/**
 * Client keys: "Authorization: Bearer <key>" (OpenAI clients) or "x-api-key: <key>" (Anthropic
 * clients), checked against the in-memory key table; then its expiry, its rate limit and, for chat
 * requests, its spend and token budgets, all from memory.
 */
@Injectable()
export class ClientAuth {
  constructor(
    private readonly keys: ClientKeyCache,
    private readonly limiter: RateLimiter,
    private readonly budgets: KeyBudgets,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Lets the request through (its identity on request.client), or throws the refusal to answer.
   * The identity is set before the key's limits are checked, so a refused request is still known
   * by its key (the request log keeps refusals too).
   */
  async admit(request: FastifyRequest, reply: FastifyReply, chat = false): Promise<void> {
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
    if (identity.expiresAt !== null && identity.expiresAt <= Date.now()) {
      this.metrics.keyLimitRefused.inc({ reason: 'expired' });
      throw new KeyLimitError(
        'expired',
        `This API key expired at ${new Date(identity.expiresAt).toISOString()}; ask an operator to extend it or for a new key`,
      );
    }
    if (identity.rateLimitRpm !== null) this.checkRate(identity.id, identity.rateLimitRpm, request, reply);
    if (chat) this.checkBudgets(identity, reply);
  }

  private checkBudgets(identity: ClientIdentity, reply: FastifyReply): void {
    const decision = this.budgets.check(identity);
    if (decision.refusal) {
      this.metrics.keyLimitRefused.inc({ reason: decision.refusal });
      const headers = { ...decision.headers, 'retry-after': String(decision.retryAfterSeconds ?? 1) };
      if (decision.refusal === 'tokens_per_minute')
        throw new KeyLimitError('tokens_per_minute', decision.message!, headers);
      throw new BudgetExceededError(decision.refusal, decision.message!, headers);
    }
    reply.headers(decision.headers);
  }

  private checkRate(keyId: string, limitRpm: number, request: FastifyRequest, reply: FastifyReply): void {
    const decision = this.limiter.check(keyId, limitRpm);
    const headers = {
      'x-ratelimit-limit-requests': String(decision.limit),
      'x-ratelimit-remaining-requests': String(decision.remaining),
    };
    if (!decision.allowed) {
      this.metrics.rateLimited.inc({ format: formatOf(request.url) });
      throw new GatewayHttpError(
        'rate_limited',
        `Rate limit of ${decision.limit} requests per minute reached for this key; retry in ${decision.retryAfterSeconds} s`,
        { ...headers, 'retry-after': String(decision.retryAfterSeconds) },
      );
    }
    reply.headers(headers);
  }
}

/** ClientAuth for the Nest routes of the client API (GET /v1/models). */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  constructor(private readonly auth: ClientAuth) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    await this.auth.admit(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
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
