import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AlertRecord, advanceAlerts, fingerprintOf } from './alert-lifecycle.js';
import type { AlertCondition } from './alert-rules.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seconds));
const critical: AlertCondition = {
  alertname: 'ProviderInstanceCritical',
  severity: 'critical',
  labels: { provider: 'openai', instance: 'a' },
  summary: 'Instance a fails',
  value: 3,
};
const ids = () => {
  let next = 0;
  return () => `alert-${++next}`;
};
const thirtySeconds = () => 30_000;

test('the fingerprint depends on the alertname and labels, not on label order', () => {
  assert.equal(fingerprintOf('X', { a: '1', b: '2' }), fingerprintOf('X', { b: '2', a: '1' }));
  assert.notEqual(fingerprintOf('X', { a: '1' }), fingerprintOf('Y', { a: '1' }));
  assert.notEqual(fingerprintOf('X', { a: '1' }), fingerprintOf('X', { a: '2' }));
});

test('a condition is pending, fires once it has held for its for duration, and resolves when gone', () => {
  const newId = ids();
  const first = advanceAlerts([], [critical], at(0), thirtySeconds, { newId });
  assert.equal(first.open.length, 1);
  assert.deepEqual(
    { state: first.open[0]!.state, startsAt: first.open[0]!.startsAt, id: first.open[0]!.id },
    { state: 'pending', startsAt: at(0), id: 'alert-1' },
  );
  assert.equal(first.changed.length, 1, 'a new alert is stored');

  const still = advanceAlerts(first.open, [critical], at(29), thirtySeconds, { newId });
  assert.equal(still.open[0]!.state, 'pending');
  assert.deepEqual(still.changed, [], 'nothing changed, nothing to store');

  const fired = advanceAlerts(still.open, [critical], at(30), thirtySeconds, { newId });
  assert.deepEqual(
    { state: fired.open[0]!.state, firedAt: fired.open[0]!.firedAt },
    { state: 'firing', firedAt: at(30) },
  );
  assert.equal(fired.open[0]!.id, 'alert-1', 'the same alert, not a new one');

  const resolved = advanceAlerts(fired.open, [], at(40), thirtySeconds, { newId });
  assert.deepEqual(resolved.open, []);
  assert.deepEqual(
    resolved.resolved.map((alert: AlertRecord) => [alert.id, alert.state, alert.endsAt, alert.firedAt]),
    [['alert-1', 'resolved', at(40), at(30)]],
  );
  assert.deepEqual(resolved.changed, resolved.resolved);
});

test('a for duration of 0 fires at once', () => {
  const result = advanceAlerts([], [critical], at(0), () => 0, { newId: ids() });
  assert.deepEqual(
    { state: result.open[0]!.state, firedAt: result.open[0]!.firedAt },
    { state: 'firing', firedAt: at(0) },
  );
});

test('a pending alert whose condition goes away is dropped, not resolved', () => {
  const pending = advanceAlerts([], [critical], at(0), thirtySeconds, { newId: ids() }).open;
  const result = advanceAlerts(pending, [], at(10), thirtySeconds, { newId: ids() });
  assert.deepEqual(result.resolved, []);
  assert.deepEqual(
    result.dropped.map((alert) => alert.id),
    ['alert-1'],
  );
});

test('a changed figure is stored again; the same condition seen twice in one round counts once', () => {
  const newId = ids();
  const open = advanceAlerts([], [critical], at(0), () => 0, { newId }).open;
  const result = advanceAlerts(
    open,
    [
      { ...critical, value: 5 },
      { ...critical, value: 5 },
    ],
    at(5),
    () => 0,
    { newId },
  );
  assert.equal(result.open.length, 1);
  assert.equal(result.changed[0]!.value, 5);
  assert.equal(result.changed[0]!.firedAt?.getTime(), at(0).getTime(), 'fired time is kept');
});

test('after resolving, the same condition again is a new alert', () => {
  const newId = ids();
  const fired = advanceAlerts([], [critical], at(0), () => 0, { newId }).open;
  const gone = advanceAlerts(fired, [], at(5), () => 0, { newId }).open;
  const again = advanceAlerts(gone, [critical], at(6), () => 0, { newId });
  assert.equal(again.open[0]!.id, 'alert-2');
  assert.equal(again.open[0]!.startsAt.getTime(), at(6).getTime());
});

test('the open alerts of a held rule are carried over as they are: not resolved, dropped or advanced', () => {
  const newId = ids();
  const firing = advanceAlerts([], [critical], at(0), () => 0, { newId }).open;
  const pending = advanceAlerts([], [{ ...critical, alertname: 'InstanceHighErrorRate' }], at(0), thirtySeconds, {
    newId,
  }).open;
  const open = [...firing, ...pending];
  const held = new Set(['ProviderInstanceCritical', 'InstanceHighErrorRate']);

  const blind = advanceAlerts(open, [], at(60), thirtySeconds, { held, newId });
  assert.deepEqual(blind.open, open, 'same ids, states and times; the pending one did not fire');
  assert.deepEqual([blind.changed, blind.resolved, blind.dropped], [[], [], []]);

  const seenWhileHeld = advanceAlerts(open, [{ ...critical, value: 9 }], at(60), thirtySeconds, { held, newId });
  assert.deepEqual(seenWhileHeld.open, open, 'a held rule is not judged, even on what it still sees');

  const judgedAgain = advanceAlerts(blind.open, [], at(70), thirtySeconds, { newId });
  assert.deepEqual(
    judgedAgain.resolved.map((alert) => alert.id),
    ['alert-1'],
    'once judged again, a condition that is gone resolves as usual',
  );
});
