import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The admin API takes `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(config: AppConfig) {
    this.expected = digest(config.ADMIN_TOKEN ?? '');
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new UnauthorizedException('admin API: send Authorization: Bearer <ADMIN_TOKEN>');
    if (!timingSafeEqual(digest(match[1]!.trim()), this.expected))
      throw new UnauthorizedException('admin API: the admin token is not valid');
    return true;
  }
}

/** Who made a change, for the audit log: X-Admin-Actor when given (a person or tool), else "admin". */
export function actorOf(request: FastifyRequest): string {
  const actor = request.headers['x-admin-actor'];
  const value = Array.isArray(actor) ? actor[0] : actor;
  return value && /^[\w.@:-]{1,64}$/.test(value) ? value : 'admin';
}
