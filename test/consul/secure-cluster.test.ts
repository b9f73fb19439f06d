import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { ConsulClient, ConsulUnavailableError } from '@switchboard/consul';
import { AppProcess } from '../support/app-process.js';
import { ConsulCluster } from '../support/consul-cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { freePort } from '../support/ports.js';
import { readiness } from '../support/readiness.js';
import { waitFor } from '../support/wait.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP_TOKEN_KEYS = [
  'CONSUL_TOKEN_API_GATEWAY',
  'CONSUL_TOKEN_INSTANCE_MANAGER',
  'CONSUL_TOKEN_INTELLIGENT_ROUTER',
  'CONSUL_TOKEN_LOAD_BALANCER',
];
const SECRET_KEYS = [
  'CONSUL_GOSSIP_KEY',
  'CONSUL_MANAGEMENT_TOKEN',
  'CONSUL_AGENT_TOKEN',
  'CONSUL_METRICS_TOKEN',
  ...APP_TOKEN_KEYS,
];

interface Indexed {
  ModifyIndex: number;
}

/**
 * Opens Consul's RPC port and asks for TLS (the first byte names the protocol: 3 is TLS, 0 plain
 * RPC), presenting no client certificate. Resolves with how the server ended the conversation.
 */
async function rpcWithoutCertificate(port: number, ca: Buffer, protocol: 0 | 3): Promise<string> {
  const socket = connectTcp(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(Buffer.from([protocol]));
  const channel = protocol === 3 ? connectTls({ socket, ca, servername: 'server.dc1.consul' }) : socket;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still open after 10 s'), 10_000);
    const finish = (outcome: string) => {
      clearTimeout(timer);
      channel.destroy();
      resolve(outcome);
    };
    channel.on('error', (error: Error) => finish(`error: ${error.message}`));
    channel.on('close', () => finish('closed'));
    channel.on('data', () => finish('answered'));
  });
}

