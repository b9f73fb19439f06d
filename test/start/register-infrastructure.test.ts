import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ConsulClient } from '@switchboard/consul';
import { ConsulAgent } from '../support/consul-agent.js';
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
