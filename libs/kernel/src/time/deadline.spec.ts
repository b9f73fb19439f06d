import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadlineExceededError, withDeadline } from './deadline.js';

test('a promise settled in time passes its value or error through', async () => {
  assert.equal(await withDeadline(Promise.resolve(7), 1_000, 'reading'), 7);
  await assert.rejects(withDeadline(Promise.reject(new Error('refused')), 1_000, 'reading'), /refused/);
});

test('a promise that never settles is given up at the limit, naming what was waited for', async () => {
  const hung = new Promise<never>(() => {});
  await assert.rejects(withDeadline(hung, 20, 'reading the webhooks'), (error: unknown) => {
    assert.ok(error instanceof DeadlineExceededError);
    assert.equal(error.message, 'reading the webhooks: no answer within 20 ms');
    return true;
  });
});
