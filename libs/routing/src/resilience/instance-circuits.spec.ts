import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppConfig, MetricsService } from '@switchboard/kernel';
import { type CatalogInstance, InstanceTable } from '../table/instance-table.js';
import type { RedisEventsFeed } from '../table/redis-events-feed.js';
import { InstanceCircuits } from './instance-circuits.js';

const row = (id: string): CatalogInstance => ({
  id,
  name: id,
  provider: 'openai',
  models: ['gpt-4o'],
  baseUrl: `http://${id}.test/v1`,
  weight: 100,
  priority: 0,
  draining: false,
  maxConcurrency: null,
  timeouts: { requestMs: 1_000, firstTokenMs: 1_000, idleMs: 1_000 },
});

test('a circuit says since when (the caller’s clock) and why it left closed, and goes with its instance', () => {
  const config = Object.assign(new AppConfig(), { CIRCUIT_FAILURE_THRESHOLD: 2, CIRCUIT_COOL_DOWN_MS: 60_000 });
  const table = new InstanceTable();
  table.replaceCatalog([row('a'), row('b')]);
  const events = { publishCircuit: () => undefined, onCircuitEvent: () => undefined } as unknown as RedisEventsFeed;
  const circuits = new InstanceCircuits(config, table, events, new MetricsService('test'));
  circuits.onModuleInit();
  const a = table.get('a')!;
  const at = 1_000_000;
  circuits.onFailure(a, at, 'server_error: first');
  circuits.onFailure(a, at + 5, 'server_error: second');
  assert.deepEqual(circuits.unclosedDetails(at + 10).get('a'), {
    state: 'open',
    sinceMs: at + 5,
    reason: 'server_error: second',
  });
  assert.equal(circuits.unclosedDetails(at + 10).has('b'), false);
  table.replaceCatalog([row('b')]);
  assert.equal(circuits.unclosedDetails(at + 10).size, 0, 'a deleted instance leaves no circuit behind');
  assert.equal(circuits.state('a', at + 10), 'closed');
});