describe('a secure three-server Consul cluster from consul/config, with an app behind the client agent', () => {
  let cluster: ConsulCluster;
  let database: TestDatabase;
  let app: AppProcess;
  let envFile: string;
  let firstBootstrap: string;
  let managementToken: string;

  before(async () => {
    const started = await Promise.allSettled([ConsulCluster.start(), createTestDatabase()]);
    if (started[0].status === 'fulfilled') cluster = started[0].value;
    if (started[1].status === 'fulfilled') database = started[1].value;
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    // Plays the compose .env: the script must add the tokens and keep what was there.
    envFile = join(cluster.workDir, 'compose.env');
    await writeFile(envFile, 'POSTGRES_PASSWORD=kept-as-is\n', { mode: 0o644 });
    firstBootstrap = await cluster.bootstrapAcl(envFile);
    managementToken = cluster.secret('CONSUL_MANAGEMENT_TOKEN');
    app = await AppProcess.start('load-balancer', await freePort(), {
      // The local client agent, over HTTPS with the cluster's CA, with the app's own token.
      CONSUL_HTTP_ADDR: cluster.url(cluster.client),
      CONSUL_CACERT: cluster.caFile,
      CONSUL_HTTP_TOKEN: cluster.secret('CONSUL_TOKEN_LOAD_BALANCER'),
      CONSUL_CHECK_INTERVAL: '1s',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      SERVICE_ADDRESS: '127.0.0.1',
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
  });

  after(async () => {
    await app?.stop();
    await cluster?.stop();
    await database?.drop();
  });

  const management = () => ({ token: managementToken });

  it('bootstraps ACLs once: a second run of the script changes nothing, and no secret is printed', async () => {
    assert.match(firstBootstrap, /ACLs bootstrapped/);
    assert.equal(firstBootstrap.match(/policy switchboard-\S+ created/g)?.length, 4, firstBootstrap);
    assert.equal(firstBootstrap.match(/token \S+ created/g)?.length, 6, 'agents, four apps, Prometheus');

    const snapshot = async () => ({
      policies: (await cluster.api<Indexed[]>(cluster.servers[0]!, 'GET', '/v1/acl/policies', management())).body.map(
        (policy) => policy.ModifyIndex,
      ),
      tokens: (await cluster.api<Indexed[]>(cluster.servers[0]!, 'GET', '/v1/acl/tokens', management())).body.map(
        (token) => token.ModifyIndex,
      ),
      secrets: readFileSync(cluster.secretsFile, 'utf8'),
      secretsModified: statSync(cluster.secretsFile).mtimeMs,
      env: readFileSync(envFile, 'utf8'),
      envModified: statSync(envFile).mtimeMs,
    });
    const before = await snapshot();
    const second = await cluster.bootstrapAcl(envFile);
    assert.doesNotMatch(second, /created|updated|written|bootstrapped|attached/, second);
    assert.match(second, /management token kept/);
    assert.deepEqual(await snapshot(), before, 'no policy, token or file was rewritten');

    assert.equal(statSync(cluster.secretsFile).mode & 0o777, 0o600);
    assert.equal(statSync(envFile).mode & 0o777, 0o600, 'the .env holds tokens now: owner only');
    const env = readFileSync(envFile, 'utf8');
    assert.match(env, /^POSTGRES_PASSWORD=kept-as-is$/m);
    for (const key of [...APP_TOKEN_KEYS, 'CONSUL_METRICS_TOKEN'])
      assert.ok(env.includes(`${key}=${cluster.secret(key)}\n`), `${key} is in the .env`);
    assert.doesNotMatch(env, /CONSUL_MANAGEMENT_TOKEN|CONSUL_GOSSIP_KEY/, 'what only Consul needs stays out of .env');
    const printed = firstBootstrap + second;
    const leaked = SECRET_KEYS.filter((key) => printed.includes(cluster.secret(key)));
    assert.deepEqual(leaked, [], 'the script output names no secret value');
  });

  it('enforces ACLs: anonymous requests only discover, an app token writes its own names and prefix', async () => {
    const client = cluster.client;
    const register = (name: string, token?: string) =>
      cluster.api(client, 'PUT', '/v1/agent/service/register', {
        token,
        body: { ID: `acl-${name}`, Name: name, Port: 1 },
      });

    assert.equal((await cluster.api(client, 'GET', '/v1/kv/switchboard/config/routing-policy')).status, 403);
    assert.equal((await register('load-balancer')).status, 403, 'anonymous cannot register');
    const anonymousCatalog = await cluster.api<Record<string, string[]>>(client, 'GET', '/v1/catalog/services');
    assert.equal(anonymousCatalog.status, 200, 'anonymous may discover (policy switchboard-anonymous)');
    assert.ok('consul' in anonymousCatalog.body);

    const routerToken = cluster.secret('CONSUL_TOKEN_INTELLIGENT_ROUTER');
    assert.equal((await register('intelligent-router', routerToken)).status, 200);
    assert.equal((await register('ai-provider-openai', routerToken)).status, 200, 'provider instances');
    assert.equal((await register('postgres', routerToken)).status, 403, 'only the agents register the infrastructure');
    assert.equal((await register('payments', routerToken)).status, 403, 'a name outside the policy');
    const kv = (key: string, token: string) => cluster.api(client, 'PUT', `/v1/kv/${key}`, { token, body: 'x' });
    assert.equal((await kv('switchboard/test/acl', routerToken)).status, 200);
    assert.equal((await kv('vault/test/acl', routerToken)).status, 403, 'KV outside switchboard/');
    for (const name of ['intelligent-router', 'ai-provider-openai'])
      await cluster.api(client, 'PUT', `/v1/agent/service/deregister/acl-${name}`, { token: routerToken });

    const metricsToken = cluster.secret('CONSUL_METRICS_TOKEN');
    const metrics = await cluster.api<string>(cluster.servers[1]!, 'GET', '/v1/agent/metrics?format=prometheus', {
      token: metricsToken,
    });
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.body), /consul_raft_/);
    assert.equal((await kv('switchboard/test/acl', metricsToken)).status, 403, 'Prometheus reads, never writes');

    const stranger = await cluster.api(client, 'GET', '/v1/catalog/services', {
      token: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(stranger.status, 403, 'an unknown token is refused, not treated as anonymous');
  });

  it('encrypts gossip: every member holds the one generated key, and an agent without it cannot join', async () => {
    const keyring = await cluster.api<{ WAN: boolean; NumNodes: number; Keys: Record<string, number> }[]>(
      cluster.servers[0]!,
      'GET',
      '/v1/operator/keyring',
      management(),
    );
    assert.equal(keyring.status, 200);
    const lan = keyring.body.find((pool) => !pool.WAN)!;
    assert.equal(lan.NumNodes, 4, 'three servers and the client agent');
    const keys = Object.keys(lan.Keys);
    assert.equal(keys.length, 1);
    // Compared, never shown: a failing assert would print both values.
    assert.ok(keys[0] === cluster.secret('CONSUL_GOSSIP_KEY'), 'the LAN key is the one the script generated');
    assert.equal(lan.Keys[keys[0]!], 4, 'installed on every member');

    const intruder = await cluster.startAgentWithoutGossipKey();
    try {
      const refusal = await waitFor(
        'the intruder to fail its join',
        () => /Failed to join[^\n]*|encryption is not configured[^\n]*/i.exec(cluster.logs(intruder))?.[0],
        30_000,
        100,
      );
      assert.match(refusal, /encrypt/i, refusal);
      const members = await cluster.api<{ Name: string }[]>(
        cluster.servers[0]!,
        'GET',
        '/v1/agent/members',
        management(),
      );
      assert.deepEqual(members.body.map((member) => member.Name).sort(), [
        'consul-client',
        'consul-server-1',
        'consul-server-2',
        'consul-server-3',
      ]);
    } finally {
      await cluster.stopAgent(intruder, 'SIGTERM');
    }
  });

  it('verifies TLS: HTTPS needs the CA, no plain HTTP listener, RPC refuses peers without a certificate', async () => {
    const trusting = new ConsulClient({ address: cluster.url(cluster.client), caFile: cluster.caFile });
    const untrusting = new ConsulClient({ address: cluster.url(cluster.client) });
    try {
      assert.match(await trusting.leader(), /^127\.0\.0\.1:\d+$/);
      await assert.rejects(untrusting.leader(), (error: unknown) => {
        assert.ok(error instanceof ConsulUnavailableError);
        assert.match(error.message, /certificate/i);
        return true;
      });
    } finally {
      await Promise.all([trusting.close(), untrusting.close()]);
    }

    for (const agent of [...cluster.servers, cluster.client]) {
      const self = await cluster.api<{
        DebugConfig: { HTTPPort: number; HTTPSPort: number; TLS: { InternalRPC: Record<string, unknown> } };
      }>(agent, 'GET', '/v1/agent/self', management());
      assert.equal(self.body.DebugConfig.HTTPPort, -1, `${agent.name} has no plain HTTP listener`);
      assert.equal(self.body.DebugConfig.HTTPSPort, agent.ports.https);
      assert.equal(self.body.DebugConfig.TLS.InternalRPC.VerifyIncoming, true);
      assert.equal(self.body.DebugConfig.TLS.InternalRPC.VerifyServerHostname, true);
    }
    const ui = await cluster.api<string>(cluster.client, 'GET', '/ui/');
    assert.equal(ui.status, 200, 'the client agent serves the UI over HTTPS');
    // Plain HTTP sent to the HTTPS port gets Go's refusal, not an answer.
    const plain = await fetch(`http://127.0.0.1:${cluster.client.ports.https}/v1/status/leader`);
    assert.equal(plain.status, 400);
    assert.match(await plain.text(), /HTTP request to an HTTPS server/);

    const server = cluster.servers[0]!;
    const ca = readFileSync(cluster.caFile);
    assert.match(await rpcWithoutCertificate(server.ports.server, ca, 3), /certificate required/i);
    assert.equal(await rpcWithoutCertificate(server.ports.server, ca, 0), 'closed');
    await waitFor(
      'the server to log the plain RPC attempt',
      () => cluster.logs(server).includes('Non-TLS connection attempted with VerifyIncoming set'),
      10_000,
    );
  });

  it('loses its leader: a new one is elected while the app behind the client agent stays registered and serving', async (context) => {
    const token = cluster.secret('CONSUL_TOKEN_LOAD_BALANCER');
    const consul = new ConsulClient({ address: cluster.url(cluster.client), caFile: cluster.caFile, token });
    context.after(() => consul.close());
    const registered = async () =>
      (await consul.healthService('load-balancer', { passing: true })).body.some(
        (entry) => entry.Service.Port === app.port,
      );
    await waitFor('the load-balancer to pass its check in Consul', registered, 30_000, 200);

    const oldLeader = await cluster.leader(cluster.servers[0]!);
    const leader = cluster.servers.find((server) => cluster.rpcAddress(server) === oldLeader);
    assert.ok(leader, `the leader ${oldLeader} is one of the servers`);
    const survivors = cluster.servers.filter((server) => server !== leader);

    // Watched every 100 ms through the failover: the app's readiness and API, and the catalog as
    // any server can answer it (stale reads need no leader).
    const seen = {
      ready: new Map<string, number>(),
      degradedBy: new Set<string>(),
      pools: new Map<number, number>(),
      inCatalog: 0,
      missing: 0,
    };
    const count = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
    const watching = new AbortController();
    // Stops the watcher should an assertion below fail first.
    context.after(() => watching.abort());
    const watcher = (async () => {
      while (!watching.signal.aborted) {
        const ready = await readiness(app.url).catch(() => ({ http: 0, body: { status: 'unreachable' } }));
        count(seen.ready, `${ready.http} ${ready.body.status}`);
        for (const [name, detail] of Object.entries(('details' in ready.body && ready.body.details) || {}))
          if (detail.status !== 'up') seen.degradedBy.add(`${name}: ${detail.message ?? detail.status}`);
        count(
          seen.pools,
          await fetch(`${app.url}/pools`).then(
            (response) => response.status,
            () => 0,
          ),
        );
        const catalog = await cluster
          .api<{ ServicePort: number }[]>(cluster.client, 'GET', '/v1/catalog/service/load-balancer?stale', { token })
          .catch(() => undefined);
        if (catalog?.status === 200) {
          if (catalog.body.some((entry) => entry.ServicePort === app.port)) seen.inCatalog += 1;
          else seen.missing += 1;
        }
        await delay(100);
      }
    })();

    const killedAt = performance.now();
    await cluster.stopAgent(leader, 'SIGKILL');
    const newLeader = await waitFor(
      'a new leader among the surviving servers',
      async () => {
        for (const server of survivors) {
          const current = await cluster.leader(server);
          if (current && current !== oldLeader) return current;
        }
        return undefined;
      },
      30_000,
      25,
    );
    const leaderless = performance.now() - killedAt;
    assert.ok(survivors.some((server) => cluster.rpcAddress(server) === newLeader));
    await waitFor('the load-balancer passing again as seen through the client agent', registered, 30_000, 200);
    const recovered = performance.now() - killedAt;

    // The crashed server comes back with its data and catches up: the cluster is whole again.
    await cluster.startAgent(leader);
    await waitFor(
      `${leader.name} to rejoin and follow ${newLeader}`,
      async () => {
        if ((await cluster.leader(leader)) !== newLeader) return false;
        const own = await cluster.api<{ ServicePort: number }[]>(
          leader,
          'GET',
          '/v1/catalog/service/load-balancer?stale',
          {
            token,
          },
        );
        return own.status === 200 && own.body.some((entry) => entry.ServicePort === app.port);
      },
      30_000,
      200,
    );
    // Degraded while its watches back off (at most 10 s between tries), then up again.
    await waitFor(
      'the app to report up again',
      async () => {
        const { body } = await readiness(app.url);
        if (body.status !== 'up') throw new Error(`${body.status}: ${JSON.stringify(body.details)}`);
        return true;
      },
      30_000,
      200,
    );
    const upAgain = performance.now() - killedAt;
    watching.abort();
    await watcher;

    context.diagnostic(
      `no leader for ${Math.round(leaderless)} ms after SIGKILL of ${leader.name}; app passing again after ${Math.round(recovered)} ms, readiness up again after ${Math.round(upAgain)} ms; ` +
        `readiness ${JSON.stringify(Object.fromEntries(seen.ready))}, /pools ${JSON.stringify(Object.fromEntries(seen.pools))}, ` +
        `catalog samples ${seen.inCatalog} present / ${seen.missing} missing; degraded by ${JSON.stringify([...seen.degradedBy])}`,
    );
    const readinessCodes = [...seen.ready.keys()].map((key) => key.split(' ')[0]);
    assert.deepEqual([...new Set(readinessCodes)], ['200'], 'readiness answered 200 (up or degraded) throughout');
    assert.deepEqual([...seen.pools.keys()], [200], 'the app served its API throughout');
    assert.equal(seen.missing, 0, 'no server that answered had lost the registration');
    assert.ok(seen.inCatalog > 0);
  });
});
