import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { RequestCancelledError } from '@switchboard/routing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatOf, renderError } from './client-format.js';

/** Renders every failure of the client API in the format the client speaks (OpenAI or Anthropic). */
@Catch()
export class ClientFormatFilter implements ExceptionFilter {
  private readonly logger = new Logger('ClientApi');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent || reply.raw.headersSent) return;
    if (error instanceof RequestCancelledError) {
      // Nobody is listening; 499 (client closed request) is for the access log only.
      reply.status(499).send();
      return;
    }
    const rendered = renderError(formatOf(request.url), error);
    if (rendered.status === 500)
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
  }
}
