import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppConfig, MetricsService } from '@switchboard/kernel';
import { AdmissionGate, AdmissionRefusal, GatewayHttpError } from '@switchboard/routing';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CHAT_ROUTES, formatOf, renderError } from './client-format.js';

const CHAT_PATHS = Object.keys(CHAT_ROUTES);

/**
 * Admission control for chat requests, at the very start of a request (before its body is read or
 * its key checked), so a refusal costs next to nothing: a bounded number in flight, a bounded line
 * behind them and a bounded wait, then 503 with Retry-After in the client's own format. A slot is
 * held until the response is finished or the client leaves, streams included.
 */
@Injectable()
export class AdmissionHook implements OnModuleInit {
  readonly gate: AdmissionGate;

  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    this.gate = new AdmissionGate({
      maxInFlight: config.shareOf(config.GATEWAY_MAX_IN_FLIGHT),
      maxQueued: config.shareOf(config.GATEWAY_MAX_QUEUED),
      maxWaitMs: config.GATEWAY_MAX_QUEUE_WAIT_MS,
    });
  }

  onModuleInit(): void {
    this.metrics.addCollector(() => {
      const { inFlight, queued } = this.gate.load;
      this.metrics.admission.set({ state: 'in_flight' }, inFlight);
      this.metrics.admission.set({ state: 'queued' }, queued);
    });
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (request.method !== 'POST' || !CHAT_PATHS.some((path) => request.url.startsWith(path))) return done();
      const entry = this.gate.enter();
      if (entry instanceof AdmissionRefusal) return this.refuse(request, reply, entry);
      if (typeof entry === 'function') {
        reply.raw.once('close', entry);
        return done();
      }
      entry.then(
        (release) => {
          // The client may have given up while it waited: free the slot at once and end the
          // request here (499, for the access log only: nobody reads it).
          if (request.raw.destroyed) {
            release();
            reply.status(499).send();
            return;
          }
          reply.raw.once('close', release);
          done();
        },
        (refusal: AdmissionRefusal) => this.refuse(request, reply, refusal),
      );
    });
  }

  private refuse(request: FastifyRequest, reply: FastifyReply, refusal: AdmissionRefusal): void {
    this.metrics.admissionRefused.inc({ reason: refusal.reason });
    const rendered = renderError(
      formatOf(request.url),
      new GatewayHttpError('unavailable', refusal.message, { 'retry-after': String(refusal.retryAfterSeconds) }),
    );
    reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
  }
}
