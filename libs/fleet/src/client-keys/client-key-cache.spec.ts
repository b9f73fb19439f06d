import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Logger } from '@nestjs/common';
import { type ClientApiKey, Prisma } from '@switchboard/database';
import type { AppConfig } from '@switchboard/kernel';
import type { AuditEntry, AuditRepository } from '../audit/audit.repository.js';
import { ClientKeyCache, type ClientIdentity } from './client-key-cache.js';
import { NO_LIMITS } from './client-key-limits.js';
import type { ActiveClientKey, ClientKeysRepository, NewClientKey } from './client-keys.repository.js';
import { ClientKeysService, hashClientKey } from './client-keys.service.js';

Logger.overrideLogger(false);

const REFRESH_MS = 1_000;

/** The client_api_keys table in memory; `failure` makes every call fail (Postgres away). */
class FakeClientKeysRepository {
  rows: ClientApiKey[] = [];
  failure: Error | undefined;
  lookups = 0;
  /** Set to make the next create lose a race: the row appears, the insert fails as a duplicate. */
  raceOnCreate = false;

  async create(data: NewClientKey): Promise<ClientApiKey> {
    this.check();
    const row = {
      id: randomUUID(),
      ...data,
      createdAt: new Date(),
      revokedAt: null,
      lastUsedAt: null,
    } as unknown as ClientApiKey;
    if (this.raceOnCreate) {
      this.raceOnCreate = false;
      this.rows.push(row);
    }
    if (this.rows.some((existing) => existing.keyHash === data.keyHash)) {
      throw new Prisma.PrismaClientKnownRequestError('Unique constraint failed on the fields: (`key_hash`)', {
        code: 'P2002',
        clientVersion: 'spec',
      });
    }
    this.rows.push(row);
    return row;
  }

  async findMany(includeRevoked: boolean): Promise<ClientApiKey[]> {
    this.check();
    return this.rows.filter((row) => includeRevoked || !row.revokedAt);
  }

  async findById(id: string): Promise<ClientApiKey | null> {
    this.check();
    return this.rows.find((row) => row.id === id) ?? null;
  }

  async findByHash(keyHash: string): Promise<ClientApiKey | null> {
    this.lookups += 1;
    this.check();
    return this.rows.find((row) => row.keyHash === keyHash) ?? null;
  }

  async findActive(): Promise<ActiveClientKey[]> {
    this.check();
    return this.rows.filter((row) => !row.revokedAt);
  }

  async countActive(): Promise<number> {
    this.check();
    return this.rows.filter((row) => !row.revokedAt).length;
  }

  async revoke(id: string, at = new Date()): Promise<ClientApiKey> {
    this.check();
    const row = this.rows.find((candidate) => candidate.id === id)!;
    row.revokedAt = at;
    return row;
  }

