import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { AppConfig } from '@switchboard/kernel';
import { RedisService } from '@switchboard/redis';
import { RateLimiter } from '@switchboard/routing';
import { freePorts } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function redisAt(url: string, name: string): RedisService {
  return new RedisService({ REDIS_URL: url, serviceId: name } as AppConfig);
}

/** A moment well inside one minute window, so no test straddles a window boundary. */
function midWindow(): number {
  return Math.floor(Date.now() / 60_000) * 60_000 + 20_000;
}

describe('RateLimiter: decided from memory, shared through Redis', () => {
  const services: RedisService[] = [];
  after(async () => {
    for (const service of services) await service.onApplicationShutdown();
  });

  it('two replicas share one limit once their counts are exchanged', async () => {
    const [first, second] = [redisAt(redisUrl, 'replica-a'), redisAt(redisUrl, 'replica-b')];
    services.push(first, second);
    await waitFor('Redis to be ready', async () => first.available && second.available, 10_000, 20);
    const [replicaA, replicaB] = [new RateLimiter(first), new RateLimiter(second)];
    const keyId = `key-${randomUUID()}`;
    const now = midWindow();

    const fromA = Array.from({ length: 6 }, () => replicaA.check(keyId, 10, now).allowed);
    assert.deepEqual(fromA, Array(6).fill(true));
    await replicaA.synchronise(now);
    // B learns a key's shared count at its first exchange after it saw the key.
    assert.equal(replicaB.check(keyId, 10, now).allowed, true);
    await replicaB.synchronise(now);

    const fromB = Array.from({ length: 4 }, () => replicaB.check(keyId, 10, now));
    assert.deepEqual(
      fromB.map((decision) => decision.allowed),
      [true, true, true, false],
      'replica B counts the 6 requests replica A took: 6 + 1 + 3 = 10',
    );
    assert.equal(fromB[3]!.scope, 'redis');
    assert.ok(fromB[3]!.retryAfterSeconds >= 1);
    await replicaB.synchronise(now);
    await replicaA.synchronise(now);
    assert.equal(replicaA.check(keyId, 10, now).allowed, false, 'and A counts what B took');
  });

  it('answers without Redis from its own counts, and the limit still holds', async () => {
    const [closedPort] = await freePorts(1);
    const unreachable = redisAt(`redis://127.0.0.1:${closedPort}`, 'replica-without-redis');
    services.push(unreachable);
    const limiter = new RateLimiter(unreachable);
    const keyId = `key-${randomUUID()}`;
    const now = midWindow();
    const decision = limiter.check(keyId, 3, now);
    assert.ok(!(decision instanceof Promise), 'the decision is immediate');
    await limiter.synchronise(now);
    const rest = [limiter.check(keyId, 3, now), limiter.check(keyId, 3, now), limiter.check(keyId, 3, now)];
    assert.deepEqual(
      [decision, ...rest].map((entry) => entry.allowed),
      [true, true, true, false],
    );
    assert.equal(rest[2]!.scope, 'local');
  });
});
