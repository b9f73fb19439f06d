import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConsulClient } from '@switchboard/consul';
import { AppProcess } from '../support/app-process.js';
import { ConsulAgent } from '../support/consul-agent.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { repoRoot } from '../support/paths.js';
import { freePorts } from '../support/ports.js';
import { readiness } from '../support/readiness.js';
import { waitFor } from '../support/wait.js';

const APPS = ['api-gateway', 'instance-manager', 'intelligent-router', 'load-balancer'] as const;
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One sample line of the Prometheus text format: name{labels} value. */
const sampleLine =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|[+-]Inf)$/;

describe('the four apps as processes, against real Consul, Postgres and Redis', () => {
  let agent: ConsulAgent;
  let consul: ConsulClient;
  let database: TestDatabase;
  const running = new Map<string, AppProcess>();

  before(async () => {
    [agent, database] = await Promise.all([ConsulAgent.start(), createTestDatabase()]);
    consul = new ConsulClient({ address: agent.address });
    const ports = await freePorts(APPS.length);
    const started = await Promise.all(
      APPS.map((name, position) =>
        AppProcess.start(name, ports[position]!, {
          CONSUL_HTTP_ADDR: agent.address,
          CONSUL_CHECK_INTERVAL: '1s',
          DATABASE_URL: database.url,
          REDIS_URL: redisUrl,
          SERVICE_ADDRESS: '127.0.0.1',
          HOST: '127.0.0.1',
          NODE_ENV: 'test',
          GATEWAY_WORKERS: '1',
          ADMIN_TOKEN: TEST_ADMIN_TOKEN,
          CREDENTIALS_KEY: '00'.repeat(32),
        }),
      ),
    );
    for (const app of started) running.set(app.name, app);
  });

  after(async () => {
    await Promise.all([...running.values()].map((app) => app.stop()));
    await consul?.close();
    await agent?.stop();
    await database?.drop();
  });

  it('each app registers itself and its readiness check turns passing in Consul', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    // What this test run's build recorded (the commit, or BUILD_ID when the build was given one).
    const { build } = JSON.parse(readFileSync(join(repoRoot, 'dist/build-info.json'), 'utf8'));
    assert.ok(build, 'the build recorded an identifier');
    for (const name of APPS) {
      const app = running.get(name)!;
      const entry = await waitFor(
        `${name} passing in Consul`,
        async () => (await consul.healthService(name, { passing: true })).body[0],
        20_000,
        200,
      );
      assert.equal(entry.Service.Port, app.port);
      assert.equal(entry.Service.Address, '127.0.0.1');
      assert.ok(entry.Service.Tags?.includes('switchboard'));
      assert.equal(entry.Service.Meta?.app, name);
      assert.deepEqual(
        { version: entry.Service.Meta?.version, build: entry.Service.Meta?.build, node: entry.Service.Meta?.node },
        { version, build, node: process.versions.node },
        `${name} says which code it runs`,
      );
      const check = entry.Checks.find((c) => c.CheckID.endsWith(':ready'));
      assert.equal(check?.Status, 'passing');
    }
  });

  it('each app answers /health/live and reports its dependencies in /health/ready', async () => {
    for (const name of APPS) {
      const app = running.get(name)!;
      const live = await fetch(`${app.url}/health/live`);
      assert.equal(live.status, 200);
      const anyone = await readiness(app.url, false);
      assert.deepEqual(anyone, { http: 200, body: { status: 'up' } }, `${name}: the status only, without the token`);
      const { http, body } = await readiness(app.url);
      assert.equal(http, 200);
      assert.equal(body.status, 'up');
      assert.equal(body.details?.consul?.status, 'up');
      assert.equal(body.details?.database?.status, 'up', `${name} checks the database`);
      assert.equal(body.details?.redis?.status, 'up', `${name} checks Redis`);
      if (name !== 'instance-manager')
        assert.equal(body.details?.routing?.status, 'up', `${name} has its routing table loaded`);
    }
  });

  it('each app serves parseable Prometheus metrics with process metrics and the request histogram', async () => {
    for (const name of APPS) {
      const app = running.get(name)!;
      await fetch(`${app.url}/`);
      const response = await fetch(`${app.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      const samples = text.split('\n').filter((line) => line && !line.startsWith('#'));
      const bad = samples.filter((line) => !sampleLine.test(line));
      assert.deepEqual(bad, [], `${name}: every sample line parses`);
      assert.ok(
        samples.some((line) => line.startsWith('process_cpu_user_seconds_total{')),
        'process metrics',
      );
      assert.ok(
        samples.some(
          (line) =>
            line.startsWith('switchboard_http_request_duration_seconds_count{') &&
            line.includes('route="/"') &&
            line.includes(`app="${name}"`),
        ),
        `${name}: the request to / was measured by route`,
      );
    }
  });

  it('registers itself again when Consul loses its registration', async () => {
    const app = running.get('intelligent-router')!;
    const serviceId = `intelligent-router-127.0.0.1-${app.port}`;
    await consul.deregisterService(serviceId);
    assert.equal((await consul.agentServices())[serviceId], undefined);
    await waitFor(
      'the router to register again',
      async () => Boolean((await consul.agentServices())[serviceId]),
      15_000,
      200,
    );
    assert.match(app.logs, /Consul no longer has intelligent-router-127\.0\.0\.1-\d+; registering it again/);
  });

  it('logs JSON lines that carry the request id it echoes back', async () => {
    const app = running.get('intelligent-router')!;
    const response = await fetch(`${app.url}/no-such-route`, { headers: { 'x-request-id': 'trace-abc-123' } });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('x-request-id'), 'trace-abc-123');
    const generated = await fetch(`${app.url}/health/live`);
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const lines = app.logLines;
    assert.ok(lines.length > 0);
    assert.ok(
      lines.every(
        (line) => typeof line.time === 'string' && typeof line.level === 'string' && line.app === 'intelligent-router',
      ),
    );
  });

  it('on SIGTERM every app deregisters from Consul and exits cleanly', async () => {
    for (const name of APPS) running.get(name)!.kill('SIGTERM');
    for (const name of APPS) {
      const app = running.get(name)!;
      const exit = await app.exited;
      running.delete(name);
      assert.deepEqual(exit, { code: 0, signal: null }, `${name}: ${app.logs.slice(-1_000)}`);
      assert.match(app.logs, new RegExp(`Deregistered ${name}-127\\.0\\.0\\.1-${app.port} from Consul`));
    }
    const services = Object.values(await consul.agentServices()).map((service) => service.Service);
    assert.deepEqual(
      services.filter((service) => (APPS as readonly string[]).includes(service)),
      [],
    );
  });
});

describe('apps at the edges of their dependencies', () => {
  it('refuses to start on bad configuration, naming every bad variable', async () => {
    const [port] = await freePorts(1);
    const app = AppProcess.spawn('instance-manager', port!, {
      PORT: 'x',
      CONSUL_HTTP_ADDR: 'nope',
      REDIS_URL: 'http://redis',
    });
    const exit = await app.exited;
    assert.equal(exit.code, 1);
    assert.match(app.logs, /instance-manager: invalid configuration/);
    for (const name of ['PORT', 'CONSUL_HTTP_ADDR', 'DATABASE_URL', 'REDIS_URL'])
      assert.match(app.logs, new RegExp(`- ${name}`));
  });

  it('stays ready (degraded) with Redis and Consul unreachable, and keeps retrying registration', async () => {
    const [port, deadConsul, deadRedis] = await freePorts(3);
    const database = await createTestDatabase();
    const app = await AppProcess.start('load-balancer', port!, {
      CONSUL_HTTP_ADDR: `http://127.0.0.1:${deadConsul}`,
      REDIS_URL: `redis://127.0.0.1:${deadRedis}`,
      DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
    try {
      const { http, body } = await readiness(app.url);
      assert.equal(http, 200);
      assert.equal(body.status, 'degraded');
      assert.equal(body.details?.redis?.status, 'degraded');
      assert.equal(body.details?.consul?.status, 'degraded');
      await waitFor(
        'a registration retry',
        () => /Consul registration failed .*retrying in \d+ ms/.test(app.logs),
        5_000,
      );
    } finally {
      await app.stop();
      await database.drop();
    }
    assert.equal((await app.exited).code, 0);
  });
});