  async markUsed(ids: readonly string[], at = new Date()): Promise<void> {
    this.check();
    for (const row of this.rows) if (ids.includes(row.id)) row.lastUsedAt = at;
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

class FakeAuditRepository {
  entries: AuditEntry[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }
}

function identity(id: string, name: string, rateLimitRpm: number | null = null): ClientIdentity {
  return { id, name, ...NO_LIMITS, rateLimitRpm, expiresAt: null };
}

/** Lets the reload the interval started (and what it chains) finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ClientKeyCache', () => {
  let repository: FakeClientKeysRepository;
  let keys: ClientKeysService;
  let cache: ClientKeyCache;
  let config: AppConfig;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: Date.parse('2026-01-01T00:00:00Z') });
    repository = new FakeClientKeysRepository();
    keys = new ClientKeysService(
      repository as unknown as ClientKeysRepository,
      new FakeAuditRepository() as unknown as AuditRepository,
    );
    config = { CATALOG_REFRESH_MS: REFRESH_MS } as AppConfig;
    cache = new ClientKeyCache(repository as unknown as ClientKeysRepository, keys, config);
  });

  afterEach(() => {
    cache.onApplicationShutdown();
    mock.timers.reset();
    mock.restoreAll();
  });

  it('authenticates the keys that exist at start-up from memory', async () => {
    const { key, view } = await keys.create('team-a', { rateLimitRpm: 600 }, 'spec');
    await cache.onModuleInit();

    assert.deepEqual(cache.authenticate(key), identity(view.id, 'team-a', 600));
    assert.equal(repository.lookups, 0);
  });

  it('accepts a key created after start-up at once, looked up once and then served from memory', async () => {
    await cache.onModuleInit();
    const { key, view } = await keys.create('created-later', {}, 'spec');
    const expected: ClientIdentity = identity(view.id, 'created-later');

    const [first, concurrent] = await Promise.all([cache.authenticate(key), cache.authenticate(key)]);
    assert.deepEqual(first, expected);
    assert.deepEqual(concurrent, expected);
    assert.equal(repository.lookups, 1, 'concurrent requests with a new key share one lookup');

    assert.deepEqual(cache.authenticate(key), expected);
    assert.equal(repository.lookups, 1);
  });

  it('refuses an unknown key and remembers it for a few seconds, so bad keys do not each query Postgres', async () => {
    await cache.onModuleInit();

    assert.equal(await cache.authenticate('sb-not-a-key'), undefined);
    assert.equal(await cache.authenticate('sb-not-a-key'), undefined);
    assert.equal(repository.lookups, 1);

    mock.timers.tick(4_000);
    assert.equal(await cache.authenticate('sb-not-a-key'), undefined);
    assert.equal(repository.lookups, 1);

    // Past the negative TTL the key is looked up again (it may have been created meanwhile).
    mock.timers.tick(1_001);
    assert.equal(await cache.authenticate('sb-not-a-key'), undefined);
    assert.equal(repository.lookups, 2);
  });

  it('drops a revoked key at the next reload', async () => {
    const { key, view } = await keys.create('to-revoke', {}, 'spec');
    await cache.onModuleInit();
    assert.ok(cache.authenticate(key));

    await keys.revoke(view.id, 'spec');
    mock.timers.tick(REFRESH_MS);
    await settle();

    assert.equal(await cache.authenticate(key), undefined);
    // The lookup a refused key gets finds the revoked row and keeps refusing it.
    assert.equal(await cache.authenticate(key), undefined);
  });

  it('records lastUsedAt of the keys used since the last reload', async () => {
    const { key, view } = await keys.create('used', {}, 'spec');
    const idle = await keys.create('idle', {}, 'spec');
    await cache.onModuleInit();

    cache.authenticate(key);
    mock.timers.tick(REFRESH_MS);
    await settle();

    assert.equal(
      repository.rows.find((row) => row.id === view.id)?.lastUsedAt?.toISOString(),
      '2026-01-01T00:00:01.000Z',
    );
    assert.equal(repository.rows.find((row) => row.id === idle.view.id)?.lastUsedAt, null);
  });

  it('keeps the keys in memory working while Postgres is away, and says so in lastError', async () => {
    const { key, view } = await keys.create('known', {}, 'spec');
    await cache.onModuleInit();
    assert.ok(cache.loadedAt > 0);

    repository.failure = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    mock.timers.tick(REFRESH_MS);
    await settle();

    assert.equal(cache.lastError, 'connect ECONNREFUSED 127.0.0.1:5432');
    assert.deepEqual(cache.authenticate(key), identity(view.id, 'known'));
    assert.equal(await cache.authenticate('sb-unknown-while-away'), undefined);

    repository.failure = undefined;
    mock.timers.tick(REFRESH_MS);
    await settle();
    assert.equal(cache.lastError, undefined);
  });

  it('creates the configured bootstrap key once, and takes one another replica created at the same moment', async () => {
    const preset = 'sb-bootstrap-key-for-the-spec-0001';
    config.BOOTSTRAP_CLIENT_KEY = preset;
    config.BOOTSTRAP_CLIENT_KEY_RPM = 60;
    await cache.onModuleInit();

    await cache.onApplicationBootstrap();
    await cache.onApplicationBootstrap();
    assert.equal(repository.rows.length, 1);
    assert.deepEqual(cache.authenticate(preset), identity(repository.rows[0]!.id, 'bootstrap', 60));

    // Another replica: its check saw no key, then lost the insert race (unique hash).
    const other = new ClientKeyCache(repository as unknown as ClientKeysRepository, keys, {
      ...config,
      BOOTSTRAP_CLIENT_KEY: 'sb-bootstrap-key-for-the-spec-0002',
    } as AppConfig);
    repository.raceOnCreate = true;
    const errors = mock.method(Logger.prototype, 'error', () => undefined);
    await other.onApplicationBootstrap();
    other.onApplicationShutdown();
    assert.equal(errors.mock.callCount(), 0, 'losing the race is not an error');
    assert.equal(
      repository.rows.filter((row) => row.keyHash === hashClientKey('sb-bootstrap-key-for-the-spec-0002')).length,
      1,
    );
    assert.ok(other.authenticate('sb-bootstrap-key-for-the-spec-0002'));
  });
});
