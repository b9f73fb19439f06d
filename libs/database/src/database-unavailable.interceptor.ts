import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './prisma-errors.js';

/**
 * Turns "the database is not there" into DatabaseUnavailableError (503, Retry-After) for every
 * route of an app that uses the database, so an outage reads as what it is instead of a 500.
 */
@Injectable()
export class DatabaseUnavailableInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          throwError(() => (isDatabaseUnavailable(error) ? new DatabaseUnavailableError() : error)),
        ),
      );
  }
}
