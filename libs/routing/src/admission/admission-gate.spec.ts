import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdmissionGate, AdmissionRefusal } from './admission-gate.js';

describe('AdmissionGate', () => {
  it('admits at once below the in-flight bound, with no promise in between', () => {
    const gate = new AdmissionGate({ maxInFlight: 2, maxQueued: 0, maxWaitMs: 100 });
    const first = gate.enter();
    const second = gate.enter();
    assert.equal(typeof first, 'function');
    assert.equal(typeof second, 'function');
    assert.deepEqual(gate.load, { inFlight: 2, queued: 0 });
  });

  it('refuses at once when the line is full, saying when to retry', () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 0, maxWaitMs: 100 });
    gate.enter();
    const refused = gate.enter();
    assert.ok(refused instanceof AdmissionRefusal);
    assert.equal(refused.reason, 'queue_full');
    assert.ok(refused.retryAfterSeconds >= 1);
    assert.match(refused.message, /at capacity/);
  });

  it('hands a freed slot to the longest waiter, first come first served', async () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 2, maxWaitMs: 5_000 });
    const release = gate.enter() as () => void;
    const order: string[] = [];
    const first = (gate.enter() as Promise<() => void>).then((next) => {
      order.push('first');
      return next;
    });
    const second = (gate.enter() as Promise<() => void>).then((next) => {
      order.push('second');
      return next;
    });
    assert.deepEqual(gate.load, { inFlight: 1, queued: 2 });
    release();
    release(); // a second call must not free a second slot
    (await first)();
    (await second)();
    assert.deepEqual(order, ['first', 'second']);
    assert.deepEqual(gate.load, { inFlight: 0, queued: 0 });
  });

  it('refuses a waiter whose wait runs out, and forgets it', async () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 5, maxWaitMs: 20 });
    gate.enter();
    const waited = gate.enter() as Promise<() => void>;
    await assert.rejects(
      waited,
      (error: unknown) => error instanceof AdmissionRefusal && error.reason === 'wait_exceeded',
    );
    assert.deepEqual(gate.load, { inFlight: 1, queued: 0 });
  });
});
