import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import type { ProviderInstance } from '@switchboard/database';
import { CredentialCipher, InstanceCredentials, type InstancesRepository } from '@switchboard/fleet';
import type { AppConfig } from '@switchboard/kernel';
import { CatalogFeed } from './catalog-feed.js';
import { InstanceTable } from './instance-table.js';

Logger.overrideLogger(false);

const cipher = new CredentialCipher({ CREDENTIALS_KEY: '0f'.repeat(32) } as AppConfig);
const ENV_KEY = 'SWITCHBOARD_PROVIDER_KEY_SPEC_CATALOG';

let sequence = 0;
function instanceRow(fields: Partial<ProviderInstance> & Pick<ProviderInstance, 'name'>): ProviderInstance {
  sequence += 1;
  return {
    id: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    provider: 'openai',
    baseUrl: `https://${fields.name}.example`,
    models: ['gpt-4o'],
    region: null,
    tags: [],
    weight: 100,
    priority: 0,
    enabled: true,
    draining: false,
    apiKeyCiphertext: cipher.encrypt(`sk-${fields.name}`),
    apiKeyEnv: null,
    apiKeyLast4: null,
    extraHeaders: {},
    maxConcurrency: null,
    rateLimitRpm: null,
    requestTimeoutMs: 120_000,
    firstTokenTimeoutMs: 30_000,
    idleTimeoutMs: 30_000,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...fields,
  };
}

/** The provider_instances table in memory; `failure` makes every read fail (Postgres away). */
class FakeInstancesRepository {
  rows: ProviderInstance[] = [];
  failure: Error | undefined;
  reads = 0;

