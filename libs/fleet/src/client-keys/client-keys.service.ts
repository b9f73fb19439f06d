import { Injectable } from '@nestjs/common';
import type { ClientApiKey } from '@switchboard/database';
import { hash, randomBytes } from 'node:crypto';
import { AuditRepository } from '../audit/audit.repository.js';
import { ClientKeyNotFoundError } from '../instances/instance-errors.js';
import { type ClientKeyLimits, limitsOf, NO_LIMITS } from './client-key-limits.js';
import { ClientKeysRepository } from './client-keys.repository.js';

export const CLIENT_KEY_PREFIX = 'sb-';

export interface ClientKeyView extends Omit<ClientKeyLimits, 'expiresAt'> {
  id: string;
  name: string;
  /** The first characters, enough to recognise a key in a list; never the key. */
  prefix: string;
  expiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export function hashClientKey(key: string): string {
  return hash('sha256', key, 'hex');
}

function toView(row: ClientApiKey): ClientKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.keyPrefix,
    ...limitsOf(row),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** Client API keys for the gateway: stored as SHA-256 hashes, the key itself shown once. */
@Injectable()
export class ClientKeysService {
  constructor(
    private readonly repository: ClientKeysRepository,
    private readonly audit: AuditRepository,
  ) {}

  async create(
    name: string,
    limits: Partial<ClientKeyLimits>,
    actor: string,
    presetKey?: string,
  ): Promise<{ key: string; view: ClientKeyView }> {
    const key = presetKey ?? `${CLIENT_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row = await this.repository.create({
      name,
      keyHash: hashClientKey(key),
      keyPrefix: key.slice(0, 10),
      ...NO_LIMITS,
      ...limits,
    });
    await this.audit.record({
      actor,
      action: 'client_key.create',
      targetType: 'client_api_key',
      targetId: row.id,
      details: { name, prefix: row.keyPrefix, ...limits },
    });
    return { key, view: toView(row) };
  }

  /** Changes a key's name or limits (fields left out stay); the gateways apply it within CATALOG_REFRESH_MS. */
  async update(
    id: string,
    changes: Partial<ClientKeyLimits> & { name?: string },
    actor: string,
  ): Promise<ClientKeyView> {
    const existing = /^[0-9a-f-]{36}$/i.test(id) ? await this.repository.findById(id) : null;
    if (!existing) throw new ClientKeyNotFoundError(id);
    const row = await this.repository.update(id, changes);
    await this.audit.record({
      actor,
      action: 'client_key.update',
      targetType: 'client_api_key',
      targetId: id,
      details: { prefix: row.keyPrefix, ...changes },
    });
    return toView(row);
  }

  async list(includeRevoked: boolean): Promise<ClientKeyView[]> {
    const rows = await this.repository.findMany(includeRevoked);
    return rows.map(toView);
  }

  async revoke(id: string, actor: string): Promise<ClientKeyView> {
    const existing = /^[0-9a-f-]{36}$/i.test(id) ? await this.repository.findById(id) : null;
    if (!existing) throw new ClientKeyNotFoundError(id);
    const row = existing.revokedAt ? existing : await this.repository.revoke(id);
    await this.audit.record({
      actor,
      action: 'client_key.revoke',
      targetType: 'client_api_key',
      targetId: id,
      details: { prefix: row.keyPrefix },
    });
    return toView(row);
  }
}
