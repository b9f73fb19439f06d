import { Injectable } from '@nestjs/common';
import { type ClientApiKey, PrismaService } from '@switchboard/database';
import type { ClientKeyLimits } from './client-key-limits.js';

/** What a new key row is made of; the key itself is never stored, only its hash. */
export interface NewClientKey extends ClientKeyLimits {
  name: string;
  keyHash: string;
  keyPrefix: string;
}

/** An active key's row: authentication needs its hash and its limits. */
export type ActiveClientKey = ClientApiKey;

/** Client API keys in Postgres. */
@Injectable()
export class ClientKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Throws a unique violation (see isUniqueViolation) when a key with that hash exists. */
  create(data: NewClientKey): Promise<ClientApiKey> {
    return this.prisma.clientApiKey.create({ data });
  }

  findMany(includeRevoked: boolean): Promise<ClientApiKey[]> {
    return this.prisma.clientApiKey.findMany({
      where: includeRevoked ? {} : { revokedAt: null },
      orderBy: { createdAt: 'asc' },
    });
  }

  findById(id: string): Promise<ClientApiKey | null> {
    return this.prisma.clientApiKey.findUnique({ where: { id } });
  }

  findByHash(keyHash: string): Promise<ClientApiKey | null> {
    return this.prisma.clientApiKey.findUnique({ where: { keyHash } });
  }

  /** Every key not revoked (expired ones included: they are refused saying so, not as unknown). */
  findActive(): Promise<ActiveClientKey[]> {
    return this.prisma.clientApiKey.findMany({ where: { revokedAt: null } });
  }

  update(id: string, data: Partial<ClientKeyLimits> & { name?: string }): Promise<ClientApiKey> {
    return this.prisma.clientApiKey.update({ where: { id }, data });
  }

  countActive(): Promise<number> {
    return this.prisma.clientApiKey.count({ where: { revokedAt: null } });
  }

  revoke(id: string, at = new Date()): Promise<ClientApiKey> {
    return this.prisma.clientApiKey.update({ where: { id }, data: { revokedAt: at } });
  }

  /** Sets lastUsedAt of several keys in one statement. */
  async markUsed(ids: readonly string[], at = new Date()): Promise<void> {
    await this.prisma.clientApiKey.updateMany({ where: { id: { in: [...ids] } }, data: { lastUsedAt: at } });
  }
}
