import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The operator's bearer token (ADMIN_TOKEN), compared in constant time. The instance-manager
 * requires one; the other apps open their operator views (/pools, detailed readiness) only when one
 * is set, and never to an empty or missing token.
 */
@Injectable()
export class AdminToken {
  private readonly expected?: Buffer;

  constructor(config: AppConfig) {
    this.expected = config.ADMIN_TOKEN ? digest(config.ADMIN_TOKEN) : undefined;
  }

  get configured(): boolean {
    return this.expected !== undefined;
  }

  /** Whether the request carries the token; a request without one is simply not an operator. */
  carriedBy(request: FastifyRequest): boolean {
    const presented = bearerOf(request);
    return presented !== undefined && this.matches(presented);
  }

  matches(presented: string): boolean {
    return this.expected !== undefined && timingSafeEqual(digest(presented), this.expected);
  }
}

function bearerOf(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/** Operator endpoints take `Authorization: Bearer <ADMIN_TOKEN>`. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(private readonly token: AdminToken) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!this.token.configured)
      throw new ForbiddenException('operator views are off on this app: set ADMIN_TOKEN to open them');
    const presented = bearerOf(request);
    if (presented === undefined)
      throw new UnauthorizedException('operator endpoint: send Authorization: Bearer <ADMIN_TOKEN>');
    if (!this.token.matches(presented))
      throw new UnauthorizedException('operator endpoint: the admin token is not valid');
    return true;
  }
}
