import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import {
  type ErrorSurface,
  fromRefusal,
  type HttpLimits,
  loggableError,
  OperatorErrorsFilter,
} from '@switchboard/platform';
import { RequestCancelledError } from '@switchboard/routing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatOf, isClientApi, isUnmatchedRoute, renderError, renderRefusal, unservedRoute } from './client-format.js';

/**
 * The gateway's global filter: every failure under /v1 in the format the client speaks (OpenAI or
 * Anthropic), down to unknown routes and body-parser refusals; the operator views (/pools,
 * /health, ...) keep the operator shape.
 */
@Catch()
export class ClientFormatFilter implements ExceptionFilter {
  private readonly logger = new Logger('ClientApi');
  private readonly operator: OperatorErrorsFilter;

  constructor(private readonly limits: HttpLimits) {
    this.operator = new OperatorErrorsFilter(limits);
  }

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (!isClientApi(request.url)) {
      this.operator.catch(error, host);
      return;
    }
    if (reply.sent || reply.raw.headersSent) return;
    if (error instanceof RequestCancelledError) {
      // Nobody is listening; 499 (client closed request) is for the access log only.
      reply.status(499).send();
      return;
    }
    const format = formatOf(request.url);
    const rendered = isUnmatchedRoute(error)
      ? renderRefusal(format, unservedRoute(request.method, request.url))
      : renderError(format, error, this.limits);
    if (rendered.status === 500) this.logger.error(`${request.method} ${request.url} failed: ${loggableError(error)}`);
    reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
  }
}

/** The gateway's error surface: the filter above, and the same formats for refusals at the raw edge. */
export function clientSurface(limits: HttpLimits): ErrorSurface {
  return {
    filter: new ClientFormatFilter(limits),
    render: (url, refusal) => (url && isClientApi(url) ? renderRefusal(formatOf(url), refusal) : fromRefusal(refusal)),
  };
}
