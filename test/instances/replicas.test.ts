import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { AppProcess } from '../support/app-process.js';
import { ConsulAgent } from '../support/consul-agent.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { admin, instanceManagerEnv } from '../support/instance-manager-env.js';
import { freePorts } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const PROBE_INTERVAL_MS = 500;

describe('instance-manager replicas: one prober at a time, and takeover when it dies', () => {
  let agent: ConsulAgent;
  let database: TestDatabase;
  let simulator: ProviderSimulator;
  const managers: AppProcess[] = [];

  const leaderOf = async () => {
    const states = await Promise.all(
      managers.map(
        async (manager) => (await admin(manager.url)('GET', '/admin/instances/supervisor')).body as { leader: boolean },
      ),
    );
    return managers.filter((_, position) => states[position]!.leader);
  };
  const probesServed = (id: string) =>
    simulator.requests(id).requests.filter((request) => request.path.endsWith('/models')).length;

  before(async () => {
    [agent, database, simulator] = await Promise.all([
      ConsulAgent.start(),
      createTestDatabase(),
      ProviderSimulator.start({ controlPort: 0 }),
    ]);
    const ports = await freePorts(2);
    for (const port of ports) {
      managers.push(
        await AppProcess.start(
          'instance-manager',
          port,
          instanceManagerEnv(agent.address, database.url, { PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS) }),
        ),
      );
    }
    for (const id of ['p1', 'p2']) {
      const view = await simulator.addInstance({ id, provider: 'openai', apiKey: 'replica-key-000000' });
      const created = await admin(managers[1]!.url)('POST', '/admin/instances', {
        name: id,
        provider: 'openai',
        baseUrl: view.baseUrl,
        models: ['gpt-4o'],
        apiKey: 'replica-key-000000',
      });
      assert.equal(created.status, 201);
    }
  });

  after(async () => {
    await Promise.all(managers.map((manager) => manager.stop()));
    await Promise.all([agent?.stop(), simulator?.stop()]);
    await database?.drop();
  });

  it('elects exactly one leader, and no instance is probed twice per interval', async () => {
    const leaders = await waitFor(
      'a leader',
      async () => ((await leaderOf()).length === 1 ? await leaderOf() : undefined),
      15_000,
      100,
    );
    assert.equal(leaders.length, 1);
    await waitFor('probing under way', () => probesServed('p1') > 0 && probesServed('p2') > 0, 5_000, 50);
    await simulator.reset('p1');
    await simulator.reset('p2');
    const windowMs = 3_000;
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const rounds = windowMs / PROBE_INTERVAL_MS;
    for (const id of ['p1', 'p2']) {
      const served = probesServed(id);
      // One prober: about one probe per interval. Two probers would make it about twice that.
      assert.ok(
        served >= rounds - 2 && served <= rounds + 1,
        `${id}: ${served} probes in ${windowMs} ms at a ${PROBE_INTERVAL_MS} ms interval`,
      );
    }
  });

  it('a killed leader is replaced by the other replica within its session TTL', async () => {
    const [leader] = await leaderOf();
    const follower = managers.find((manager) => manager !== leader)!;
    leader!.kill('SIGKILL');
    const killedAt = Date.now();
    await leader!.exited;
    managers.splice(managers.indexOf(leader!), 1);
    await waitFor(
      'the follower to lead',
      async () => (await admin(follower.url)('GET', '/admin/instances/supervisor')).body.leader === true,
      40_000,
      200,
    );
    const tookOverMs = Date.now() - killedAt;
    await simulator.reset('p1');
    await waitFor('probing to resume', () => probesServed('p1') >= 2, 5_000, 50);
    console.log(
      `# measured: leader killed (SIGKILL) -> follower leading after ${tookOverMs} ms (session tied to its readiness check, Consul check interval 1 s, lock-delay 1 s)`,
    );
    assert.ok(tookOverMs < 35_000, `took over after ${tookOverMs} ms`);
  });

  it('a leader that stops gracefully hands over at once', async () => {
    const [leader] = managers;
    const newcomerPort = (await freePorts(1))[0]!;
    const newcomer = await AppProcess.start(
      'instance-manager',
      newcomerPort,
      instanceManagerEnv(agent.address, database.url, { PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS) }),
    );
    managers.push(newcomer);
    const stoppedAt = Date.now();
    await leader!.stop();
    managers.splice(managers.indexOf(leader!), 1);
    await waitFor(
      'the newcomer to lead',
      async () => (await admin(newcomer.url)('GET', '/admin/instances/supervisor')).body.leader === true,
      10_000,
      100,
    );
    const handoverMs = Date.now() - stoppedAt;
    console.log(`# measured: graceful stop of the leader -> new leader after ${handoverMs} ms`);
    assert.ok(handoverMs < 5_000);
  });
});
