import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ConsulClient } from '@switchboard/consul';
import { AppProcess } from '../support/app-process.js';
import { ConsulAgent } from '../support/consul-agent.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { instanceManagerEnv, TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { repoRoot } from '../support/paths.js';
import { freePorts } from '../support/ports.js';
import { PrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const consulBin = process.env.CONSUL_BIN ?? 'consul';

/** Sends a Redis PING over a plain TCP connection; resolves with what came back (or why nothing did). */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const finish = (result: string) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(3_000, () => finish(`timeout ${answer}`));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) finish(answer.trim());
    });
    socket.on('error', (error) => finish(`error ${error.message}`));
    socket.on('close', () => finish(`closed ${answer}`));
  });
}

/**
 * Consul Connect on loopback with Consul's built-in proxy: an app (the intelligent-router) reaches
 * Redis only through its sidecar, over mutual TLS, as the intentions in consul/connect/ allow.
 */
describe('Consul Connect: the apps reach Redis through sidecars, as the intentions allow', () => {
  let agent: ConsulAgent;
  let consul: ConsulClient;
  let redis: PrivateRedis;
  let database: TestDatabase;
  let router: AppProcess | undefined;
  const proxies: ChildProcess[] = [];
  let ports: { redisSidecar: number; routerSidecar: number; routerUpstream: number; intruderUpstream: number };

  const proxy = (args: string[]) => {
    const child = spawn(consulBin, ['connect', 'proxy', '-http-addr', agent.address, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    proxies.push(child);
    return () => output;
  };

  before(async () => {
    [agent, redis, database] = await Promise.all([ConsulAgent.start(), PrivateRedis.start(), createTestDatabase()]);
    consul = new ConsulClient({ address: agent.address });
    const [redisSidecar, routerSidecar, routerUpstream, intruderUpstream, routerPort] = await freePorts(5);
    ports = {
      redisSidecar: redisSidecar!,
      routerSidecar: routerSidecar!,
      routerUpstream: routerUpstream!,
      intruderUpstream: intruderUpstream!,
    };
    // Redis in the mesh as compose puts it there: its service (consul/config/infrastructure.hcl)
    // and, beside it, a connect-proxy service for its sidecar (consul/connect/store-sidecars.hcl).
    await consul.registerService({ ID: 'switchboard-redis', Name: 'redis', Address: '127.0.0.1', Port: redis.port });
    await agent.api('PUT', '/v1/agent/service/register', {
      Kind: 'connect-proxy',
      ID: 'switchboard-redis-sidecar-proxy',
      Name: 'redis-sidecar-proxy',
      Address: '127.0.0.1',
      Port: ports.redisSidecar,
      Proxy: {
        DestinationServiceName: 'redis',
        DestinationServiceID: 'switchboard-redis',
        LocalServicePort: redis.port,
      },
    });
    const { stderr } = await run(join(repoRoot, 'consul/scripts/apply_intentions.sh'), [], {
      env: { ...process.env, CONSUL_HTTP_ADDR: agent.address, CONSUL_BIN: consulBin },
    });
    assert.match(stderr, /connect\/redis\.hcl/);
    proxy(['-sidecar-for', 'switchboard-redis']);
    // Sidecars route only to instances whose proxy passes its checks (a TCP check every 10 s).
    await waitFor(
      "Redis's sidecar to pass its checks",
      async () => ((await agent.api<unknown[]>('GET', '/v1/health/connect/redis?passing=true')) ?? []).length > 0,
      30_000,
    );
    router = await AppProcess.start(
      'intelligent-router',
      routerPort!,
      instanceManagerEnv(agent.address, database.url, {
        SERVICE_ID: 'router-in-mesh',
        REDIS_URL: `redis://127.0.0.1:${ports.routerUpstream}`,
        CONSUL_CONNECT_UPSTREAMS: `redis:${ports.routerUpstream}`,
        CONSUL_CONNECT_SIDECAR_PORT: String(ports.routerSidecar),
      }),
    );
    await waitFor('the router registered with its sidecar', async () =>
      Boolean((await consul.agentServices())['router-in-mesh-sidecar-proxy']),
    );
    proxy(['-sidecar-for', 'router-in-mesh']);
  });

  after(async () => {
    for (const child of proxies) child.kill('SIGTERM');
    await Promise.all(proxies.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    await router?.stop();
    await consul?.close();
    await Promise.all([agent?.stop(), redis?.halt(), database?.drop()]);
  });

  it("the compose stack's mesh registration of PostgreSQL and Redis is a configuration Consul accepts", async () => {
    const { stdout } = await run(consulBin, [
      'validate',
      join(repoRoot, 'consul/config/server.hcl'),
      join(repoRoot, 'consul/config/infrastructure.hcl'),
      join(repoRoot, 'consul/connect/store-sidecars.hcl'),
    ]);
    assert.match(stdout, /Configuration is valid/);
  });

  it('registers the app with a sidecar whose upstream is Redis on the local port it was given', async () => {
    const sidecar = (await consul.agentServices())['router-in-mesh-sidecar-proxy'] as unknown as {
      Kind: string;
      Port: number;
      Proxy: { DestinationServiceID: string; Upstreams: { DestinationName: string; LocalBindPort: number }[] };
    };
    assert.equal(sidecar.Kind, 'connect-proxy');
    assert.equal(sidecar.Port, ports.routerSidecar);
    assert.equal(sidecar.Proxy.DestinationServiceID, 'router-in-mesh');
    assert.deepEqual(
      sidecar.Proxy.Upstreams.map((upstream) => [upstream.DestinationName, upstream.LocalBindPort]),
      [['redis', ports.routerUpstream]],
    );
  });

  it('the app reaches Redis through the mesh and is ready', async () => {
    // Redis is degraded, not down, for readiness: its own line in the detail says whether it answers.
    await waitFor(
      "the router's Redis (through its sidecar) to answer",
      async () => {
        const response = await fetch(`${router!.url}/health/ready`, {
          headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
        }).catch(() => undefined);
        const body = (await response?.json().catch(() => undefined)) as { details?: { redis?: { status?: string } } };
        return response?.status === 200 && body?.details?.redis?.status === 'up';
      },
      30_000,
    );
    // The sidecar opens its upstream listener once it has its certificate.
    await waitFor('PONG through the router sidecar', async () => (await ping(ports.routerUpstream)) === '+PONG');
  });

  it('refuses plain connections to the Redis sidecar: only mutual TLS from the mesh gets in', async () => {
    const answer = await ping(ports.redisSidecar);
    assert.ok(!answer.includes('PONG'), answer);
  });

  it('refuses a service no intention allows, and lets it in once one does', async () => {
    proxy(['-service', 'intruder', '-upstream', `redis:${ports.intruderUpstream}`]);
    // The upstream listener opens once the proxy has its certificate; until then connections fail too.
    const refused = await waitFor('the intruder proxy to be listening', async () => {
      const answer = await ping(ports.intruderUpstream);
      return answer.startsWith('error connect ECONNREFUSED') ? undefined : answer;
    });
    assert.ok(!refused.includes('PONG'), refused);
    await agent.api('PUT', '/v1/connect/intentions/exact?source=intruder&destination=redis', {
      SourceType: 'consul',
      Action: 'allow',
    });
    await waitFor('the allowed intruder to reach Redis', async () => (await ping(ports.intruderUpstream)) === '+PONG');
  });
});
