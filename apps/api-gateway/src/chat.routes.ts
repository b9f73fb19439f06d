import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ChatService } from './chat.service.js';
import { ClientAuth } from './client-auth.guard.js';
import { CHAT_ROUTES, type ClientFormat } from './client-format.js';
import { UsageRecorder } from './usage-recorder.js';

/**
 * The client chat API: OpenAI's chat completions and Anthropic's messages, same routing behind
 * both. They are Fastify routes rather than a Nest controller because they are the hot path: Nest's
 * per-request pipeline (guards, interceptors, an rxjs chain) cost about 8 % of the gateway's busy
 * CPU for nothing these routes use. Failures still reach the global ClientFormatFilter, through the
 * error handler Nest installs on Fastify.
 */
@Injectable()
export class ChatRoutes implements OnModuleInit {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly chats: ChatService,
    private readonly auth: ClientAuth,
    private readonly usage: UsageRecorder,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    for (const [path, format] of Object.entries(CHAT_ROUTES))
      fastify.post(path, (request, reply) => this.serve(format, request, reply));
  }

  /** Every request that gets past authentication leaves one request log row, refused or served. */
  private async serve(format: ClientFormat, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const trace = this.usage.begin(format, request, reply);
    try {
      try {
        await this.auth.admit(request, reply, true);
      } finally {
        trace.identity = request.client;
      }
      await this.chats.handle(format, request.body, request, reply, trace);
    } catch (error) {
      this.usage.failed(trace, error);
      throw error;
    } finally {
      this.usage.finish(trace);
    }
    // The answer is sent (or streamed) by the chat service itself.
    return reply;
  }
}
