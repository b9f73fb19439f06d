import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BlockingWatch,
  ConsulClient,
  ConsulLock,
  ConsulResponseError,
  type ServiceHealthEntry,
} from '@switchboard/consul';
import { ConsulAgent } from '../support/consul-agent.js';
import { waitFor } from '../support/wait.js';

describe('ConsulClient against a real Consul dev agent', () => {
  let agent: ConsulAgent;
  let consul: ConsulClient;

  before(async () => {
    agent = await ConsulAgent.start();
    consul = new ConsulClient({ address: agent.address });
  });

  after(async () => {
    await consul?.close();
    await agent?.stop();
  });

  it('registers idempotently and deregisters a service', async () => {
    const service = {
      ID: 'svc-a-1',
      Name: 'svc-a',
      Address: '127.0.0.1',
      Port: 9001,
      Tags: ['blue'],
      Meta: { weight: '10' },
    };
    await consul.registerService(service);
    await consul.registerService({ ...service, Tags: ['blue', 'eu'] });
    const services = await consul.agentServices();
    assert.equal(Object.values(services).filter((s) => s.Service === 'svc-a').length, 1);
    assert.deepEqual(services['svc-a-1']?.Tags, ['blue', 'eu']);
    assert.equal(services['svc-a-1']?.Meta?.weight, '10');

    await consul.deregisterService('svc-a-1');
    assert.equal((await consul.agentServices())['svc-a-1'], undefined);
    // Deregistering what is already gone is not an error.
    await consul.deregisterService('svc-a-1');
  });

  it('shows a TTL check passed, warned and failed in /v1/health/service?passing', async () => {
    await consul.registerService({
      ID: 'ttl-1',
      Name: 'ttl-svc',
      Port: 9100,
      Tags: ['gpt-4o'],
      Check: { CheckID: 'ttl-1:probe', Name: 'probe', TTL: '30s', DeregisterCriticalServiceAfter: '10m' },
    });
    const passingIds = async (tag?: string) =>
      (await consul.healthService('ttl-svc', { passing: true, tag })).body.map((entry) => entry.Service.ID);

    assert.deepEqual(await passingIds(), [], 'a new TTL check starts critical');
    await consul.updateCheck('ttl-1:probe', 'passing', 'latency 12 ms');
    assert.deepEqual(await passingIds(), ['ttl-1']);
    assert.deepEqual(await passingIds('gpt-4o'), ['ttl-1'], 'tag filter keeps it');
    assert.deepEqual(await passingIds('claude'), [], 'tag filter drops it');

    await consul.updateCheck('ttl-1:probe', 'warning', 'slow: 2400 ms');
    assert.deepEqual(await passingIds(), [], 'passing excludes warning');
    await consul.updateCheck('ttl-1:probe', 'critical', 'HTTP 500 from upstream');
    const all = (await consul.healthService('ttl-svc')).body;
    const check = all[0]?.Checks.find((c) => c.CheckID === 'ttl-1:probe');
    assert.equal(check?.Status, 'critical');
    assert.equal(check?.Output, 'HTTP 500 from upstream');

    const catalog = await consul.catalogServices();
    assert.deepEqual(catalog.body['ttl-svc'], ['gpt-4o']);
    assert.ok(catalog.index > 0, 'catalog answers carry X-Consul-Index');
  });

  it('a blocking query returns within a second of a change', async () => {
    await consul.registerService({
      ID: 'watch-1',
      Name: 'watched',
      Port: 9200,
      Check: { CheckID: 'watch-1:ttl', Name: 'ttl', TTL: '30s' },
    });
    const seen: { at: number; ids: string[] }[] = [];
    const watch = new BlockingWatch<ServiceHealthEntry[]>(
      (index, waitSeconds, signal) => consul.healthService('watched', { passing: true, index, waitSeconds, signal }),
      { waitSeconds: 30, onChange: (body) => seen.push({ at: Date.now(), ids: body.map((e) => e.Service.ID) }) },
    );
    watch.start();
    try {
      await waitFor('the first answer', () => seen.length === 1);
      assert.deepEqual(seen[0]!.ids, []);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the watch is now parked in a blocking query
      const changedAt = Date.now();
      await consul.updateCheck('watch-1:ttl', 'passing');
      const update = await waitFor('the change', () => seen.find((s) => s.ids.includes('watch-1')), 2_000, 10);
      assert.ok(update.at - changedAt < 1_000, `seen after ${update.at - changedAt} ms`);
      assert.ok(watch.lastIndex >= 1);
    } finally {
      await watch.stop();
    }
    assert.equal(watch.running, false, 'stop() aborts the query in flight');
  });

  it('KV get, put, list, delete and check-and-set conflicts', async () => {
    assert.equal((await consul.kvGet('switchboard/test/missing')).body, undefined);
    assert.equal(await consul.kvPut('switchboard/test/policy', '{"tier":"fast"}'), true);
    const entry = (await consul.kvGet('switchboard/test/policy')).body!;
    assert.equal(entry.Value, '{"tier":"fast"}');

    assert.equal(
      await consul.kvPut('switchboard/test/policy', 'v2', { cas: entry.ModifyIndex }),
      true,
      'CAS at the current index wins',
    );
    assert.equal(
      await consul.kvPut('switchboard/test/policy', 'v3', { cas: entry.ModifyIndex }),
      false,
      'CAS at a stale index loses',
    );
    assert.equal((await consul.kvGet('switchboard/test/policy')).body?.Value, 'v2');
    assert.equal(await consul.kvPut('switchboard/test/policy', 'v4', { cas: 0 }), false, 'CAS 0 only creates');
    assert.equal(await consul.kvPut('switchboard/test/other key', 'x', { cas: 0 }), true);

    assert.deepEqual(await agent.kvEntries('switchboard/test/'), [
      ['switchboard/test/other key', 'x'],
      ['switchboard/test/policy', 'v2'],
    ]);

    const current = (await consul.kvGet('switchboard/test/policy')).body!;
    assert.equal(current.Value, 'v2', 'kvGet decodes the value');
    assert.ok(current.ModifyIndex > 0);
  });

  it('a session lock is exclusive and freed when the holder session is destroyed', async () => {
    const first = new ConsulLock(consul, 'switchboard/locks/prober', { holder: 'manager-1', lockDelay: '0s' });
    const second = new ConsulLock(consul, 'switchboard/locks/prober', { holder: 'manager-2', lockDelay: '0s' });
    try {
      assert.equal(await first.acquire(), true);
      assert.equal(await second.acquire(), false, 'the second holder is refused while the first holds it');
      const held = (await consul.kvGet('switchboard/locks/prober')).body!;
      assert.equal(held.Session, first.session);
      assert.equal(held.Value, 'manager-1');

      // Destroying the holder's session (what happens when its process dies and the TTL ends).
      await consul.sessionDestroy(first.session!);
      assert.equal((await consul.kvGet('switchboard/locks/prober')).body?.Session, undefined);
      assert.equal(await second.acquire(), true, 'the lock is free once the session is gone');
      assert.equal(await consul.sessionRenew(first.session!), false, 'a destroyed session cannot be renewed');
      const [info] = await agent.api<{ Behavior: string }[]>('GET', `/v1/session/info/${second.session}`);
      assert.equal(info?.Behavior, 'release');
    } finally {
      await second.release();
    }
    assert.equal(second.held, false);
    assert.equal((await consul.kvGet('switchboard/locks/prober')).body?.Session, undefined);
  });

  it('reports Consul errors with status and path, and the leader', async () => {
    assert.match(await consul.leader(), /^127\.0\.0\.1:\d+$/);
    await assert.rejects(consul.updateCheck('no-such-check', 'passing'), (error: unknown) => {
      assert.ok(error instanceof ConsulResponseError);
      assert.equal(error.status, 404);
      assert.match(error.message, /\/v1\/agent\/check\/update\/no-such-check/);
      return true;
    });
  });

  it('scopes catalog requests to the configured datacenter', async () => {
    const elsewhere = new ConsulClient({ address: agent.address, datacenter: 'dc-missing' });
    try {
      await assert.rejects(elsewhere.catalogServices(), /No path to datacenter/);
      const local = new ConsulClient({ address: agent.address, datacenter: 'dc1' });
      assert.ok((await local.catalogServices()).body.consul);
      await local.close();
    } finally {
      await elsewhere.close();
    }
  });
});

