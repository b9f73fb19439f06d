import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadinessRegistry } from './readiness-registry.js';

describe('ReadinessRegistry', () => {
  it('runs the checks in registration order, each under the name it was registered with', async () => {
    const readiness = new ReadinessRegistry();
    readiness.register('consul', (key) => ({ [key]: { status: 'up' } }));
    readiness.register('routing', async (key) => ({ [key]: { status: 'degraded', message: 'stale' } }));

    assert.deepEqual(readiness.names(), ['consul', 'routing']);
    const results = await Promise.all(
      readiness.indicators().map((indicator) => (typeof indicator === 'function' ? indicator() : indicator)),
    );
    assert.deepEqual(results, [{ consul: { status: 'up' } }, { routing: { status: 'degraded', message: 'stale' } }]);
  });

  it('refuses a second check under a name already taken', () => {
    const readiness = new ReadinessRegistry();
    readiness.register('routing', (key) => ({ [key]: { status: 'up' } }));
    assert.throws(
      () => readiness.register('routing', (key) => ({ [key]: { status: 'up' } })),
      /readiness check named "routing" is registered already/,
    );
  });
});
