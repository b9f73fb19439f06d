import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDependency, type DependencyIndicator } from './dependency-check.js';

const verdicts: DependencyIndicator<{ status: string; details?: Record<string, unknown> }> = {
  up: (details) => ({ status: 'up', details }),
  degraded: (details) => ({ status: 'degraded', details }),
};

test('a ping that answers is up, with its latency and what it reports', async () => {
  const result = await checkDependency(verdicts, async () => ({ leader: '10.0.0.1:8300' }), {
    timeoutMs: 1_000,
    whenDown: 'Consul unreachable',
  });
  assert.equal(result.status, 'up');
  assert.equal(result.details?.leader, '10.0.0.1:8300');
  assert.equal(typeof result.details?.latencyMs, 'number');
});

test('a ping that fails is degraded, saying what is down and why', async () => {
  const result = await checkDependency(
    verdicts,
    async () => {
      throw new Error('ECONNREFUSED');
    },
    { timeoutMs: 1_000, whenDown: 'Redis unreachable, counting locally' },
  );
  assert.deepEqual(result, {
    status: 'degraded',
    details: { message: 'Redis unreachable, counting locally: ECONNREFUSED' },
  });
});

test('a ping that hangs is cut off at the time limit, and its signal aborted', async () => {
  let aborted = false;
  const result = await checkDependency(
    verdicts,
    (signal) =>
      new Promise(() => {
        signal.addEventListener('abort', () => {
          aborted = true;
        });
      }),
    { timeoutMs: 20, whenDown: 'Postgres unreachable' },
  );
  assert.equal(result.status, 'degraded');
  assert.match(String(result.details?.message), /no answer within 20 ms/);
  assert.equal(aborted, true);
});
