import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AlertingThresholdsError,
  DEFAULT_ALERTING_THRESHOLDS,
  parseAlertingThresholds,
  readStoredThresholds,
} from './alerting-thresholds.js';

const problemsOf = (value: unknown): string[] => {
  try {
    parseAlertingThresholds(value);
  } catch (error) {
    assert.ok(error instanceof AlertingThresholdsError);
    assert.equal(error.httpStatus, 400);
    return error.problems;
  }
  assert.fail('expected the document to be refused');
};

test('a partial document keeps the defaults for everything it leaves out', () => {
  const parsed = parseAlertingThresholds({
    repeatIntervalSeconds: 60,
    rules: { InstanceHighErrorRate: { errorRate: 0.5 } },
  });
  assert.equal(parsed.repeatIntervalSeconds, 60);
  assert.equal(parsed.rules.InstanceHighErrorRate.errorRate, 0.5);
  assert.equal(parsed.rules.InstanceHighErrorRate.minRequests, 20);
  assert.deepEqual(parsed.rules.ModelNoRoute, DEFAULT_ALERTING_THRESHOLDS.rules.ModelNoRoute);
});

test('every mistake is named by its JSON path', () => {
  assert.deepEqual(
    problemsOf({
      colour: 'red',
      repeatIntervalSeconds: 0,
      rules: {
        Nope: {},
        InstanceHighErrorRate: { errorRate: 1.5, minRequests: 2.5, surprise: 1 },
        ModelNoRoute: { enabled: 'yes', forSeconds: -1 },
        CoreServiceDown: 3,
      },
    }),
    [
      'colour: unknown field',
      'repeatIntervalSeconds: must be a number of seconds from 1 to 2592000',
      'rules.Nope: unknown rule (known: ProviderInstanceCritical, ProviderNoHealthyInstance, ModelNoRoute, InstanceHighErrorRate, InstanceHighLatency, CircuitOpenTooLong, CoreServiceDown, ConsulNoLeader, AppHighMemory, AppEventLoopLag)',
      'rules.InstanceHighErrorRate.errorRate: must be a number of a share of requests from 0 to 1',
      'rules.InstanceHighErrorRate.minRequests: must be a whole number of requests from 1 to 1000000000',
      'rules.InstanceHighErrorRate.surprise: unknown field (known: enabled, forSeconds, errorRate, minRequests)',
      'rules.ModelNoRoute.enabled: must be true or false',
      'rules.ModelNoRoute.forSeconds: must be a number of seconds from 0 to 86400',
      'rules.CoreServiceDown: must be an object such as { "forSeconds": 30 }',
    ],
  );
  assert.deepEqual(problemsOf([]), ['(root): the thresholds must be a JSON object']);
});

test('a stored entry reads as default, consul or invalid', () => {
  assert.equal(readStoredThresholds(undefined).source, 'default');
  const stored = readStoredThresholds({ Value: '{"repeatIntervalSeconds": 5}', ModifyIndex: 7 });
  assert.equal(stored.source, 'consul');
  assert.equal(stored.thresholds?.repeatIntervalSeconds, 5);
  const broken = readStoredThresholds({ Value: '{not json', ModifyIndex: 8 });
  assert.equal(broken.source, 'invalid');
  assert.match(broken.problems[0]!, /^not valid JSON/);
  assert.deepEqual(readStoredThresholds({ Value: '{"version": 2}', ModifyIndex: 9 }).problems, [
    'version: only version 1 is understood',
  ]);
});
