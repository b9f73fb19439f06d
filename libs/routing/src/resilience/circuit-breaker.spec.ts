import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from './circuit-breaker.js';

const options = {
  failureThreshold: 3,
  failureRatio: 0.5,
  minimumRequests: 6,
  windowMs: 10_000,
  coolDownMs: 1_000,
  halfOpenTrials: 2,
};

describe('CircuitBreaker', () => {
  it('opens after the consecutive failure threshold and refuses during the cool-down', () => {
    const breaker = new CircuitBreaker(options);
    breaker.onFailure(0);
    breaker.onFailure(1);
    assert.equal(breaker.state(2), 'closed');
    breaker.onFailure(2);
    assert.equal(breaker.state(3), 'open');
    assert.equal(breaker.tryAcquire(500), false);
    assert.equal(breaker.allows(999), false);
  });

  it('opens on the failure ratio once enough requests were seen, and not before', () => {
    const breaker = new CircuitBreaker(options);
    for (const [at, ok] of [
      [0, true],
      [1, false],
      [2, true],
      [3, false],
      [4, true],
    ] as const)
      ok ? breaker.onSuccess(at) : breaker.onFailure(at);
    assert.equal(breaker.state(5), 'closed', '2 of 5: below the minimum request count');
    breaker.onFailure(6);
    assert.equal(breaker.state(7), 'open', '3 of 6 failed');
  });

  it('forgets outcomes older than the window', () => {
    const breaker = new CircuitBreaker(options);
    for (let at = 0; at < 5; at += 1) breaker.onSuccess(at);
    breaker.onFailure(5);
    breaker.onSuccess(6);
    breaker.onFailure(20_000);
    breaker.onSuccess(20_001);
    breaker.onFailure(20_002);
    assert.equal(breaker.state(20_003), 'closed', 'the old successes fell out, but 3 requests are below the minimum');
  });

  it('half-opens after the cool-down with a limited number of trials, closing after that many successes', () => {
    const breaker = new CircuitBreaker(options);
    for (let at = 0; at < 3; at += 1) breaker.onFailure(at);
    assert.equal(breaker.state(1_002), 'half_open');
    assert.equal(breaker.tryAcquire(1_002), true);
    assert.equal(breaker.tryAcquire(1_002), true);
    assert.equal(breaker.tryAcquire(1_002), false, 'only two trials at once');
    breaker.onSuccess(1_010);
    assert.equal(breaker.state(1_011), 'half_open');
    breaker.onSuccess(1_020);
    assert.equal(breaker.state(1_021), 'closed');
    assert.equal(breaker.tryAcquire(1_021), true);
  });

  it('a failed trial opens it again for a new cool-down', () => {
    const breaker = new CircuitBreaker(options);
    for (let at = 0; at < 3; at += 1) breaker.onFailure(at);
    assert.equal(breaker.tryAcquire(1_500), true);
    breaker.onFailure(1_600);
    assert.equal(breaker.state(1_601), 'open');
    assert.equal(breaker.state(2_599), 'open');
    assert.equal(breaker.state(2_600), 'half_open');
  });

  it('follows a trip seen elsewhere', () => {
    const breaker = new CircuitBreaker(options);
    breaker.forceOpen(100);
    assert.equal(breaker.state(101), 'open');
    assert.equal(breaker.state(1_100), 'half_open');
  });
});
