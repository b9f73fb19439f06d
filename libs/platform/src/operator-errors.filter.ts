import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { DomainError } from '@switchboard/kernel';
import type { FastifyReply } from 'fastify';

export interface OperatorErrorsOptions {
  /**
   * The message as a list of problems, as the ValidationPipe writes its 400s (the admin API, so a
   * client reads one shape for every refusal), instead of one sentence (Nest's own exception body).
   */
  messageList?: boolean;
}

export interface OperatorErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * A domain error as the operator APIs answer it: the status from kernel's one kind -> status table,
 * and the body Nest's own exceptions have ({ statusCode, error, message }). The message is the
 * domain error's, written for the caller; nothing else of the error is shown.
 */
export function renderOperatorError(
  error: DomainError,
  options: OperatorErrorsOptions = {},
): { status: number; body: OperatorErrorBody } {
  const status = error.httpStatus;
  return {
    status,
    body: {
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      message: options.messageList ? [error.message] : error.message,
    },
  };
}

/**
 * The one filter of the operator surfaces (instance-manager admin, intelligent-router,
 * load-balancer). Only domain errors are its business; framework exceptions (validation, guards,
 * unknown routes) and unexpected errors keep Nest's own handling (a bare 500 for the latter).
 */
@Catch(DomainError)
export class OperatorErrorsFilter implements ExceptionFilter<DomainError> {
  constructor(private readonly options: OperatorErrorsOptions = {}) {}

  catch(error: DomainError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    const { status, body } = renderOperatorError(error, this.options);
    if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
    void reply.status(status).send(body);
  }
}
