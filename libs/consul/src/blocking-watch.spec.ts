import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockingWatch, isChange, nextIndex } from './blocking-watch.js';

describe('nextIndex', () => {
  it('follows the index Consul returned', () => {
    assert.equal(nextIndex(42), 42);
  });
  it('follows it backwards too (a reset cluster)', () => {
    assert.equal(nextIndex(7), 7);
  });
  it('never goes below 1', () => {
    assert.equal(nextIndex(0), 1);
    assert.equal(nextIndex(-3), 1);
    assert.equal(nextIndex(Number.NaN), 1);
  });
});

describe('isChange', () => {
  it('treats the first answer and any new index as a change, a timeout as none', () => {
    assert.equal(isChange(0, 5), true);
    assert.equal(isChange(5, 6), true);
    assert.equal(isChange(9, 3), true);
    assert.equal(isChange(5, 5), false);
  });
});

describe('BlockingWatch loop', () => {
  it('passes the index along, skips timeouts, follows a reset, backs off on errors and asks at once after one', async () => {
    const script: Array<{ index: number; body: string } | Error> = [
      { index: 10, body: 'a' },
      { index: 10, body: 'a' }, // wait expired, nothing new
      new Error('connection refused'),
      { index: 12, body: 'b' },
      { index: 3, body: 'c' }, // went backwards
    ];
    const sentIndexes: number[] = [];
    const changes: string[] = [];
    const errors: number[] = [];
    const resets: Array<[number, number]> = [];
    let recoveries = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const watch = new BlockingWatch<string>(
      async (index, waitSeconds, signal) => {
        assert.equal(waitSeconds, 7);
        sentIndexes.push(index);
        const next = script.shift();
        if (!next) {
          done();
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          throw new Error('aborted');
        }
        if (next instanceof Error) throw next;
        return { ...next, knownLeader: true };
      },
      {
        waitSeconds: 7,
        backoffInitialMs: 1,
        backoffMaxMs: 2,
        onChange: (body) => changes.push(body),
        onError: (_error, failures) => errors.push(failures),
        onReset: (previous, received) => resets.push([previous, received]),
        onRecovered: () => {
          recoveries += 1;
        },
      },
    );
    watch.start();
    await finished;
    await watch.stop();
    // After the error: index 0, an immediate answer, so a recovered Consul shows at once.
    assert.deepEqual(sentIndexes, [0, 10, 10, 0, 12, 3]);
    assert.deepEqual(changes, ['a', 'b', 'c']);
    assert.deepEqual(errors, [1]);
    assert.equal(recoveries, 1);
    assert.deepEqual(resets, [[12, 3]]);
    assert.equal(watch.running, false);
  });
});
