import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertRecord } from './alert-lifecycle.js';
import { alertmanagerPayload, slackPayload } from './alert-payloads.js';

const alert: AlertRecord = {
  id: 'a1',
  fingerprint: '0123456789abcdef',
  alertname: 'ProviderInstanceCritical',
  severity: 'critical',
  labels: { provider: 'openai', instance: 'a' },
  summary: 'Instance a <fails> & more',
  description: 'HTTP 500',
  value: 3,
  state: 'firing',
  startsAt: new Date('2026-12-01T12:00:00Z'),
  firedAt: new Date('2026-12-01T12:00:30Z'),
};

test('the JSON body is shaped like Alertmanager version 4, with the zero end time while firing', () => {
  const body = alertmanagerPayload({ alert, status: 'firing', receiver: 'ops' });
  assert.equal(body.version, '4');
  assert.equal(body.status, 'firing');
  assert.equal(body.receiver, 'ops');
  assert.deepEqual(body.alerts[0]!.labels, {
    alertname: 'ProviderInstanceCritical',
    severity: 'critical',
    provider: 'openai',
    instance: 'a',
  });
  assert.deepEqual(body.alerts[0]!.annotations, { summary: alert.summary, description: 'HTTP 500', value: '3' });
  assert.equal(body.alerts[0]!.startsAt, '2026-12-01T12:00:00.000Z');
  assert.equal(body.alerts[0]!.endsAt, '0001-01-01T00:00:00Z');
  assert.equal(body.alerts[0]!.fingerprint, '0123456789abcdef');
  const resolved = alertmanagerPayload({
    alert: { ...alert, state: 'resolved', endsAt: new Date('2026-12-01T12:05:00Z') },
    status: 'resolved',
    receiver: 'ops',
  });
  assert.equal(resolved.status, 'resolved');
  assert.equal(resolved.alerts[0]!.endsAt, '2026-12-01T12:05:00.000Z');
});

test('the Slack body has text and a mrkdwn section, with Slack markup characters escaped', () => {
  const body = slackPayload({ alert, status: 'firing', receiver: 'ops' });
  assert.equal(body.text, '[FIRING CRITICAL] ProviderInstanceCritical: Instance a &lt;fails&gt; &amp; more');
  assert.equal(body.blocks[0]!.type, 'section');
  assert.equal(body.blocks[0]!.text.type, 'mrkdwn');
  assert.match(body.blocks[0]!.text.text, /provider=openai, instance=a/);
  assert.ok(!body.blocks[0]!.text.text.includes('<fails>'));
  assert.match(slackPayload({ alert, status: 'resolved', receiver: 'ops' }).text, /^\[RESOLVED\]/);
});
