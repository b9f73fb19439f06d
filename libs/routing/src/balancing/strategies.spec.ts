import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BalancerState, demoteLatencyOutliers, type PoolMember, selectMember, STRATEGIES } from './strategies.js';
import { seededRandom } from '@switchboard/kernel';

const member = (id: string, overrides: Partial<PoolMember> = {}): PoolMember => ({
  id,
  weight: 100,
  priority: 0,
  draining: false,
  status: 'passing',
  healthScore: 1,
  latencyEwmaMs: 100,
  inFlight: 0,
  maxConcurrency: null,
  circuitAllows: true,
  ...overrides,
});

function distribution(
  members: PoolMember[],
  strategy: (typeof STRATEGIES)[number],
  draws = 20_000,
  seed = 7,
): Record<string, number> {
  const state = new BalancerState();
  const random = seededRandom(seed);
  const counts: Record<string, number> = Object.fromEntries(members.map((entry) => [entry.id, 0]));
  for (let draw = 0; draw < draws; draw += 1) counts[selectMember('pool', members, strategy, state, random)!.id]! += 1;
  return Object.fromEntries(Object.entries(counts).map(([id, count]) => [id, count / draws]));
}

const near = (actual: number, expected: number, tolerance = 0.02) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual.toFixed(4)} is not within ${tolerance} of ${expected}`);

describe('selectMember', () => {
  const three = [member('a'), member('b'), member('c')];

  it('every strategy skips draining, critical, open-circuit, saturated and over-rate members', () => {
    const pool = [
      member('drain', { draining: true }),
      member('crit', { status: 'critical' }),
      member('open', { circuitAllows: false }),
      member('full', { maxConcurrency: 2, inFlight: 2 }),
      member('over-rate', { withinRate: false }),
      member('ok'),
    ];
    for (const strategy of STRATEGIES)
      assert.equal(selectMember('p', pool, strategy, new BalancerState(), seededRandom(1))?.id, 'ok', strategy);
    assert.equal(selectMember('p', pool.slice(0, 4), 'random', new BalancerState()), undefined);
  });

  it('prefers the best priority tier and falls back to the next when it is unusable', () => {
    const pool = [member('backup', { priority: 5 }), member('primary', { priority: 1 })];
    for (const strategy of STRATEGIES)
      assert.equal(selectMember('p', pool, strategy, new BalancerState(), seededRandom(2))?.id, 'primary');
    assert.equal(
      selectMember(
        'p',
        [member('backup', { priority: 5 }), member('primary', { priority: 1, status: 'critical' })],
        'first',
        new BalancerState(),
      )?.id,
      'backup',
    );
  });

  it('round_robin cycles through the pool evenly', () => {
    const state = new BalancerState();
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map(() => selectMember('p', three, 'round_robin', state)!.id),
      ['a', 'b', 'c', 'a', 'b', 'c'],
    );
  });

  it('random is uniform', () => {
    for (const share of Object.values(distribution(three, 'random'))) near(share, 1 / 3);
  });

  it('health_weighted follows weight times score, and discounts warning members', () => {
    const shares = distribution(
      [member('a', { weight: 300 }), member('b', { weight: 100 }), member('c', { weight: 100, healthScore: 0.5 })],
      'health_weighted',
    );
    near(shares.a!, 300 / 450);
    near(shares.b!, 100 / 450);
    near(shares.c!, 50 / 450);
    const warned = distribution([member('a'), member('b', { status: 'warning' })], 'health_weighted');
    near(warned.b!, 25 / 125);
  });

  it('health_based sends everything to the healthiest, sharing between equals', () => {
    const shares = distribution(
      [
        member('a', { healthScore: 0.9 }),
        member('b', { healthScore: 0.6 }),
        member('c', { status: 'warning', healthScore: 0.95 }),
      ],
      'health_based',
      1_000,
    );
    assert.equal(shares.a, 1);
    const tied = distribution([member('a'), member('b')], 'health_based', 1_000);
    near(tied.a!, 0.5, 0.001);
    // Scores a probe's latency jitter apart are equals, not a winner and a loser.
    const close = distribution(
      [member('a', { healthScore: 0.99 }), member('b', { healthScore: 0.97 })],
      'health_based',
      1_000,
    );
    near(close.a!, 0.5, 0.001);
  });

  it('health_based prefers the clearly faster of healthy members', () => {
    const shares = distribution(
      [member('fast', { latencyEwmaMs: 5 }), member('slow', { latencyEwmaMs: 155, healthScore: 0.93 })],
      'health_based',
      1_000,
    );
    assert.equal(shares.fast, 1);
  });

  it('health_based shares with a member whose probe window still remembers a short outage', () => {
    // After flapping, 17 of 20 probes good: 0.83 against 0.97. It is healthy again and must not starve.
    const shares = distribution(
      [member('steady', { healthScore: 0.97 }), member('recovered', { healthScore: 0.83 })],
      'health_based',
      1_000,
    );
    near(shares.recovered!, 0.5, 0.001);
  });

  it('a passing member far slower than its pool is a latency outlier: served only when nothing better is', () => {
    const pool = [
      member('a', { latencyEwmaMs: 200 }),
      member('b', { latencyEwmaMs: 250 }),
      member('slow', { latencyEwmaMs: 2_400, healthScore: 0.99 }),
    ];
    assert.equal(distribution(pool, 'health_based', 1_000).slow, 0);
    assert.ok(distribution(pool, 'health_weighted').slow! < 0.12, 'weighted as warning (a quarter)');
    // Two members are no crowd to compare against; and a modest lag is no outlier.
    assert.equal(demoteLatencyOutliers(pool.slice(1)).at(-1)!.status, 'passing');
    const modest = demoteLatencyOutliers([
      member('a', { latencyEwmaMs: 100 }),
      member('b', { latencyEwmaMs: 110 }),
      member('c', { latencyEwmaMs: 400 }),
    ]);
    assert.equal(modest[2]!.status, 'passing', '400 ms is not 500 ms above a median of 110 ms');
    const alone = selectMember('p', [member('slow', { latencyEwmaMs: 5_000 })], 'health_based', new BalancerState());
    assert.equal(alone?.id, 'slow', 'an outlier still serves when it is all there is');
  });

  it('a half-open member gets the trial request even when the others are healthy', () => {
    for (const strategy of STRATEGIES) {
      const pick = selectMember(
        'p',
        [member('a'), member('b', { trialDue: true, healthScore: 0.5 }), member('c')],
        strategy,
        new BalancerState(),
        seededRandom(3),
      );
      assert.equal(pick?.id, 'b', strategy);
    }
  });

  it('a member ramping up after a recovery takes a share in proportion to its ramp', () => {
    const ramping = distribution([member('a'), member('b'), member('new', { ramp: 0.1 })], 'health_based');
    near(ramping.new!, 0.1 / 2.1);
    const weighted = distribution([member('a'), member('new', { ramp: 0.5 })], 'health_weighted');
    near(weighted.new!, 0.5 / 1.5);
  });

  it('least_connections picks the least loaded relative to weight', () => {
    const pick = selectMember(
      'p',
      [member('a', { inFlight: 5 }), member('b', { inFlight: 2 }), member('c', { inFlight: 4, weight: 400 })],
      'least_connections',
      new BalancerState(),
    );
    assert.equal(pick?.id, 'c', '4/400 is the lightest load');
  });

  it('latency (power of two choices) favours the fast member but keeps probing the others', () => {
    const shares = distribution(
      [
        member('fast', { latencyEwmaMs: 50 }),
        member('mid', { latencyEwmaMs: 200 }),
        member('slow', { latencyEwmaMs: 900 }),
      ],
      'latency',
    );
    // With two distinct draws from three, the fastest wins whenever it is drawn (2/3), the slowest never.
    near(shares.fast!, 2 / 3);
    near(shares.mid!, 1 / 3);
    assert.equal(shares.slow, 0);
  });

  it('first always takes the first usable member in id order', () => {
    assert.equal(distribution(three, 'first', 100).a, 1);
  });

  it('honours an exclusion list (instances already tried)', () => {
    assert.equal(selectMember('p', three, 'first', new BalancerState(), Math.random, new Set(['a', 'b']))?.id, 'c');
  });
});
