import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppConfig, MetricsService, seededRandom } from '@switchboard/kernel';
import type { RoutingPolicyStore } from '../policy/routing-policy.store.js';
import { InstanceCircuits } from '../resilience/instance-circuits.js';
import { type CatalogInstance, InstanceTable } from '../table/instance-table.js';
import type { RedisEventsFeed } from '../table/redis-events-feed.js';
import { InstanceBalancer } from './instance-balancer.js';
import { EXACT_POOL_LIMIT, SUMMARY_MAX_AGE_MS } from './pool-sampler.js';
import { type BalancingStrategy, STRATEGIES } from './strategies.js';

const POOL = 'openai/gpt-4o';
/** Large enough to be balanced through the pool index and sampling rather than a whole look per pick. */
const LARGE = EXACT_POOL_LIMIT * 3;
// Circuits note their transitions on the wall clock, so the spec's time starts there.
const T0 = Date.now();

const row = (index: number, fields: Partial<CatalogInstance> = {}): CatalogInstance => ({
  id: `i-${String(index).padStart(4, '0')}`,
  name: `i-${index}`,
  provider: 'openai',
  models: ['gpt-4o'],
  baseUrl: `https://i-${index}.example`,
  weight: 1,
  priority: 0,
  draining: false,
  maxConcurrency: null,
  timeouts: { requestMs: 1_000, firstTokenMs: 1_000, idleMs: 1_000 },
  ...fields,
});

function harness(rows: CatalogInstance[]) {
  const config = new AppConfig();
  const metrics = new MetricsService('test');
  const table = new InstanceTable();
  table.replaceCatalog(rows);
  for (const entry of rows) table.setProbeMetrics(entry.id, { status: 'passing', score: 1, latencyEwmaMs: 100 }, T0);
  const events = { publishCircuit: () => undefined, onCircuitEvent: () => undefined } as unknown as RedisEventsFeed;
  const circuits = new InstanceCircuits(config, table, events, metrics);
  const policies = { policy: { balancing: { strategy: 'health_based', pools: {} } } } as unknown as RoutingPolicyStore;
  const balancer = new InstanceBalancer(table, circuits, policies, metrics);
  const random = seededRandom(11);
  const pick = (strategy: BalancingStrategy, now = T0, exclude: ReadonlySet<string> = new Set()) =>
    balancer.select(POOL, exclude, strategy, now, random)?.id;
  return { table, circuits, balancer, pick };
}

const rows = (count: number, fields: (index: number) => Partial<CatalogInstance> = () => ({})) =>
  Array.from({ length: count }, (_, index) => row(index, fields(index)));

