import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from './seeded-random.js';

test('the same seed repeats the same sequence; another seed gives another', () => {
  const take = (random: () => number) => Array.from({ length: 5 }, random);
  assert.deepEqual(take(seededRandom(7)), take(seededRandom(7)));
  assert.notDeepEqual(take(seededRandom(7)), take(seededRandom(8)));
});

test('values fall in [0, 1) and spread over the range', () => {
  const random = seededRandom(1);
  const values = Array.from({ length: 10_000 }, random);
  assert.ok(values.every((value) => value >= 0 && value < 1));
  const belowHalf = values.filter((value) => value < 0.5).length;
  assert.ok(belowHalf > 4_700 && belowHalf < 5_300, `${belowHalf} of 10000 below 0.5`);
});
