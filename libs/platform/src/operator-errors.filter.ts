import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError, redactSecrets } from '@switchboard/kernel';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type EdgeRefusal, explainFrameworkError, type HttpLimits } from './http-edge.js';

/**
 * The one error shape of the operator surfaces (instance-manager admin, intelligent-router,
 * load-balancer, and the gateway outside /v1): `message` is always one sentence; when there are
 * several problems (a validation failure), `details` lists each.
 */
export interface OperatorErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: string[];
}

export interface RenderedOperatorError {
  status: number;
  body: OperatorErrorBody;
  headers: Record<string, string>;
}

export function operatorErrorBody(status: number, message: string, details?: string[]): OperatorErrorBody {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, ...(details ? { details } : {}) };
}

const INTERNAL = 'Internal error; the request id in x-request-id finds it in the logs';

/**
 * Anything thrown, as the operator APIs answer it. Domain errors and framework exceptions carry
 * messages written for the caller; anything else is a 500 that shows no internals.
 */
export function renderOperatorError(error: unknown, limits: HttpLimits): RenderedOperatorError {
  if (error instanceof DomainError) {
    const headers: Record<string, string> =
      error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
    return {
      status: error.httpStatus,
      body: operatorErrorBody(error.httpStatus, error.message, error.details && [...error.details]),
      headers,
    };
  }
  const refusal = explainFrameworkError(error, limits);
  if (refusal) return fromRefusal(refusal);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const problems = messagesOf(error);
    const details = problems.length > 1 ? problems : undefined;
    return { status, body: operatorErrorBody(status, problems.join('; ') || error.message, details), headers: {} };
  }
  return { status: 500, body: operatorErrorBody(500, INTERNAL), headers: {} };
}

export function fromRefusal(refusal: EdgeRefusal): RenderedOperatorError {
  return { status: refusal.status, body: operatorErrorBody(refusal.status, refusal.message), headers: {} };
}

/** The ValidationPipe's 400 holds a list of problems, Nest's own exceptions one sentence. */
export function messagesOf(error: HttpException): string[] {
  const response = error.getResponse();
  if (typeof response === 'string') return [response];
  const message = (response as { message?: unknown }).message;
  return [message ?? error.message].flat().map(String);
}

/**
 * An unexpected error for the log: its message redacted (it may quote a connection string or a
 * key), then its stack frames, which hold code locations only.
 */
export function loggableError(error: unknown): string {
  if (!(error instanceof Error)) return redactSecrets(String(error));
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return [redactSecrets(`${error.name}: ${error.message}`), ...frames].join('\n');
}

/** The global filter of every operator surface: each failure in the one operator shape. */
@Catch()
export class OperatorErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('OperatorApi');

  constructor(private readonly limits: HttpLimits) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent || reply.raw.headersSent) return;
    const rendered = renderOperatorError(error, this.limits);
    if (rendered.status >= 500 && !(error instanceof DomainError)) {
      const request = http.getRequest<FastifyRequest>();
      this.logger.error(`${request.method} ${request.url} failed: ${loggableError(error)}`);
    }
    void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
  }
}