  async findMany(filter: { enabled?: boolean } = {}): Promise<ProviderInstance[]> {
    this.reads += 1;
    if (this.failure) throw this.failure;
    return this.rows
      .filter((row) => filter.enabled === undefined || row.enabled === filter.enabled)
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

function feedOver(repository: FakeInstancesRepository, credentials = true) {
  const table = new InstanceTable();
  const config = {
    CATALOG_REFRESH_MS: 60_000,
    INSTANCE_KEY_ENV_PREFIX: 'SWITCHBOARD_PROVIDER_KEY_',
    uses: { database: true, redis: true, credentials },
  } as AppConfig;
  const feed = new CatalogFeed(
    repository as unknown as InstancesRepository,
    table,
    config,
    new InstanceCredentials(cipher, config),
  );
  return { table, feed };
}

describe('CatalogFeed', () => {
  let repository: FakeInstancesRepository;
  beforeEach(() => {
    repository = new FakeInstancesRepository();
  });
  afterEach(() => {
    delete process.env[ENV_KEY];
  });

  it('loads the enabled instances into the table at start-up, with their keys', async () => {
    process.env[ENV_KEY] = 'sk-from-environment';
    const stored = instanceRow({ name: 'openai-1', extraHeaders: { 'openai-organization': 'org-1' } });
    const fromEnvironment = instanceRow({
      name: 'claude-1',
      provider: 'claude',
      models: ['claude-sonnet-4-6'],
      apiKeyCiphertext: null,
      apiKeyEnv: ENV_KEY,
    });
    const disabled = instanceRow({ name: 'openai-2', enabled: false });
    repository.rows = [stored, fromEnvironment, disabled];
    const { table, feed } = feedOver(repository);

    await feed.onModuleInit();
    feed.onApplicationShutdown();

    assert.ok(table.catalogLoadedAt > 0);
    assert.equal(feed.lastError, undefined);
    assert.deepEqual([...table.all()].map((instance) => instance.name).sort(), ['claude-1', 'openai-1']);
    assert.deepEqual(table.get(stored.id)?.target, {
      baseUrl: 'https://openai-1.example',
      apiKey: 'sk-openai-1',
      headers: { 'openai-organization': 'org-1' },
    });
    assert.equal(table.get(fromEnvironment.id)?.target?.apiKey, 'sk-from-environment');
    assert.deepEqual(table.get(stored.id)?.timeouts, { requestMs: 120_000, firstTokenMs: 30_000, idleMs: 30_000 });
    assert.deepEqual(
      table.pool('openai/gpt-4o').map((instance) => instance.id),
      [stored.id],
    );
    assert.deepEqual(table.providersServing('claude-sonnet-4-6'), ['claude']);
  });

  it('keeps an instance whose key cannot be read in the table, without a target', async () => {
    const otherCipher = new CredentialCipher({ CREDENTIALS_KEY: '1e'.repeat(32) } as AppConfig);
    const undecryptable = instanceRow({ name: 'wrong-key', apiKeyCiphertext: otherCipher.encrypt('sk-x') });
    const unsetVariable = instanceRow({ name: 'unset-variable', apiKeyCiphertext: null, apiKeyEnv: ENV_KEY });
    const noKey = instanceRow({ name: 'no-key', apiKeyCiphertext: null });
    const fine = instanceRow({ name: 'fine' });
    repository.rows = [undecryptable, unsetVariable, noKey, fine];
    const { table, feed } = feedOver(repository);

    await feed.refresh();

    assert.equal(table.pool('openai/gpt-4o').length, 4);
    assert.equal(table.get(undecryptable.id)?.target, undefined);
    assert.equal(table.get(unsetVariable.id)?.target, undefined);
    assert.equal(table.get(noKey.id)?.target, undefined);
    assert.equal(table.get(fine.id)?.target?.apiKey, 'sk-fine');
    assert.equal(feed.lastError, undefined, 'a bad key is a problem of one instance, not of the catalog');

    // The variable set later: the next load picks the key up.
    process.env[ENV_KEY] = 'sk-late';
    await feed.refresh();
    assert.equal(table.get(unsetVariable.id)?.target?.apiKey, 'sk-late');
  });

  it('holds no credentials in apps that do not call providers', async () => {
    const row = instanceRow({ name: 'openai-1' });
    repository.rows = [row];
    const { table, feed } = feedOver(repository, false);

    await feed.refresh();

    assert.equal(table.get(row.id)?.name, 'openai-1');
    assert.equal(table.get(row.id)?.target, undefined);
  });

  it('keeps serving the last catalog when a load fails, reports lastError, and clears it on the next good load', async () => {
    const first = instanceRow({ name: 'openai-1' });
    repository.rows = [first];
    const { table, feed } = feedOver(repository);
    await feed.refresh();
    const loadedAt = table.catalogLoadedAt;

    const second = instanceRow({ name: 'openai-2' });
    repository.rows = [second];
    repository.failure = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    await feed.refresh();

    assert.equal(feed.lastError, 'connect ECONNREFUSED 127.0.0.1:5432');
    assert.deepEqual(
      [...table.all()].map((instance) => instance.id),
      [first.id],
    );
    assert.equal(table.get(first.id)?.target?.apiKey, 'sk-openai-1');
    assert.equal(table.catalogLoadedAt, loadedAt);

    repository.failure = undefined;
    await feed.refresh();

    assert.equal(feed.lastError, undefined);
    assert.deepEqual(
      [...table.all()].map((instance) => instance.id),
      [second.id],
    );
  });

  it('reports lastError when the very first load fails, leaving the table unloaded', async () => {
    repository.failure = new Error('database "switchboard" does not exist');
    const { table, feed } = feedOver(repository);

    await feed.refresh();

    assert.equal(table.catalogLoadedAt, 0);
    assert.equal(feed.lastError, 'database "switchboard" does not exist');
  });

  it('runs one load at a time: refreshes during a load share it', async () => {
    repository.rows = [instanceRow({ name: 'openai-1' })];
    const { feed } = feedOver(repository);

    await Promise.all([feed.refresh(), feed.refresh(), feed.refresh()]);

    assert.equal(repository.reads, 1);
  });
});
