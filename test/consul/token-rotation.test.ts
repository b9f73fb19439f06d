import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ConsulClient, TOKEN_ACCESSOR_META_KEY } from '@switchboard/consul';
import { AppProcess } from '../support/app-process.js';
import { ConsulAgent } from '../support/consul-agent.js';
import { consulApi, runConsulScript } from '../support/consul-scripts.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { instanceManagerEnv } from '../support/instance-manager-env.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

interface AclToken {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies?: { Name: string }[];
}

interface HealthEntry {
  Service: { ID: string; Meta: Record<string, string> | null };
  Checks: { CheckID: string; Status: string }[];
}

/**
 * Consul behind a proxy whose catalog answers 500 once a token has been cloned: a catalog that
 * fails while rotate_app_token.sh waits for the apps. `requests` lists what passed, as "METHOD path".
 */
async function startCatalogFailingAfterClone(consulAddress: string) {
  const requests: string[] = [];
  let cloned = false;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '/';
    if (cloned && path.startsWith('/v1/catalog/')) {
      response.writeHead(500).end('catalog unavailable');
      return;
    }
    requests.push(`${request.method} ${path}`);
    const token = request.headers['x-consul-token'];
    try {
      const upstream = await fetch(`${consulAddress}${path}`, {
        method: request.method,
        headers: typeof token === 'string' ? { 'x-consul-token': token } : {},
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      if (request.method === 'PUT' && path.endsWith('/clone') && upstream.ok) cloned = true;
      response.writeHead(upstream.status).end(Buffer.from(await upstream.arrayBuffer()));
    } catch (error) {
      response.writeHead(502).end(String(error));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('Consul token rotation without downtime', () => {
  let agent: ConsulAgent;
  let database: TestDatabase;
  let work: string;
  let app: AppProcess | undefined;
  const api = <T>(method: string, path: string, body?: unknown) =>
    consulApi<T>(agent.address, agent.managementToken!, method, path, body);
  const createToken = async (description: string) =>
    (await api<AclToken>('PUT', '/v1/acl/token', {
      Description: description,
      Policies: [{ Name: 'switchboard-services' }],
    }))!;
  const checkStatus = async (service: string, checkId: string) =>
    (await api<{ CheckID: string; Status: string }[]>('GET', `/v1/health/checks/${service}`))?.find(
      (check) => check.CheckID === checkId,
    )?.Status;

  before(async () => {
    agent = await ConsulAgent.start({ acl: true });
    database = await createTestDatabase();
    work = await mkdtemp(join(tmpdir(), 'consul-rotation-test-'));
    // The apps' real policy, as consul/acl/README.md creates it.
    const rules = await readFile(new URL('../../../consul/acl/service-registration.hcl', import.meta.url), 'utf8');
    await api('PUT', '/v1/acl/policy', { Name: 'switchboard-services', Rules: rules });
  });

  after(async () => {
    await app?.stop();
    await agent?.stop();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a client reading a token file registers again with a new token, so the agent still syncs after the old one is deleted', async () => {
    const first = await createToken('client first');
    const second = await createToken('client second');
    const file = join(work, 'client-token');
    await writeFile(file, `${first.SecretID}\n`, { mode: 0o600 });
    const client = new ConsulClient({ address: agent.address, tokenFile: file });
    // The same registration made with the environment's token and never made again: what every app did before.
    const fixed = new ConsulClient({ address: agent.address, token: first.SecretID });
    try {
      let changes = 0;
      client.onTokenChange(() => {
        changes += 1;
      });
      const ttlService = (id: string, name: string) => ({
        ID: id,
        Name: name,
        Port: 1,
        Check: { CheckID: `${id}:ttl`, Name: 'probe', TTL: '10m', Status: 'passing' as const },
      });
      await client.registerService(ttlService('rotation-replayed', 'ai-provider-openai'));
      await fixed.registerService(ttlService('rotation-fixed', 'ai-provider-claude'));
      await waitFor(
        'both checks passing in the catalog',
        async () =>
          (await checkStatus('ai-provider-openai', 'rotation-replayed:ttl')) === 'passing' &&
          (await checkStatus('ai-provider-claude', 'rotation-fixed:ttl')) === 'passing',
      );

      // One more of the client's registrations, removed meanwhile by someone else (a peer, or
      // DeregisterCriticalServiceAfter): a replay must not bring it back.
      await client.registerService(ttlService('rotation-removed', 'ai-provider-zai'));
      await fixed.deregisterService('rotation-removed');
      await writeFile(file, `${second.SecretID}\n`);
      await waitFor('the client to read the new token', () => changes === 1, 10_000);
      assert.deepEqual(await client.replayRegistrations(), { replayed: 1, failed: [] });
      assert.equal((await client.agentServices())['rotation-removed'], undefined, 'not revived by the replay');
      await api('DELETE', `/v1/acl/token/${first.AccessorID}`);

      // Both updates are accepted by the agent (the request carries the valid new token); only the
      // registration made again with it reaches the catalog.
      await client.updateCheck('rotation-replayed:ttl', 'warning', 'slow');
      await client.updateCheck('rotation-fixed:ttl', 'warning', 'slow');
      await waitFor(
        'the replayed check to reach the catalog',
        async () => (await checkStatus('ai-provider-openai', 'rotation-replayed:ttl')) === 'warning',
      );
      await delay(1_000);
      assert.equal(
        await checkStatus('ai-provider-claude', 'rotation-fixed:ttl'),
        'passing',
        'a registration bound to a deleted token no longer syncs: the reason for replaying',
      );

      // The old token deleted before the poll saw the new file: the refused request reads it and goes again.
      const third = await createToken('client third');
      await writeFile(file, third.SecretID);
      await api('DELETE', `/v1/acl/token/${second.AccessorID}`);
      assert.equal(await client.kvPut('switchboard/rotation-test', 'ok'), true);
      assert.equal((await client.kvGet('switchboard/rotation-test')).body?.Value, 'ok');
    } finally {
      await client.close();
      await fixed.close();
    }
  });

  it('rotate_app_token.sh swaps the token of a running intelligent-router with no gap in its registration or check', async () => {
    const old = await createToken('Switchboard apps');
    const tokenFile = join(work, 'apps-token');
    await writeFile(tokenFile, `${old.SecretID}\n`, { mode: 0o600 });
    app = await AppProcess.start(
      'intelligent-router',
      await freePort(),
      instanceManagerEnv(agent.address, database.url, { CONSUL_HTTP_TOKEN_FILE: tokenFile }),
    );
    const router = app;
    const readyCheck = (entry: HealthEntry) => entry.Checks.find((check) => check.CheckID.endsWith(':ready'));
    const registration = async () =>
      (await api<HealthEntry[]>('GET', '/v1/health/service/intelligent-router'))?.filter(
        (entry) => readyCheck(entry)?.Status === 'passing',
      ) ?? [];
    await waitFor(
      'the router registered and passing, naming its token',
      async () => (await registration())[0]?.Service.Meta?.[TOKEN_ACCESSOR_META_KEY] === old.AccessorID,
      30_000,
      200,
    );

    // Throughout the rotation, the router must stay registered, passing and ready.
    const gaps: string[] = [];
    let samples = 0;
    let watching = true;
    const monitor = (async () => {
      while (watching) {
        const [passing, ready] = await Promise.all([
          registration(),
          fetch(`${router.url}/health/ready`).then((response) => response.status),
        ]);
        samples += 1;
        if (passing.length !== 1 || ready !== 200)
          gaps.push(`${new Date().toISOString()}: ${passing.length} passing registration(s), readiness ${ready}`);
        await delay(200);
      }
    })();

    try {
      const rotation = await runConsulScript(
        'rotate_app_token.sh',
        ['--description', 'Switchboard apps', '--app-token-file', tokenFile, '--timeout', '60'],
        { CONSUL_HTTP_ADDR: agent.address, CONSUL_HTTP_TOKEN: agent.managementToken! },
      );
      assert.equal(rotation.code, 0, rotation.stderr);
      const completed = /^Rotation complete: token (\S+) replaced by (\S+) in /m.exec(rotation.stdout);
      assert.ok(completed, rotation.stdout);
      assert.equal(completed[1], old.AccessorID);
      const newAccessor = completed[2]!;
      assert.match(rotation.stderr, /\[4\/5\] Waiting[\s\S]*now using the new token: intelligent-router-/);

      const tokens = (await api<AclToken[]>('GET', '/v1/acl/tokens'))!;
      assert.ok(!tokens.some((token) => token.AccessorID === old.AccessorID), 'the old token is gone');
      assert.deepEqual(
        tokens.filter((token) => token.Description === 'Switchboard apps').map((token) => token.AccessorID),
        [newAccessor],
      );
      const current = (await api<AclToken>('GET', `/v1/acl/token/${newAccessor}`))!;
      assert.equal(current.Description, 'Switchboard apps');
      assert.deepEqual(
        current.Policies?.map((policy) => policy.Name),
        ['switchboard-services'],
      );
      assert.equal((await readFile(tokenFile, 'utf8')).trim(), current.SecretID);
      assert.equal((await registration())[0]?.Service.Meta?.[TOKEN_ACCESSOR_META_KEY], newAccessor);

      // After the old token is gone the router still reads Consul: a policy written now is applied.
      await api('PUT', '/v1/kv/switchboard/config/routing-policy', {
        tiers: { only_claude: ['claude/claude-sonnet-4-6'] },
        rules: [],
        defaultTier: 'only_claude',
        balancing: { strategy: 'round_robin' },
      });
      await waitFor(
        'the router to apply a policy written after the rotation',
        async () => {
          const body = (await (await fetch(`${router.url}/policy`)).json()) as {
            status: { source: string };
            policy: { balancing: { strategy: string } };
          };
          return body.status.source === 'consul' && body.policy.balancing.strategy === 'round_robin';
        },
        10_000,
        100,
      );
      // And keeps passing for a while with only the new token in existence.
      await delay(3_000);
      for (const secret of [old.SecretID, current.SecretID, agent.managementToken!]) {
        assert.ok(!`${rotation.stdout}${rotation.stderr}`.includes(secret), 'the script printed a secret');
        assert.ok(!router.logs.includes(secret), 'the app logged a secret');
      }
      assert.match(router.logs, /Consul token changed in CONSUL_HTTP_TOKEN_FILE/);
    } finally {
      watching = false;
      await monitor;
    }
    assert.deepEqual(gaps, [], 'the router was registered, passing and ready throughout');
    assert.ok(samples >= 10, `the monitor sampled ${samples} times`);

    // Registration itself works with the new token: dropped from the agent, the router registers again.
    const serviceId = (await registration())[0]!.Service.ID;
    await api('PUT', `/v1/agent/service/deregister/${serviceId}`);
    await waitFor(
      'the router to register again with the new token',
      async () => (await registration())[0]?.Service.ID === serviceId,
      20_000,
      200,
    );
  });
  it('rotate_app_token.sh keeps the old token when the catalog cannot be read while it waits', async () => {
    const old = await createToken('Switchboard stuck app');
    const tokenFile = join(work, 'stuck-app-token');
    await writeFile(tokenFile, `${old.SecretID}\n`, { mode: 0o600 });
    // A registration that names the token and never moves on, so the script has to wait.
    await api('PUT', '/v1/agent/service/register', {
      ID: 'rotation-stuck',
      Name: 'rotation-stuck',
      Port: 1,
      Meta: { [TOKEN_ACCESSOR_META_KEY]: old.AccessorID },
    });
    await waitFor(
      'the stuck registration in the catalog',
      async () => ((await api<unknown[]>('GET', '/v1/catalog/service/rotation-stuck')) ?? []).length === 1,
    );
    const proxy = await startCatalogFailingAfterClone(agent.address);
    try {
      const rotation = await runConsulScript(
        'rotate_app_token.sh',
        ['--accessor', old.AccessorID, '--app-token-file', tokenFile, '--timeout', '60'],
        { CONSUL_HTTP_ADDR: proxy.address, CONSUL_HTTP_TOKEN: agent.managementToken! },
      );
      assert.equal(rotation.code, 1, rotation.stderr);
      assert.match(rotation.stderr, /the catalog could not be read[\s\S]*was NOT deleted and still works/);
      assert.doesNotMatch(rotation.stdout, /Rotation complete/);
      assert.ok(!proxy.requests.includes(`DELETE /v1/acl/token/${old.AccessorID}`), proxy.requests.join('\n'));
      assert.equal((await api<AclToken>('GET', `/v1/acl/token/${old.AccessorID}`))?.AccessorID, old.AccessorID);
    } finally {
      await proxy.close();
      await api('PUT', '/v1/agent/service/deregister/rotation-stuck');
    }
  });
});
