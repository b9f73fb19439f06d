import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { ProviderInstance } from '@switchboard/database';
import { type AppConfig, MetricsService } from '@switchboard/kernel';
import type { ProviderClient } from '@switchboard/providers';
import type { InstanceCredentials } from '../credentials/instance-credentials.js';
import type { InstanceRegistry } from '../registration/instance-registry.js';
import type { HealthStore } from './health-store.js';
import { InstanceProber } from './instance-prober.js';

const PROBE_INTERVAL_MS = 5_000;
const config = {
  PROBE_INTERVAL_MS,
  PROBE_TIMEOUT_MS: 1_000,
  HEALTH_WARN_AFTER_FAILURES: 1,
  HEALTH_CRITICAL_AFTER_FAILURES: 3,
  HEALTH_RECOVER_AFTER_SUCCESSES: 2,
} as AppConfig;

/** The prober with every collaborator but the metrics faked: each probe succeeds while `upstream.up`. */
function proberWith(metrics: MetricsService, upstream: { up: boolean }): InstanceProber {
  const client = {
    probe: async () => {
      if (!upstream.up) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      return { latencyMs: 12 };
    },
  } as unknown as ProviderClient;
  const credentials = { resolve: () => ({ apiKey: 'sk-spec' }) } as unknown as InstanceCredentials;
  const registry = { updateCheck: async () => undefined } as unknown as InstanceRegistry;
  const store = {
    read: async () => undefined,
    record: async () => ({}),
  } as unknown as HealthStore;
  return new InstanceProber(client, credentials, registry, store, config, metrics);
}

function instance(id: string, name: string): ProviderInstance {
  return { id, name, provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', extraHeaders: {} } as ProviderInstance;
}

/** The switchboard_instance_health lines of a scrape, as `name value`. */
async function healthSeries(metrics: MetricsService): Promise<string[]> {
  const text = await metrics.render();
  return [...text.matchAll(/^switchboard_instance_health\{[^}]*instance="([^"]+)"[^}]*\} (\d+)$/gm)].map(
    (match) => `${match[1]} ${match[2]}`,
  );
}

describe('InstanceProber: switchboard_instance_health', () => {
  let metrics: MetricsService;
  let upstream: { up: boolean };
  let prober: InstanceProber;

  beforeEach(() => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    metrics = new MetricsService('spec');
    upstream = { up: true };
    prober = proberWith(metrics, upstream);
  });

  afterEach(() => {
    mock.timers.reset();
  });

  it('reports each probed instance by name: 0 passing, 1 warning, 2 critical', async () => {
    const eu = instance('id-eu', 'openai-eu');
    await prober.probe(eu);
    assert.deepEqual(await healthSeries(metrics), ['openai-eu 0']);
    upstream.up = false;
    await prober.probe(eu);
    assert.deepEqual(await healthSeries(metrics), ['openai-eu 1']);
    await prober.probe(eu);
    await prober.probe(eu);
    assert.deepEqual(await healthSeries(metrics), ['openai-eu 2']);
    assert.doesNotMatch(await metrics.render(), /id-eu/, 'the id is not a label');
  });

  it('stays critical for as long as the probes keep failing, not only when the status changes', async () => {
    const eu = instance('id-eu', 'openai-eu');
    upstream.up = false;
    for (let probe = 0; probe < 6; probe += 1) {
      await prober.probe(eu);
      mock.timers.tick(PROBE_INTERVAL_MS);
    }
    assert.deepEqual(await healthSeries(metrics), ['openai-eu 2']);
  });

  it('drops a deleted instance, and the old name of a renamed one', async () => {
    await prober.probe(instance('id-eu', 'openai-eu'));
    await prober.probe(instance('id-us', 'openai-us'));
    await prober.probe(instance('id-us', 'openai-us-east'));
    prober.forget('id-eu');
    assert.deepEqual(await healthSeries(metrics), ['openai-us-east 0']);
  });

  it('drops an instance this replica stopped probing once a check TTL has passed', async () => {
    await prober.probe(instance('id-eu', 'openai-eu'));
    mock.timers.tick(3 * PROBE_INTERVAL_MS);
    assert.deepEqual(await healthSeries(metrics), ['openai-eu 0'], 'still within the TTL of its check');
    mock.timers.tick(1);
    assert.deepEqual(await healthSeries(metrics), []);
  });
});
