import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderName } from '@switchboard/providers';
import { type CatalogInstance, InstanceTable } from './instance-table.js';

function catalogRow(
  id: string,
  provider: ProviderName,
  models: string[],
  fields: Partial<CatalogInstance> = {},
): CatalogInstance {
  return {
    id,
    name: id,
    provider,
    models,
    baseUrl: `https://${id}.example`,
    weight: 100,
    priority: 0,
    draining: false,
    maxConcurrency: null,
    timeouts: { requestMs: 120_000, firstTokenMs: 30_000, idleMs: 30_000 },
    ...fields,
  };
}

const ids = (instances: Iterable<{ id: string }>) => [...instances].map((instance) => instance.id);

describe('InstanceTable', () => {
  it('groups instances into provider/model pools and knows which providers serve a model', () => {
    const table = new InstanceTable();
    table.replaceCatalog([
      catalogRow('openai-1', 'openai', ['gpt-4o', 'gpt-4o-mini']),
      catalogRow('openai-2', 'openai', ['gpt-4o']),
      catalogRow('compatible-1', 'openai_compatible', ['gpt-4o']),
      catalogRow('claude-1', 'claude', ['claude-sonnet-4-6']),
    ]);

    assert.deepEqual(table.poolNames(), [
      'claude/claude-sonnet-4-6',
      'openai/gpt-4o',
      'openai/gpt-4o-mini',
      'openai_compatible/gpt-4o',
    ]);
    assert.deepEqual(ids(table.pool('openai/gpt-4o')), ['openai-1', 'openai-2']);
    assert.deepEqual(ids(table.pool('openai/gpt-4o-mini')), ['openai-1']);
    assert.deepEqual(table.pool('zai/glm-4.6'), []);
    assert.deepEqual(table.providersServing('gpt-4o'), ['openai', 'openai_compatible']);
    assert.deepEqual(table.providersServing('glm-4.6'), []);
  });

  it('replaces the catalog: new rows added, removed ones dropped, what was learnt of those that stay kept', () => {
    const table = new InstanceTable();
    assert.equal(table.catalogLoadedAt, 0);
    let changes = 0;
    table.onChange(() => (changes += 1));
    table.replaceCatalog([catalogRow('a', 'openai', ['gpt-4o']), catalogRow('b', 'openai', ['gpt-4o'])]);
    assert.ok(table.catalogLoadedAt > 0);
    const a = table.get('a')!;
    table.setConsulStatus('a', 'passing', false, 100);
    table.setProbeMetrics('a', { status: 'passing', score: 0.9, latencyEwmaMs: 120 }, 200);
    table.observeLatency(a, 80);
    table.coolDown(a, 5_000);

    table.replaceCatalog([
      catalogRow('a', 'openai', ['gpt-4o-mini'], { weight: 50, draining: true }),
      catalogRow('c', 'openai', ['gpt-4o']),
    ]);

    assert.equal(changes, 2);
    assert.equal(table.get('b'), undefined);
    assert.deepEqual(ids(table.all()).sort(), ['a', 'c']);
    const kept = table.get('a')!;
    assert.equal(kept, a, 'the same entry, updated in place');
    assert.equal(kept.weight, 50);
    assert.ok(table.isDraining(kept));
    assert.deepEqual(kept.consul, { status: 'passing', draining: false, at: 100 });
    assert.deepEqual(kept.probe, { status: 'passing', score: 0.9, latencyEwmaMs: 120, at: 200 });
    assert.deepEqual(kept.observed, { inFlight: 0, latencyEwmaMs: 80, coolingUntil: 5_000 });
    assert.deepEqual(ids(table.pool('openai/gpt-4o-mini')), ['a']);
    assert.deepEqual(ids(table.pool('openai/gpt-4o')), ['c']);
    assert.deepEqual(table.get('c')!.observed, { inFlight: 0, coolingUntil: 0 });
  });

  it('goes by the fresher of the Consul check and the probe event; unknown is warning', () => {
    const table = new InstanceTable();
    table.replaceCatalog([catalogRow('a', 'openai', ['gpt-4o'])]);
    const a = table.get('a')!;
    assert.equal(table.statusOf(a), 'warning');
    assert.equal(table.scoreOf(a), 0.5);

    table.setConsulStatus('a', 'passing', false, 1_000);
    assert.equal(table.statusOf(a), 'passing');
    assert.equal(table.scoreOf(a), 1);

    // A newer probe event says critical: it wins over the older check.
    table.setProbeMetrics('a', { status: 'critical', score: 0.1, latencyEwmaMs: 900 }, 2_000);
    assert.equal(table.statusOf(a), 'critical');
    assert.equal(table.scoreOf(a), 0);

    // Then Consul's check turns passing again, later than the probe: the check wins.
    table.setConsulStatus('a', 'passing', false, 3_000);
    assert.equal(table.statusOf(a), 'passing');
    assert.equal(table.scoreOf(a), 1, "the probe's score describes another status, so it is not used");

    // A newer passing probe brings its own score.
    table.setProbeMetrics('a', { status: 'passing', score: 0.8, latencyEwmaMs: 150 }, 4_000);
    assert.equal(table.statusOf(a), 'passing');
    assert.equal(table.scoreOf(a), 0.8);
    assert.equal(table.latencyOf(a), 150);
    table.observeLatency(a, 100);
    table.observeLatency(a, 200);
    assert.equal(table.latencyOf(a), 0.2 * 200 + 0.8 * 100, "the gateway's own view wins over the prober's");
  });

  it('a critical check from a quiet control plane does not take out an instance live traffic proves healthy', () => {
    const table = new InstanceTable();
    table.replaceCatalog([catalogRow('a', 'openai', ['gpt-4o'])]);
    const a = table.get('a')!;
    const now = 100_000;
    table.setProbeMetrics('a', { status: 'passing', score: 1, latencyEwmaMs: 10 }, now - 60_000);
    // Nobody probed for a minute: the TTL check expired.
    table.setConsulStatus('a', 'critical', false, now - 1_000);
    assert.equal(table.statusOf(a, now), 'critical', 'no traffic evidence: the check stands');

    a.observed.lastSuccessAt = now - 2_000;
    assert.equal(table.statusOf(a, now), 'warning', 'served a moment ago: usable, just not preferred');

    a.observed.lastFailureAt = now - 500;
    assert.equal(table.statusOf(a, now), 'critical', 'its last request failed: the check stands');

    a.observed.lastFailureAt = undefined;
    table.setProbeMetrics('a', { status: 'critical', score: 0, latencyEwmaMs: 10 }, now - 1_000);
    assert.equal(table.statusOf(a, now), 'critical', 'a fresh probe that found it failing wins');
    assert.equal(table.statusOf(a, now + 60_000), 'critical', 'traffic proof runs out');
  });

  it('ignores feed updates for instances not in the catalog, and forgets Consul status of deregistered ones', () => {
    const table = new InstanceTable();
    table.replaceCatalog([
      catalogRow('a', 'openai', ['gpt-4o']),
      catalogRow('b', 'openai', ['gpt-4o']),
      catalogRow('z', 'zai', ['glm-4.6']),
    ]);
    table.setConsulStatus('unknown', 'passing', false);
    table.setProbeMetrics('unknown', { status: 'passing', score: 1, latencyEwmaMs: 1 });
    assert.equal(table.get('unknown'), undefined);

    for (const id of ['a', 'b', 'z']) table.setConsulStatus(id, 'passing', id === 'b', 1_000);
    assert.ok(table.isDraining(table.get('b')!), 'the draining tag in Consul drains too');
    table.clearConsulStatus('openai', new Set(['a']));

    assert.equal(table.get('a')!.consul?.status, 'passing');
    assert.equal(table.get('b')!.consul, undefined);
    assert.equal(table.get('z')!.consul?.status, 'passing', 'other providers are not touched');
    assert.equal(table.isDraining(table.get('b')!), false);
  });
});