describe('ConsulClient metrics hooks, against a real agent', () => {
  let agent: ConsulAgent;

  before(async () => {
    agent = await ConsulAgent.start();
  });

  after(async () => {
    await agent?.stop();
  });

  it('reports each call by endpoint pattern and outcome, registrations, and failed blocking queries as watch restarts', async () => {
    const calls: string[] = [];
    const registrations: string[] = [];
    const restarts: string[] = [];
    const observer = {
      call: (method: string, endpoint: string, outcome: string, seconds: number, blocking: boolean) => {
        assert.ok(seconds >= 0);
        calls.push(`${method} ${endpoint} ${outcome}${blocking ? ' blocking' : ''}`);
      },
      registration: (operation: string) => registrations.push(operation),
      watchRestart: (endpoint: string, reason: string) => restarts.push(`${endpoint} ${reason}`),
    };
    const consul = new ConsulClient({ address: agent.address, observer });
    try {
      await consul.registerService({ ID: 'metered-1', Name: 'metered', Address: '127.0.0.1', Port: 9 });
      await consul.kvPut('switchboard/test/metered', 'v');
      const first = await consul.healthService('metered');
      await consul.healthService('metered', { index: first.index, waitSeconds: 1 });
      await consul.deregisterService('metered-1');
    } finally {
      await consul.close();
    }
    assert.ok(calls.includes('PUT /v1/agent/service/register ok'), calls.join('\n'));
    assert.ok(calls.includes('PUT /v1/kv/* ok'), 'the key is not a label');
    assert.ok(calls.includes('GET /v1/health/service/* ok'));
    assert.ok(calls.includes('GET /v1/health/service/* ok blocking'));
    assert.ok(calls.includes('PUT /v1/agent/service/deregister/* ok'));
    assert.deepEqual(registrations, ['register', 'deregister']);

    const unreachable = new ConsulClient({ address: 'http://127.0.0.1:9', observer, requestTimeoutMs: 1_000 });
    try {
      await assert.rejects(unreachable.healthService('metered', { index: 5, waitSeconds: 1 }));
    } finally {
      await unreachable.close();
    }
    assert.ok(calls.includes('GET /v1/health/service/* unavailable blocking'));
    assert.deepEqual(restarts, ['/v1/health/service/* error']);
  });
});
