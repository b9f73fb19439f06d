import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DeliveryRecord, notificationDue } from './alert-deliveries.js';
import type { AlertRecord } from './alert-lifecycle.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seconds));
const REPEAT = 60_000;
const firing: AlertRecord = {
  id: 'a1',
  fingerprint: 'f',
  alertname: 'ProviderInstanceCritical',
  severity: 'critical',
  labels: {},
  summary: 's',
  state: 'firing',
  startsAt: at(0),
  firedAt: at(0),
};
const resolved: AlertRecord = { ...firing, state: 'resolved', endsAt: at(30) };
const told = (state: 'firing' | 'resolved', seconds: number, outcome: DeliveryRecord['outcome'] = 'delivered') => ({
  alertId: 'a1',
  webhookId: 'w1',
  notifiedState: state,
  notifiedAt: at(seconds),
  outcome,
  attempts: 1,
});

test('a firing alert is notified first, then once per repeat interval', () => {
  assert.equal(notificationDue(firing, undefined, at(0), REPEAT, false), 'firing');
  assert.equal(notificationDue(firing, told('firing', 0), at(59), REPEAT, false), undefined);
  assert.equal(notificationDue(firing, told('firing', 0), at(60), REPEAT, false), 'firing');
});

test('a failed notification waits for the repeat interval; one left sending by a stopped leader is sent again', () => {
  assert.equal(notificationDue(firing, told('firing', 0, 'failed'), at(10), REPEAT, false), undefined);
  assert.equal(notificationDue(firing, told('firing', 0, 'sending'), at(10), REPEAT, false), 'firing');
  assert.equal(
    notificationDue(firing, told('firing', 0, 'sending'), at(10), REPEAT, true),
    undefined,
    'in flight here',
  );
});

test('a resolved alert is notified once, and only when its firing was told', () => {
  assert.equal(notificationDue(resolved, told('firing', 0), at(30), REPEAT, false), 'resolved');
  assert.equal(notificationDue(resolved, told('resolved', 30), at(31), REPEAT, false), undefined);
  assert.equal(notificationDue(resolved, told('resolved', 30, 'sending'), at(31), REPEAT, false), 'resolved');
  assert.equal(notificationDue(resolved, undefined, at(31), REPEAT, false), undefined);
});

test('a pending alert owes nothing', () => {
  assert.equal(notificationDue({ ...firing, state: 'pending' }, undefined, at(0), REPEAT, false), undefined);
});
