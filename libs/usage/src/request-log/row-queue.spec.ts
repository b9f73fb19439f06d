import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RowQueue } from './row-queue.js';

describe('RowQueue', () => {
  it('hands rows out oldest first, in batches', () => {
    const queue = new RowQueue<number>(10);
    for (let row = 1; row <= 5; row += 1) queue.push(row);
    assert.deepEqual(queue.take(3), [1, 2, 3]);
    assert.deepEqual(queue.take(3), [4, 5]);
    assert.equal(queue.size, 0);
  });

  it('drops the oldest row when full, and says so', () => {
    const queue = new RowQueue<number>(3);
    const dropped = [1, 2, 3, 4, 5].map((row) => queue.push(row));
    assert.deepEqual(dropped, [0, 0, 0, 1, 1]);
    assert.deepEqual(queue.take(10), [3, 4, 5]);
  });

  it('puts an unwritten batch back in front, dropping its oldest rows when the queue filled meanwhile', () => {
    const queue = new RowQueue<number>(4);
    for (const row of [1, 2, 3]) queue.push(row);
    const batch = queue.take(3);
    for (const row of [4, 5]) queue.push(row);
    assert.equal(queue.putBack(batch), 1);
    assert.deepEqual(queue.take(10), [2, 3, 4, 5]);
  });

  it('stays correct across many pushes and takes (the head index compacts)', () => {
    const queue = new RowQueue<number>(100_000);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round += 1) {
      for (let index = 0; index < 1_000; index += 1) queue.push(next++);
      for (const row of queue.take(900)) assert.equal(row, expected++);
    }
    assert.equal(queue.size, next - expected);
  });
});
