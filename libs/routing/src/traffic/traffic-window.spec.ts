import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bucketOf,
  histogramQuantile,
  InstanceTraffic,
  LATENCY_BOUNDS_MS,
  liveFields,
  parseLive,
  parseSlot,
  slotStart,
  TRAFFIC_SLOTS,
  windowSlots,
} from './traffic-window.js';

function histogram(values: number[]): Uint32Array {
  const traffic = new InstanceTraffic();
  for (const value of values) traffic.latency[bucketOf(value)]! += 1;
  return traffic.latency;
}

describe('traffic window', () => {
  test('slots are 10 s apart and the window ends with the current one', () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 7, 500);
    const slots = windowSlots(now);
    assert.equal(slots.length, TRAFFIC_SLOTS);
    assert.equal(slots.at(-1), slotStart(now));
    assert.equal(slots.at(-1)! - slots[0]!, 290);
  });

  test('a quantile falls in the right bucket and is interpolated inside it', () => {
    assert.equal(histogramQuantile(histogram([]), 0.5), undefined);
    // 100 values of 30 ms: all in the (25, 50] bucket; the median is interpolated halfway.
    assert.equal(histogramQuantile(histogram(Array(100).fill(30)), 0.5), 37.5);
    const mixed = histogram([...Array(90).fill(3), ...Array(10).fill(700)]);
    assert.ok(histogramQuantile(mixed, 0.5)! <= 5);
    const p95 = histogramQuantile(mixed, 0.95)!;
    assert.ok(p95 > 500 && p95 <= 1_000, `p95 ${p95}`);
    // Beyond the last bound all we know is "slower than that".
    assert.equal(histogramQuantile(histogram([120_000]), 0.99), LATENCY_BOUNDS_MS.at(-1));
  });

  test('counts written as hash fields read back the same, summed over writers', () => {
    const first = new InstanceTraffic();
    first.requests = 3;
    first.errors = 1;
    first.retries = 1;
    first.latency[bucketOf(12)] = 3;
    first.firstToken[bucketOf(40)] = 2;
    const hash: Record<string, string> = {};
    // Two replicas wrote the same counts: HINCRBY adds them up.
    for (let writer = 0; writer < 2; writer += 1)
      for (const [field, value] of first.fields('i-1')) hash[field] = String(Number(hash[field] ?? 0) + value);
    hash['fb|openai|claude'] = '4';
    hash.garbage = 'x';
    const slot = parseSlot(hash);
    const read = slot.instances.get('i-1')!;
    assert.equal(read.requests, 6);
    assert.equal(read.errors, 2);
    assert.equal(read.retries, 2);
    assert.equal(read.latency[bucketOf(12)], 6);
    assert.equal(read.firstToken[bucketOf(40)], 4);
    assert.equal(slot.fallbacks.get('openai|claude'), 4);
    assert.equal(slot.instances.size, 1);
  });

  test('only non-zero counts become fields: most buckets of most instances are empty', () => {
    const traffic = new InstanceTraffic();
    traffic.requests = 1;
    traffic.latency[bucketOf(1.5)] = 1;
    assert.deepEqual(traffic.fields('x'), [
      ['x|req', 1],
      ['x|lat1', 1],
    ]);
  });

  test("a replica's live snapshot round-trips, and a malformed circuit field is skipped", () => {
    const fields = liveFields({
      replicaId: 'gw-1',
      inFlight: new Map([
        ['a', 2],
        ['b', 0],
      ]),
      circuits: new Map([['a', { state: 'open' as const, sinceMs: 1_000, reason: 'server_error: boom' }]]),
    });
    assert.equal(fields['b|inflight'], undefined, 'idle instances are not written');
    const live = parseLive('gw-1', { ...fields, 'c|circuit': '{not json' });
    assert.equal(live.inFlight.get('a'), 2);
    assert.deepEqual(live.circuits.get('a'), { state: 'open', sinceMs: 1_000, reason: 'server_error: boom' });
    assert.equal(live.circuits.has('c'), false);
  });
});
