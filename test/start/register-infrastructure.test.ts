import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ConsulClient } from '@switchboard/consul';
import { ConsulAgent } from '../support/consul-agent.js';
import { consulApi } from '../support/consul-scripts.js';
import { repoRoot } from '../support/paths.js';
import { freePorts } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const script = join(repoRoot, 'scripts/lib/register-infrastructure.mjs');

describe('npm start: PostgreSQL and Redis in Consul', () => {
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

  const register = (env: Record<string, string>, ...args: string[]) =>
    run(process.execPath, [script, ...args], {
      env: { ...process.env, CONSUL_HTTP_ADDR: agent.address, INFRASTRUCTURE_CHECK_INTERVAL: '1s', ...env },
    });
  const statusOf = async (name: string) =>
    (await consul.healthService(name)).body[0]?.Checks.find((check) => check.ServiceID)?.Status;

  it('registers both with TCP checks the agent runs, and never a password or database name', async () => {
    await register({
      DATABASE_URL: 'postgresql://postgres:s3cret-pw@127.0.0.1:5432/switchboard_private',
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    });
    await waitFor(
      'the postgres and redis checks to pass',
      async () => (await statusOf('postgres')) === 'passing' && (await statusOf('redis')) === 'passing',
    );
    const services = await consul.agentServices();
    const postgres = services['switchboard-postgres']!;
    assert.equal(postgres.Port, 5432);
    assert.ok(postgres.Tags?.includes('infrastructure'));
    const everything = JSON.stringify(services);
    assert.ok(!everything.includes('s3cret-pw') && !everything.includes('switchboard_private'), everything);
  });

  it('shows a store that does not answer as critical, and deregisters on request', async () => {
    const [closed] = await freePorts(1);
    await register({ DATABASE_URL: `postgresql://127.0.0.1:${closed}/x`, REDIS_URL: 'redis://127.0.0.1:6379' });
    await waitFor('the postgres check to fail', async () => (await statusOf('postgres')) === 'critical');
    await register(
      { DATABASE_URL: `postgresql://127.0.0.1:${closed}/x`, REDIS_URL: 'redis://127.0.0.1:6379' },
      '--deregister',
    );
    const services = await consul.agentServices();
    assert.equal(services['switchboard-postgres'], undefined);
    assert.equal(services['switchboard-redis'], undefined);
  });

  it('the compose stack registers them from consul/config/infrastructure.hcl, which Consul accepts', async () => {
    const { stdout } = await run(process.env.CONSUL_BIN ?? 'consul', [
      'validate',
      join(repoRoot, 'consul/config/server.hcl'),
      join(repoRoot, 'consul/config/infrastructure.hcl'),
    ]);
    assert.match(stdout, /Configuration is valid/);
  });

  it('says what to do when Consul refuses', async () => {
    const [closed] = await freePorts(1);
    await assert.rejects(register({ CONSUL_HTTP_ADDR: `http://127.0.0.1:${closed}` }), (error: { stderr: string }) => {
      assert.match(error.stderr, /could not register PostgreSQL and Redis in Consul/);
      return true;
    });
  });
});

describe('npm start: PostgreSQL and Redis in a Consul with ACLs, addressed as the consul CLI is', () => {
  let agent: ConsulAgent;
  let work: string;
  let tokenFile: string;
  const stores = { DATABASE_URL: 'postgresql://127.0.0.1:5432/x', REDIS_URL: 'redis://127.0.0.1:6379' };

  before(async () => {
    agent = await ConsulAgent.start({ acl: true, tls: true });
    work = await mkdtemp(join(tmpdir(), 'register-infrastructure-test-'));
    tokenFile = join(work, 'consul-token');
    await writeFile(tokenFile, `${agent.managementToken}\n`, { mode: 0o600 });
  });

  after(async () => {
    await agent?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  // Only the Consul variables each case sets: none of the test runner's own.
  const register = (env: Record<string, string>, ...args: string[]) =>
    run(process.execPath, [script, ...args], {
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CONSUL_HTTP_'))),
        ...stores,
        ...env,
      },
    });
  const registeredIds = async () =>
    Object.keys(
      (await consulApi<Record<string, unknown>>(agent.address, agent.managementToken!, 'GET', '/v1/agent/services')) ??
        {},
    ).sort();
  const withoutScheme = (address: string) => address.replace(/^https?:\/\//, '');

  it('reads the token from CONSUL_HTTP_TOKEN_FILE, and takes host:port as http', async () => {
    const address = withoutScheme(agent.address);
    await assert.rejects(register({ CONSUL_HTTP_ADDR: address }), (error: { stderr: string }) => {
      assert.match(error.stderr, /Consul answered 403/);
      return true;
    });
    await register({ CONSUL_HTTP_ADDR: address, CONSUL_HTTP_TOKEN_FILE: tokenFile });
    assert.deepEqual(await registeredIds(), ['switchboard-postgres', 'switchboard-redis']);
    await register({ CONSUL_HTTP_ADDR: address, CONSUL_HTTP_TOKEN_FILE: tokenFile }, '--deregister');
    assert.deepEqual(await registeredIds(), []);
  });

  it('takes host:port as https when CONSUL_HTTP_SSL=true', async () => {
    await register({
      CONSUL_HTTP_ADDR: withoutScheme(agent.httpsAddress),
      CONSUL_HTTP_SSL: 'true',
      CONSUL_HTTP_TOKEN_FILE: tokenFile,
      NODE_EXTRA_CA_CERTS: agent.caFile!,
    });
    assert.deepEqual(await registeredIds(), ['switchboard-postgres', 'switchboard-redis']);
    await register({ CONSUL_HTTP_ADDR: agent.address, CONSUL_HTTP_TOKEN: agent.managementToken! }, '--deregister');
    assert.deepEqual(await registeredIds(), []);
  });

  it('says which token file it cannot read', async () => {
    const missing = join(work, 'no-such-token');
    await assert.rejects(
      register({ CONSUL_HTTP_ADDR: agent.address, CONSUL_HTTP_TOKEN_FILE: missing }),
      (error: { stderr: string }) => {
        assert.ok(error.stderr.includes(`CONSUL_HTTP_TOKEN_FILE ${missing} cannot be read (ENOENT)`), error.stderr);
        return true;
      },
    );
  });
});
