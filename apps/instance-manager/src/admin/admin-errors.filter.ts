import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import {
  ClientKeyNotFoundError,
  DuplicateInstanceNameError,
  InstanceNotFoundError,
  InvalidInstanceError,
} from '@switchboard/fleet';
import type { FastifyReply } from 'fastify';

type DomainError = InstanceNotFoundError | DuplicateInstanceNameError | InvalidInstanceError | ClientKeyNotFoundError;

/** Domain errors as HTTP: unknown ids 404, duplicate names 409, inconsistent input 400. */
@Catch(InstanceNotFoundError, DuplicateInstanceNameError, InvalidInstanceError, ClientKeyNotFoundError)
export class AdminErrorsFilter implements ExceptionFilter<DomainError> {
  catch(error: DomainError, host: ArgumentsHost): void {
    const status =
      error instanceof DuplicateInstanceNameError
        ? HttpStatus.CONFLICT
        : error instanceof InvalidInstanceError
          ? HttpStatus.BAD_REQUEST
          : HttpStatus.NOT_FOUND;
    const reason =
      status === HttpStatus.CONFLICT ? 'Conflict' : status === HttpStatus.BAD_REQUEST ? 'Bad Request' : 'Not Found';
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(status)
      .send({ statusCode: status, error: reason, message: [error.message] });
  }
}
