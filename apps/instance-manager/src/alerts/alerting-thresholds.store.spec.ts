import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulClient, KvEntry } from '@switchboard/consul';
import type { AppConfig } from '@switchboard/kernel';
import { parseAlertingThresholds } from './alerting-thresholds.js';
import { AlertingThresholdsStorageError, AlertingThresholdsStore } from './alerting-thresholds.store.js';

const KEY = 'switchboard/config/alerting';
const DOCUMENT = { repeatIntervalSeconds: 600, rules: { ModelNoRoute: { forSeconds: 30 } } };

/** A Consul whose KV write and read-back each succeed or fail as the test says. */
function storeWith(consul: { kvPut: () => Promise<boolean>; kvGet: () => Promise<{ body: KvEntry | undefined }> }) {
  return new AlertingThresholdsStore(consul as unknown as ConsulClient, { ALERTING_KEY: KEY } as AppConfig);
}

test('a document stored but not read back is answered as written, with a note, not as a failed write', async () => {
  const store = storeWith({
    kvPut: async () => true,
    kvGet: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8500');
    },
  });
  const written = await store.write(DOCUMENT);
  assert.deepEqual(
    { key: written.key, source: written.source, modifyIndex: written.modifyIndex, thresholds: written.thresholds },
    { key: KEY, source: 'consul', modifyIndex: 0, thresholds: parseAlertingThresholds(DOCUMENT) },
  );
  assert.match(written.note ?? '', /Stored in Consul KV, but reading it back failed \(.*ECONNREFUSED/);
  assert.equal(store.inForce.source, 'default', 'what is in force changes once the watch reads the document');
});

test('a document read back after its write is in force at once, without a note', async () => {
  const stored: KvEntry = {
    Key: KEY,
    Value: JSON.stringify(DOCUMENT),
    Flags: 0,
    CreateIndex: 42,
    ModifyIndex: 42,
    LockIndex: 0,
  };
  const store = storeWith({ kvPut: async () => true, kvGet: async () => ({ body: stored }) });
  const written = await store.write(DOCUMENT);
  assert.deepEqual(
    { source: written.source, modifyIndex: written.modifyIndex, note: written.note },
    { source: 'consul', modifyIndex: 42, note: undefined },
  );
  assert.equal(store.inForce.thresholds.repeatIntervalSeconds, 600);
});

test('a failed write is the storage error (503)', async () => {
  const store = storeWith({
    kvPut: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8500');
    },
    kvGet: async () => assert.fail('nothing is read back after a failed write'),
  });
  await assert.rejects(store.write(DOCUMENT), (error: unknown) => {
    assert.ok(error instanceof AlertingThresholdsStorageError);
    assert.equal(error.httpStatus, 503);
    return true;
  });
});
