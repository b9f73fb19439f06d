import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeError } from './describe-error.js';

test('an Error is described by its message, anything else by its string form', () => {
  assert.equal(describeError(new TypeError('bad input')), 'bad input');
  assert.equal(describeError('plain text'), 'plain text');
  assert.equal(describeError(42), '42');
  assert.equal(describeError(undefined), 'undefined');
});
