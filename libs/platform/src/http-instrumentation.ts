import { requestContext, requestIdFrom, type MetricsService } from '@switchboard/kernel';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const startedAt = new WeakMap<FastifyRequest, number>();

/**
 * Fastify hooks for every app: a request id (kept from x-request-id or made, echoed back) that the
 * logger sees through AsyncLocalStorage, and the request duration histogram by route pattern.
 */
export function instrumentHttp(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const requestId = requestIdFrom(request.headers['x-request-id']);
    reply.header('x-request-id', requestId);
    startedAt.set(request, performance.now());
    requestContext.run({ requestId }, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const started = startedAt.get(request);
    if (started !== undefined) {
      metrics.httpRequestDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        (performance.now() - started) / 1000,
      );
    }
    done();
  });
}