describe('InstanceBalancer on a large pool', () => {
  it('every strategy finds the one usable member among many unusable ones', () => {
    const { table, pick } = harness(rows(LARGE, (index) => ({ draining: index !== 150 })));
    for (const strategy of STRATEGIES) assert.equal(pick(strategy), 'i-0150', strategy);
    table.setConsulStatus('i-0150', 'critical', false, T0 + 1);
    for (const strategy of STRATEGIES) assert.equal(pick(strategy, T0 + 2), undefined, strategy);
  });

  it('prefers the best priority tier and falls back to the next when it has nobody usable', () => {
    const { table, pick } = harness(rows(LARGE, (index) => ({ priority: index < 10 ? 1 : 5 })));
    for (const strategy of STRATEGIES) assert.match(pick(strategy)!, /^i-000\d$/, strategy);
    for (let index = 0; index < 10; index += 1)
      table.setConsulStatus(`i-${String(index).padStart(4, '0')}`, 'critical', false, T0 + 1);
    for (const strategy of STRATEGIES) assert.doesNotMatch(pick(strategy, T0 + 2)!, /^i-000\d$/, strategy);
  });

  it('sees a table change at the next pick: health, draining, cool-downs and a new catalog', () => {
    const { table, pick } = harness(rows(LARGE));
    assert.equal(pick('first'), 'i-0000');
    table.setConsulStatus('i-0000', 'critical', false, T0 + 1);
    assert.equal(pick('first', T0 + 2), 'i-0001', 'a critical check counts at once');
    table.setConsulStatus('i-0001', 'passing', true, T0 + 3);
    assert.equal(pick('first', T0 + 4), 'i-0002', 'draining counts at once');
    table.coolDown(table.get('i-0002')!, T0 + 60_000);
    assert.equal(pick('first', T0 + 5), 'i-0003', 'a Retry-After cool-down counts at once');
    table.replaceCatalog([row(LARGE + 1, { id: 'a-new' }), ...rows(LARGE)]);
    assert.equal(pick('first', T0 + 6), 'a-new', 'a new catalog is a new pool index');
    table.replaceCatalog(rows(LARGE).slice(10));
    assert.equal(pick('first', T0 + 7), 'i-0010', 'removed instances are gone from the index');
  });

  it('a member over its concurrency cap is passed over until a slot frees', () => {
    const { table, pick } = harness(rows(LARGE, () => ({ maxConcurrency: 1 })));
    table.get('i-0000')!.observed.inFlight = 1;
    assert.equal(pick('first'), 'i-0001');
    table.get('i-0000')!.observed.inFlight = 0;
    assert.equal(pick('first'), 'i-0000');
  });

  it('round_robin visits every usable member once per turn, skipping the unusable', () => {
    const { pick } = harness(rows(LARGE, (index) => ({ draining: index % 2 === 1 })));
    const seen = Array.from({ length: LARGE / 2 }, () => pick('round_robin')!);
    assert.equal(new Set(seen).size, LARGE / 2);
    assert.ok(seen.every((id) => Number(id.slice(2)) % 2 === 0));
  });

  it('random and health_weighted spread by weight and health like the exact strategies', () => {
    const { table, pick } = harness(rows(LARGE, (index) => ({ weight: index === 0 ? LARGE : 1 })));
    const share = (strategy: BalancingStrategy, id: string, draws = 4_000) => {
      let hits = 0;
      for (let draw = 0; draw < draws; draw += 1) if (pick(strategy) === id) hits += 1;
      return hits / draws;
    };
    assert.ok(Math.abs(share('random', 'i-0000') - 1 / LARGE) < 0.01, 'random ignores weight');
    // i-0000 carries half the pool's weight; a warning status quarters its share.
    assert.ok(Math.abs(share('health_weighted', 'i-0000') - 0.5) < 0.04);
    table.setProbeMetrics('i-0000', { status: 'warning', score: 1, latencyEwmaMs: 100 }, T0 + 1);
    table.setConsulStatus('i-0000', 'warning', false, T0 + 1);
    assert.ok(Math.abs(share('health_weighted', 'i-0000') - 0.25 / 1.25) < 0.04);
  });

  it('a half-open member gets the trial request first', () => {
    const { circuits, table, pick } = harness(rows(LARGE));
    const instance = table.get('i-0100')!;
    circuits.trip(instance, T0, 'test');
    for (const strategy of STRATEGIES) assert.notEqual(pick(strategy, T0 + 1), 'i-0100', `${strategy}: open`);
    const halfOpen = T0 + circuits.options.coolDownMs + 1;
    for (const strategy of STRATEGIES) assert.equal(pick(strategy, halfOpen), 'i-0100', `${strategy}: trial`);
  });

  it('health_based serves the healthiest and sees a health change within its summary refresh', () => {
    const { table, pick } = harness(rows(LARGE));
    for (let index = 1; index < LARGE; index += 1)
      table.setProbeMetrics(
        `i-${String(index).padStart(4, '0')}`,
        { status: 'passing', score: 0.5, latencyEwmaMs: 100 },
        T0,
      );
    assert.equal(pick('health_based', T0 + 1), 'i-0000');
    table.setProbeMetrics('i-0000', { status: 'passing', score: 0.4, latencyEwmaMs: 100 }, T0 + 2);
    table.setProbeMetrics('i-0007', { status: 'passing', score: 1, latencyEwmaMs: 100 }, T0 + 2);
    const later = T0 + 2 + SUMMARY_MAX_AGE_MS;
    assert.equal(pick('health_based', later), 'i-0007');
    table.setConsulStatus('i-0007', 'critical', false, later + 1);
    table.setProbeMetrics('i-0007', { status: 'critical', score: 0, latencyEwmaMs: 100 }, later + 1);
    assert.notEqual(pick('health_based', later + 2), 'i-0007', 'critical counts at the very next pick');
  });

  it('honours the exclusion list (instances already tried) and says so when everyone was tried', () => {
    const { pick } = harness(rows(LARGE));
    const tried = new Set(rows(LARGE).map((entry) => entry.id));
    tried.delete('i-0042');
    for (const strategy of STRATEGIES) assert.equal(pick(strategy, T0, tried), 'i-0042', strategy);
    tried.add('i-0042');
    for (const strategy of STRATEGIES) assert.equal(pick(strategy, T0, tried), undefined, strategy);
  });

  it('usableCount counts the members that could take a request now', () => {
    const { balancer } = harness(rows(LARGE, (index) => ({ draining: index < 10 })));
    assert.equal(balancer.usableCount(POOL, T0), LARGE - 10);
  });
});
