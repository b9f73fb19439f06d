import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../../../test/support/wait.js';
import { AlertBook } from './alert-book.js';
import type { AlertRecord } from './alert-lifecycle.js';
import type { AlertsRepository } from './alerts.repository.js';

const NOW = new Date('2026-12-01T12:00:00Z');

function alert(id: string): AlertRecord {
  return {
    id,
    fingerprint: `fingerprint-${id}`,
    alertname: 'ProviderInstanceCritical',
    severity: 'critical',
    labels: { provider: 'openai', instance: id },
    summary: `Instance ${id} fails its health check`,
    state: 'firing',
    startsAt: NOW,
    firedAt: NOW,
  };
}

/** A Postgres whose alert writes wait for the test to let each one through; reads may hang too. */
class GatedRepository {
  readonly saved: string[] = [];
  readonly started: string[] = [];
  private readonly gates: (() => void)[] = [];
  loadAnswer: Promise<{ alerts: AlertRecord[]; deliveries: [] }> = Promise.resolve({ alerts: [], deliveries: [] });

  async saveAlert(record: AlertRecord): Promise<void> {
    this.started.push(record.id);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    this.saved.push(record.id);
  }

  async deleteAlert(): Promise<void> {}
  async saveDelivery(): Promise<void> {}
  loadForLeader() {
    return this.loadAnswer;
  }

  /** Lets the write in progress finish. */
  release(): void {
    this.gates.shift()?.();
  }
}

const bookOn = (repository: GatedRepository) => new AlertBook(repository as unknown as AlertsRepository);

test('a write in progress stops at its next row once the book is reset: no stale rows after a step-down', async () => {
  const repository = new GatedRepository();
  const book = bookOn(repository);
  const queued = [alert('a'), alert('b'), alert('c')];
  book.apply({ open: queued, changed: queued, resolved: [], dropped: [] });
  const flushed = book.flush();
  await waitFor('the first row being written', () => repository.started.length === 1, 5_000, 5);

  book.reset();
  repository.release();
  await flushed;
  assert.deepEqual(repository.saved, ['a'], 'the row in progress lands; b and c are not written');
  assert.deepEqual(repository.started, ['a']);
  assert.equal(book.persistenceError, undefined);
});

test('waiting for the writes in progress is bounded: a hung Postgres does not hold a step-down', async () => {
  const repository = new GatedRepository();
  const book = bookOn(repository);
  book.apply({ open: [alert('a')], changed: [alert('a')], resolved: [], dropped: [] });
  void book.flush();
  await waitFor('the row being written', () => repository.started.length === 1, 5_000, 5);

  assert.equal(await book.writesSettled(20), false, 'given up at the limit while the write hangs');
  repository.release();
  assert.equal(await book.writesSettled(5_000), true);
});

test('loading from a Postgres that does not answer gives up at the limit and stays unloaded', async () => {
  const repository = new GatedRepository();
  repository.loadAnswer = new Promise(() => {});
  const book = bookOn(repository);
  assert.equal(await book.load(NOW, 20), false);
  assert.equal(book.loaded, false);
  assert.match(
    book.persistenceError ?? '',
    /cannot read alerts from Postgres \(reading the alerts: no answer within 20 ms\)/,
  );
});
