import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthScore, INITIAL_HEALTH, nextHealth, type HealthState } from './health-state.js';

const thresholds = { warnAfterFailures: 1, criticalAfterFailures: 3, recoverAfterSuccesses: 2 };

function run(outcomes: boolean[], start: HealthState = INITIAL_HEALTH): string[] {
  let state = start;
  return outcomes.map((ok, position) => {
    state = nextHealth(state, ok, thresholds, position === 0 && start === INITIAL_HEALTH);
    return state.status;
  });
}

describe('nextHealth', () => {
  it('passes a new instance on its first good probe', () => {
    assert.deepEqual(run([true]), ['passing']);
  });

  it('warns after the first failure and turns critical at the threshold', () => {
    assert.deepEqual(run([true, false, false, false, false]), [
      'passing',
      'warning',
      'warning',
      'critical',
      'critical',
    ]);
  });

  it('needs the configured successes in a row to recover, and a failure resets the count', () => {
    assert.deepEqual(run([true, false, false, false, true, false, true, true]), [
      'passing',
      'warning',
      'warning',
      'critical',
      'critical',
      'critical',
      'critical',
      'passing',
    ]);
  });

  it('keeps a never-healthy instance critical until it succeeds', () => {
    assert.deepEqual(run([false, false, true]), ['critical', 'critical', 'critical']);
    assert.deepEqual(run([false, false, false, true, true]), [
      'critical',
      'critical',
      'critical',
      'critical',
      'passing',
    ]);
  });
});

describe('healthScore', () => {
  it('is the success ratio scaled down by latency, and 0 when critical', () => {
    assert.equal(healthScore('passing', 10, 0, 0), 1);
    assert.equal(healthScore('passing', 10, 0, 2000), 0.5);
    assert.equal(healthScore('warning', 5, 5, 0), 0.5);
    assert.equal(healthScore('critical', 10, 0, 0), 0);
    assert.equal(healthScore('passing', 0, 0, 0), 0);
  });
});
