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
    const dropped = [1, 2, 3, 4, 5].map((row) => queue.push(row).dropped);
    assert.deepEqual(dropped, [0, 0, 0, 1, 1]);
    assert.deepEqual(queue.take(10), [3, 4, 5]);
  });

  it('puts an unwritten batch back in front, dropping its oldest rows when the queue filled meanwhile', () => {
    const queue = new RowQueue<number>(4);
    for (const row of [1, 2, 3]) queue.push(row);
    const batch = queue.take(3);
    for (const row of [4, 5]) queue.push(row);
    assert.equal(queue.putBack(batch).dropped, 1);
    assert.deepEqual(queue.take(10), [2, 3, 4, 5]);
  });

  it('past its byte bound sheds the oldest bodies first, then drops the oldest rows', () => {
    type Row = { id: number; body: string | null };
    const queue = new RowQueue<Row>(100, {
      maxBytes: 1_000,
      bytesOf: (row) => 100 + (row.body?.length ?? 0),
      lighten: (row) => (row.body === null ? undefined : { ...row, body: null }),
    });
    for (let id = 1; id <= 3; id += 1)
      assert.deepEqual(queue.push({ id, body: 'x'.repeat(200) }), { lightened: 0, dropped: 0 });
    // 900 bytes; a fourth row of 300 makes 1,200: the oldest body goes (1,000 bytes).
    assert.deepEqual(queue.push({ id: 4, body: 'x'.repeat(200) }), { lightened: 1, dropped: 0 });
    assert.equal(queue.bytes, 1_000);
    // A row of 1,000 bytes: every body goes, its own too (500 bytes), and no row.
    assert.deepEqual(queue.push({ id: 5, body: 'x'.repeat(900) }), { lightened: 4, dropped: 0 });
    assert.equal(queue.bytes, 500);
    for (let id = 6; id <= 10; id += 1) queue.push({ id, body: null });
    // Nothing left to shed: the oldest row goes.
    assert.deepEqual(queue.push({ id: 11, body: null }), { lightened: 0, dropped: 1 });
    assert.equal(queue.bytes, 1_000);
    assert.deepEqual(
      queue.take(20).map((row) => [row.id, row.body]),
      Array.from({ length: 10 }, (_, index) => [index + 2, null]),
    );
    assert.equal(queue.bytes, 0);
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
