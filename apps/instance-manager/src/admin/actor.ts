import type { FastifyRequest } from 'fastify';

/** Who made a change, for the audit log: X-Admin-Actor when given (a person or tool), else "admin". */
export function actorOf(request: FastifyRequest): string {
  const actor = request.headers['x-admin-actor'];
  const value = Array.isArray(actor) ? actor[0] : actor;
  return value && /^[\w.@:-]{1,64}$/.test(value) ? value : 'admin';
}
