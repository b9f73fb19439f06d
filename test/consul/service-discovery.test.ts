import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConsulClient, ServiceDiscovery } from '@switchboard/consul';
import { ConsulAgent } from '../support/consul-agent.js';
import { waitFor } from '../support/wait.js';

describe('ServiceDiscovery: in-memory healthy instances from a Consul watch', () => {
  let agent: ConsulAgent;
  let consul: ConsulClient;
  let discovery: ServiceDiscovery;

  const register = async (id: string, port: number) => {
    await consul.registerService({ ID: id, Name: 'pool', Address: '127.0.0.1', Port: port, Meta: { region: 'eu' }, Check: { CheckID: `${id}:ttl`, Name: 'ttl', TTL: '60s' } });
    await consul.passCheck(`${id}:ttl`, 'ok');
  };

  before(async () => {
    agent = await ConsulAgent.start();
    consul = new ConsulClient({ address: agent.address, requestTimeoutMs: 1_000 });
    discovery = new ServiceDiscovery(consul, { services: ['pool'], fallback: { 'static-only': ['10.1.2.3:8001'] }, waitSeconds: 5 });
    discovery.onModuleInit();
  });

  after(async () => {
    await discovery?.onApplicationShutdown();
    await consul?.close();
    await agent?.stop();
  });

  it('learns passing instances and drops failing ones', async () => {
    await register('pool-1', 7001);
    await register('pool-2', 7002);
    await waitFor('two instances', () => discovery.instances('pool').length === 2, 3_000, 10);
    const first = discovery.instances('pool').find((i) => i.id === 'pool-1');
    assert.deepEqual(first, { id: 'pool-1', service: 'pool', address: '127.0.0.1', port: 7001, tags: [], meta: { region: 'eu' } });
    assert.equal(discovery.status('pool').source, 'consul');

    await consul.failCheck('pool-2:ttl', 'down');
    await waitFor('pool-2 to leave', () => discovery.instances('pool').map((i) => i.id).join() === 'pool-1', 3_000, 10);
  });

  it('serves the static fallback for a service Consul never answered for', () => {
    assert.deepEqual(discovery.instances('static-only').map((i) => [i.address, i.port]), [['10.1.2.3', 8001]]);
    assert.equal(discovery.status('static-only').source, 'fallback');
    assert.deepEqual(discovery.instances('unknown'), []);
    assert.equal(discovery.status('unknown').source, 'none');
  });

  it('keeps the last known state while Consul is down, then follows a fresh Consul whose index went back', async () => {
    const before = discovery.status('pool');
    assert.ok(before.index > 1);
    await agent.stop();
    await waitFor('the watch to notice', () => discovery.status('pool').source === 'stale', 15_000, 50);
    assert.deepEqual(discovery.instances('pool').map((i) => i.id), ['pool-1'], 'last known state is still served');
    assert.ok(discovery.status('pool').lastError);

    // A new dev agent on the same ports starts empty, with raft indexes far below the old ones.
    await agent.restart();
    await register('pool-3', 7003);
    await waitFor('the restarted Consul to be followed', () => discovery.instances('pool').map((i) => i.id).join() === 'pool-3', 20_000, 50);
    const after = discovery.status('pool');
    assert.equal(after.source, 'consul');
    assert.ok(after.index < before.index, `index followed backwards from ${before.index} to ${after.index}`);
  });
});
