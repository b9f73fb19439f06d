import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.js';

const low = () => 0;
const high = () => 0.999999;

describe('backoffDelay with equal jitter (the default)', () => {
  it('doubles its ceiling per attempt up to the cap and stays in the upper half', () => {
    assert.equal(backoffDelay(0, { initialMs: 100, maxMs: 1_000, random: low }), 50);
    assert.equal(backoffDelay(0, { initialMs: 100, maxMs: 1_000, random: high }), 100);
    assert.equal(backoffDelay(3, { initialMs: 100, maxMs: 1_000, random: low }), 400);
    assert.equal(backoffDelay(20, { initialMs: 100, maxMs: 1_000, random: high }), 1_000);
    assert.equal(backoffDelay(3, { initialMs: 100, maxMs: 1_000, jitter: 'equal', random: low }), 400);
  });

  it('does not overflow on a very long outage', () => {
    assert.equal(backoffDelay(10_000, { initialMs: 100, maxMs: 5_000, random: high }), 5_000);
  });
});

describe('backoffDelay with full jitter', () => {
  const full = (attempt: number, random?: () => number) =>
    backoffDelay(attempt, { initialMs: 100, maxMs: 1_000, jitter: 'full', random });

  it('stays below the doubling ceiling, capped at the maximum', () => {
    assert.equal(
      full(0, () => 0.999),
      99,
    );
    assert.equal(
      full(3, () => 0.999),
      799,
    );
    assert.equal(
      full(10, () => 0.5),
      500,
      'capped at the maximum',
    );
    assert.equal(full(2, low), 0, 'full jitter may wait nothing at all');
  });

  it('covers its range uniformly', () => {
    const samples = Array.from({ length: 2_000 }, () => full(2));
    assert.ok(samples.every((delay) => delay >= 0 && delay < 400));
    const mean = samples.reduce((sum, delay) => sum + delay, 0) / samples.length;
    assert.ok(mean > 170 && mean < 230, `uniform over [0, 400): mean ${mean}`);
  });
});
