import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ConsulClient } from '@switchboard/consul';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { AppProcess } from '../support/app-process.js';
import { ConsulAgent } from '../support/consul-agent.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { admin, instanceManagerEnv } from '../support/instance-manager-env.js';
import { freePorts } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'sk-live-TopSecretProviderKey-9f8e7d6c5b4a';
const LAST4 = SECRET.slice(-4);

describe('instance-manager: admin API, Consul registration and health probing', () => {
  let agent: ConsulAgent;
  let consul: ConsulClient;
  let database: TestDatabase;
  let simulator: ProviderSimulator;
  let manager: AppProcess;
  let call: ReturnType<typeof admin>;
  let openaiBaseUrl: string;
  let claudeBaseUrl: string;
  const redis = new Redis(redisUrl, { lazyConnect: true });

  const consulStatus = async (service: string, serviceId: string) => {
    const entry = (await consul.healthService(service)).body.find((candidate) => candidate.Service.ID === serviceId);
    return entry ? { entry, check: entry.Checks.find((check) => check.CheckID === `${serviceId}:probe`) } : undefined;
  };
  /** Meta follows a probe at the next reconcile round (1 s here), not at once. */
  const healthMetaOf = (serviceId: string, status: string, service = 'ai-provider-openai') =>
    waitFor(
      `health_status ${status} in the meta of ${serviceId}`,
      async () => {
        const meta = (await consulStatus(service, serviceId))?.entry.Service.Meta;
        return meta?.health_status === status ? meta : undefined;
      },
      10_000,
      50,
    );

  before(async () => {
    [agent, database, simulator] = await Promise.all([
      ConsulAgent.start(),
      createTestDatabase(),
      ProviderSimulator.start({ controlPort: 0 }),
    ]);
    consul = new ConsulClient({ address: agent.address });
    openaiBaseUrl = (await simulator.addInstance({ id: 'openai-a', provider: 'openai', apiKey: SECRET })).baseUrl;
    claudeBaseUrl = (await simulator.addInstance({ id: 'claude-a', provider: 'claude', apiKey: SECRET })).baseUrl;
    const [port] = await freePorts(1);
    manager = await AppProcess.start('instance-manager', port!, instanceManagerEnv(agent.address, database.url));
    call = admin(manager.url);
    await redis.connect();
  });

  after(async () => {
    await manager?.stop();
    redis.disconnect();
    await consul?.close();
    await Promise.all([agent?.stop(), simulator?.stop()]);
    await database?.drop();
  });

  it('refuses requests without the admin token, or with a wrong one', async () => {
    const anonymous = await fetch(`${manager.url}/admin/instances`);
    assert.equal(anonymous.status, 401);
    assert.match(await anonymous.text(), /Bearer <ADMIN_TOKEN>/);
    assert.equal((await call('GET', '/admin/instances', undefined, 'wrong-token-wrong-token')).status, 401);
  });

  it('rejects bad input with a 400 that names each offending field', async () => {
    const cases: { body: unknown; fields: RegExp[] }[] = [
      { body: {}, fields: [/name must/, /provider must be one of/, /models must/] },
      {
        body: { name: 'x', provider: 'openai', models: ['m'], colour: 'red' },
        fields: [/property colour should not exist/],
      },
      { body: { name: 'has space', provider: 'openai', models: ['m'] }, fields: [/^name must be 1-100 letters/] },
      {
        body: { name: 'x', provider: 'mistral', models: ['m'] },
        fields: [/^provider must be one of openai, claude, zai, perplexity, openai_compatible/],
      },
      { body: { name: 'x', provider: 'openai', models: [] }, fields: [/^models must list at least one model/] },
      {
        body: { name: 'x', provider: 'openai', models: ['m'], baseUrl: 'ftp://host' },
        fields: [/^baseUrl must be an http\(s\) URL/],
      },
      {
        body: { name: 'x', provider: 'openai', models: ['m'], weight: -1, priority: 'high' },
        fields: [/^weight must not be less than 0/, /^priority must be an integer/],
      },
      {
        body: { name: 'x', provider: 'openai', models: ['m'], apiKeyEnv: 'lower-case' },
        fields: [/^apiKeyEnv must be an environment variable name/],
      },
      { body: { name: 'x', provider: 'openai', models: ['m'], apiKey: 'short' }, fields: [/^apiKey looks too short/] },
      {
        body: { name: 'x', provider: 'openai', models: ['m'], apiKey: SECRET, apiKeyEnv: 'OPENAI_KEY' },
        fields: [/apiKey: give either apiKey or apiKeyEnv/],
      },
      {
        body: { name: 'x', provider: 'openai', models: ['m'], apiKeyEnv: 'CREDENTIALS_KEY' },
        fields: [/^apiKeyEnv: CREDENTIALS_KEY does not start with SWITCHBOARD_PROVIDER_KEY_/],
      },
      {
        body: { name: 'x', provider: 'openai', models: ['m'], apiKeyEnv: 'OPENAI_KEY_EU' },
        fields: [/^apiKeyEnv: OPENAI_KEY_EU does not start with SWITCHBOARD_PROVIDER_KEY_: .*INSTANCE_KEY_ENV_PREFIX/],
      },
      {
        body: { name: 'x', provider: 'openai', models: ['m'], extraHeaders: { Authorization: 'Bearer x' } },
        fields: [/^extraHeaders\.Authorization: credentials do not go in extraHeaders/],
      },
    ];
    for (const { body, fields } of cases) {
      const response = await call('POST', '/admin/instances', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(typeof response.body.message, 'string', 'one message, each problem in details');
      const messages = ((response.body.details as string[] | undefined) ?? [response.body.message]).join('\n');
      for (const field of fields)
        assert.match(messages, new RegExp(field.source, 'm'), `${JSON.stringify(body)} -> ${messages}`);
      assert.ok(!response.text.includes(SECRET), 'a rejected secret is not echoed');
    }
    for (const query of ['page=0', 'pageSize=1000', 'enabled=maybe', 'health=purple', 'provider=nope']) {
      const response = await call('GET', `/admin/instances?${query}`);
      assert.equal(response.status, 400, query);
      assert.match(response.body.message as string, new RegExp(`^${query.split('=')[0]}`));
    }
    assert.equal(
      (await call('PATCH', '/admin/instances/00000000-0000-4000-8000-000000000000', { weight: 5 })).status,
      404,
    );
    assert.equal(
      (await call('PATCH', '/admin/instances/not-a-uuid', { provider: 'claude' })).status,
      400,
      'provider cannot be changed',
    );
  });

  it('refuses baseUrls that reach link-local or metadata destinations, or carry credentials, with a 400 naming baseUrl', async () => {
    const attacks: [string, RegExp][] = [
      ['http://169.254.169.254/latest/meta-data/', /metadata address \(169\.254\.169\.254\)/],
      ['http://[::ffff:a9fe:a9fe]/', /metadata address/],
      ['http://[::ffff:169.254.169.254]/', /metadata address/],
      ['http://169.254.10.1:8080/v1', /link-local/],
      ['http://[fe80::1]/', /link-local/],
      ['http://[fd00:ec2::254]/', /metadata address/],
      ['http://0.0.0.0:8080/', /unspecified/],
      ['http://[::]/', /unspecified/],
      ['http://metadata.google.internal/computeMetadata/v1/', /metadata host \(metadata\.google\.internal\)/],
      ['http://METADATA.Google.Internal/', /metadata host \(metadata\.google\.internal\)/],
      // The DTO's URL check already refuses a trailing dot; the policy would too (its spec shows it).
      ['http://metadata.google.internal./', /^baseUrl/],
      ['http://metadata/', /metadata host/],
      ['http://instance-data.ec2.internal/', /metadata host/],
      ['http://user:pass@api.example.com/v1', /must not carry user:password@/],
    ];
    for (const [baseUrl, reason] of attacks) {
      const response = await call('POST', '/admin/instances', {
        name: 'attack',
        provider: 'openai_compatible',
        models: ['m'],
        baseUrl,
        apiKey: SECRET,
      });
      assert.equal(response.status, 400, `${baseUrl} -> ${response.text}`);
      const message = [response.body.message].flat().join('\n');
      assert.match(message, /^baseUrl/m, baseUrl);
      assert.match(message, reason, `${baseUrl} -> ${message}`);
      assert.ok(!response.text.includes('pass@'), 'the URL credentials are not echoed');
    }
    assert.equal((await call('GET', '/admin/instances')).body.total, 0, 'nothing was created');
  });

  let openaiId = '';
  let openaiServiceId = '';

  it('creates an instance (key masked), refuses a duplicate name, and registers it in Consul passing after the first probe', async () => {
    const created = await call('POST', '/admin/instances', {
      name: 'openai-eu-1',
      provider: 'openai',
      baseUrl: openaiBaseUrl,
      models: ['gpt-4o', 'gpt-4o-mini'],
      apiKey: SECRET,
      region: 'eu-west',
      weight: 70,
      priority: 1,
      tags: ['tier:premium'],
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.apiKey, { source: 'stored', masked: `****${LAST4}`, environmentVariable: null });
    openaiId = created.body.id;
    // Service IDs are readable in the Consul UI: the service name and the instance's unique name.
    openaiServiceId = 'ai-provider-openai-openai-eu-1';
    assert.equal(
      (await call('POST', '/admin/instances', { name: 'openai-eu-1', provider: 'openai', models: ['m'] })).status,
      409,
    );

    const passing = await waitFor(
      'openai-eu-1 passing in Consul',
      async () =>
        (await consul.healthService('ai-provider-openai', { passing: true })).body.find(
          (entry) => entry.Service.ID === openaiServiceId,
        ),
      10_000,
      100,
    );
    assert.deepEqual([...passing.Service.Tags!].sort(), [
      'model:gpt-4o',
      'model:gpt-4o-mini',
      'region:eu-west',
      'tier:premium',
    ]);
    assert.equal(passing.Service.Meta?.weight, '70');
    assert.equal(passing.Service.Meta?.priority, '1');
    assert.equal(passing.Service.Meta?.provider, 'openai');
    assert.equal(passing.Service.Meta?.switchboard_instance_id, openaiId);
    const check = passing.Checks.find((entry) => entry.CheckID === `${openaiServiceId}:probe`)!;
    assert.match(check.Output, /^probe ok in \d+ ms$/);
    const meta = await healthMetaOf(openaiServiceId, 'passing');
    assert.match(meta.health_score!, /^[01]\.\d$/, 'one decimal');
    assert.ok(Number(meta.health_score) > 0.5, `a healthy simulator scores high: ${meta.health_score}`);
  });

  it('lists with filters and pagination, and gets one by id (unknown ids are 404)', async () => {
    const claude = await call('POST', '/admin/instances', {
      name: 'claude-us-1',
      provider: 'claude',
      baseUrl: claudeBaseUrl,
      models: ['claude-sonnet-4-6'],
      apiKey: SECRET,
    });
    assert.equal(claude.status, 201);
    const disabled = await call('POST', '/admin/instances', {
      name: 'zai-off',
      provider: 'zai',
      models: ['glm-4.6'],
      apiKeyEnv: 'SWITCHBOARD_PROVIDER_KEY_ZAI_UNSET',
      enabled: false,
    });
    assert.equal(disabled.status, 201);
    assert.deepEqual(disabled.body.apiKey, {
      source: 'environment',
      masked: null,
      environmentVariable: 'SWITCHBOARD_PROVIDER_KEY_ZAI_UNSET',
    });
    assert.equal(disabled.body.baseUrl, 'https://api.z.ai/api/paas/v4', 'the provider default');

    const all = await call('GET', '/admin/instances');
    assert.equal(all.body.total, 3);
    assert.deepEqual(
      all.body.items.map((item: { name: string }) => item.name),
      ['claude-us-1', 'openai-eu-1', 'zai-off'],
    );
    assert.deepEqual(
      (await call('GET', '/admin/instances?provider=claude')).body.items.map((item: { name: string }) => item.name),
      ['claude-us-1'],
    );
    assert.equal((await call('GET', '/admin/instances?enabled=false')).body.total, 1);
    const page = await call('GET', '/admin/instances?page=2&pageSize=2');
    assert.deepEqual(
      page.body.items.map((item: { name: string }) => item.name),
      ['zai-off'],
    );
    assert.equal(page.body.total, 3);
    await waitFor(
      'claude passing',
      async () => (await call('GET', '/admin/instances?health=passing')).body.total === 2,
      10_000,
      100,
    );
    assert.deepEqual(
      (await call('GET', '/admin/instances?health=unknown')).body.items.map((item: { name: string }) => item.name),
      ['zai-off'],
    );

    assert.equal((await call('GET', `/admin/instances/${openaiId}`)).body.name, 'openai-eu-1');
    assert.equal((await call('GET', '/admin/instances/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await call('GET', '/admin/instances/nope')).status, 404);
  });

  it('does not re-register a steady instance on every probe, so its health meta costs no Consul writes', async () => {
    await healthMetaOf(openaiServiceId, 'passing');
    await healthMetaOf('ai-provider-claude-claude-us-1', 'passing', 'ai-provider-claude');
    const registrations = () => manager.logs.split('Reconciled Consul: registered').length - 1;
    const lastProbe = () => redis.hget(`switchboard:health:${openaiId}`, 'lastProbeAt');
    const registeredBefore = registrations();
    // Several probes (400 ms) and reconcile rounds (1 s) of two healthy instances.
    const probes = new Set<string | null>([await lastProbe()]);
    for (const until = Date.now() + 3_000; Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      probes.add(await lastProbe());
    }
    assert.ok(probes.size >= 5, `probes went on meanwhile (${probes.size - 1} seen)`);
    // A loaded machine can slow a probe enough to change the health shown once (a real change,
    // published at once); a registration per probe would be one for each of the probes seen.
    const reRegistered = registrations() - registeredBefore;
    assert.ok(reRegistered <= 1, `reconcile found Consul in line each round (${reRegistered} re-registrations)`);
  });

  it('keeps health metrics in Redis with a TTL and publishes every probe', async () => {
    const subscriber = new Redis(redisUrl);
    const events: { instanceId: string; status: string; score: number }[] = [];
    await subscriber.subscribe('switchboard:health-events');
    subscriber.on('message', (_channel, message) => events.push(JSON.parse(message)));
    try {
      await waitFor(
        'a health event for openai-eu-1',
        () => events.some((event) => event.instanceId === openaiId),
        5_000,
        50,
      );
      const event = events.find((entry) => entry.instanceId === openaiId)!;
      assert.equal(event.status, 'passing');
      assert.ok(event.score > 0.9 && event.score <= 1, `score ${event.score}`);
    } finally {
      subscriber.disconnect();
    }
    const key = `switchboard:health:${openaiId}`;
    const hash = await redis.hgetall(key);
    assert.equal(hash.status, 'passing');
    assert.equal(hash.lastOutcome, 'success');
    assert.ok(Number(hash.windowSuccesses) >= 1);
    assert.equal(hash.windowFailures, '0');
    assert.ok(Number(hash.latencyEwmaMs) >= 0);
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);

    const health = await call('GET', `/admin/instances/${openaiId}/health`);
    assert.equal(health.body.metrics.status, 'passing');
    assert.deepEqual(
      { registered: health.body.consul.registered, status: health.body.consul.status },
      { registered: true, status: 'passing' },
    );
  });

  it('turns the check warning then critical while the upstream fails, and passing again after it recovers', async (context) => {
    await simulator.updateKnobs('openai-a', { error: { kind: 'server' } });
    context.after(() => simulator.updateKnobs('openai-a', { error: null }));
    const failedAt = Date.now();
    const warning = await waitFor(
      'warning',
      async () =>
        (await consulStatus('ai-provider-openai', openaiServiceId))?.check?.Status === 'warning' ? Date.now() : 0,
      5_000,
      20,
    );
    const critical = await waitFor(
      'critical',
      async () =>
        (await consulStatus('ai-provider-openai', openaiServiceId))?.check?.Status === 'critical' ? Date.now() : 0,
      5_000,
      20,
    );
    const output = (await consulStatus('ai-provider-openai', openaiServiceId))!.check!.Output;
    assert.match(output, /probe failed \dx in a row after \d+ ms: server_error \(HTTP 500\)/);
    assert.equal((await healthMetaOf(openaiServiceId, 'critical')).health_score, '0.0');
    assert.ok(warning - failedAt < 2_000 && critical > warning);
    assert.equal(
      (await consul.healthService('ai-provider-openai', { passing: true })).body.length,
      0,
      'not passing while failing',
    );
    // The probe writes Consul and Redis one after the other: under load Redis can trail a moment.
    await waitFor(
      'the Redis score to drop to 0',
      async () => (await redis.hget(`switchboard:health:${openaiId}`, 'score')) === '0',
      5_000,
      20,
    );
    const metrics = (await (await fetch(`${manager.url}/metrics`)).text()).split('\n');
    const sample = (name: string, ...labels: string[]) =>
      Number(
        metrics
          .find((line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)))
          ?.split(' ')
          .at(-1) ?? 0,
      );
    assert.ok(
      sample('switchboard_probe_duration_seconds_count', 'provider="openai"', 'outcome="failure"') >= 3,
      'failed probes are measured',
    );
    assert.ok(
      sample('switchboard_instance_status_changes_total', 'provider="openai"', 'status="critical"') >= 1,
      'the change to critical is counted',
    );

    await simulator.updateKnobs('openai-a', { error: null });
    const recoveredAt = Date.now();
    const passing = await waitFor(
      'passing again',
      async () =>
        (await consulStatus('ai-provider-openai', openaiServiceId))?.check?.Status === 'passing' ? Date.now() : 0,
      5_000,
      20,
    );
    assert.ok(passing - recoveredAt < 3_000);
    // The failure still weighs on the score (the last 20 probes), so the passing check still names it.
    assert.match(
      (await consulStatus('ai-provider-openai', openaiServiceId))!.check!.Output,
      /^probe ok in \d+ ms; last failure at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: server_error \(HTTP 500\)/,
    );
    assert.match((await healthMetaOf(openaiServiceId, 'passing')).health_score!, /^[01]\.\d$/);
    console.log(
      `# measured (probe interval 400 ms, warn 1, critical 3, recover 2): failing -> warning ${warning - failedAt} ms, -> critical ${critical - failedAt} ms; recovered -> passing ${passing - recoveredAt} ms`,
    );
  });

  it('marks an instance critical when its upstream refuses connections', async () => {
    await simulator.updateKnobs('openai-a', { refuseConnections: true });
    try {
      // Critical for this reason: a check still critical from something else does not count.
      const check = await waitFor(
        'critical with a network failure',
        async () => {
          const current = (await consulStatus('ai-provider-openai', openaiServiceId))?.check;
          return current?.Status === 'critical' && /network: /.test(current.Output ?? '') ? current : undefined;
        },
        5_000,
        50,
      );
      assert.match(check.Output ?? '', /network: openai unreachable/);
    } finally {
      await simulator.updateKnobs('openai-a', { refuseConnections: false });
    }
    await waitFor(
      'passing again',
      async () => (await consulStatus('ai-provider-openai', openaiServiceId))?.check?.Status === 'passing',
      5_000,
      50,
    );
  });

  it('states a rejected key in the check output without the key its upstream echoed', async () => {
    await simulator.updateKnobs('openai-a', {
      error: { kind: 'auth', message: `Incorrect API key provided: ${SECRET}` },
    });
    try {
      const check = await waitFor(
        'critical with the credentials rejected',
        async () => {
          const current = (await consulStatus('ai-provider-openai', openaiServiceId))?.check;
          return current?.Status === 'critical' && /credentials rejected/.test(current.Output ?? '')
            ? current
            : undefined;
        },
        5_000,
        50,
      );
      assert.match(
        check.Output,
        /^probe failed \dx in a row after \d+ ms: credentials rejected \(HTTP 401\): openai: /,
      );
      assert.match(check.Output, /Incorrect API key provided: \[redacted\]/);
      for (const fragment of [SECRET, 'TopSecretProviderKey'])
        assert.ok(!check.Output.includes(fragment), `nothing of the key in the check output (${fragment})`);
    } finally {
      await simulator.updateKnobs('openai-a', { error: null });
    }
    await waitFor(
      'passing again',
      async () => (await consulStatus('ai-provider-openai', openaiServiceId))?.check?.Status === 'passing',
      5_000,
      50,
    );
  });

  it('drains, disables, enables and probes on demand', async () => {
    const drained = await call('POST', `/admin/instances/${openaiId}/drain`);
    assert.equal(drained.body.draining, true);
    const draining = await consulStatus('ai-provider-openai', openaiServiceId);
    assert.ok(draining?.entry.Service.Tags?.includes('draining'), 'still registered, tagged draining');
    assert.equal(draining?.entry.Service.Meta?.draining, 'true');
    assert.equal(draining?.entry.Service.Meta?.health_status, 'passing', 'the re-registration keeps the health meta');
    // A probe that started before the drain may write its output once more: the next one says draining.
    const drainingCheck = await waitFor(
      'the check output to say draining',
      async () => {
        const check = (await consulStatus('ai-provider-openai', openaiServiceId))?.check;
        return check?.Output.startsWith('draining') ? check : undefined;
      },
      5_000,
      50,
    );
    assert.match(
      drainingCheck.Output,
      /^draining: no new requests are routed to this instance \(undrain it to resume\); probe ok in \d+ ms/,
    );
    assert.equal(drainingCheck.Status, 'passing', 'a draining instance is still probed');
    await call('POST', `/admin/instances/${openaiId}/undrain`);
    assert.ok(!(await consulStatus('ai-provider-openai', openaiServiceId))?.entry.Service.Tags?.includes('draining'));
    await waitFor(
      'the check output to drop draining',
      async () =>
        /^probe ok in \d+ ms/.test((await consulStatus('ai-provider-openai', openaiServiceId))?.check?.Output ?? ''),
      5_000,
      50,
    );

    assert.equal((await call('POST', `/admin/instances/${openaiId}/disable`)).body.enabled, false);
    assert.equal(await consulStatus('ai-provider-openai', openaiServiceId), undefined, 'disabled: deregistered');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a reconcile round must not bring it back
    assert.equal(await consulStatus('ai-provider-openai', openaiServiceId), undefined);
    await call('POST', `/admin/instances/${openaiId}/enable`);
    assert.ok(await consulStatus('ai-provider-openai', openaiServiceId), 'enabled: registered again');

    const probe = await call('POST', `/admin/instances/${openaiId}/probe`);
    assert.equal(probe.status, 200);
    assert.equal(probe.body.ok, true);
    assert.match(probe.body.output, /^probe ok/);
  });

  it('restores registrations after the Consul agent restarts empty (anti-entropy)', async () => {
    const restartedAt = Date.now();
    await agent.restart();
    const upAt = Date.now();
    await waitFor(
      'openai-eu-1 registered again',
      async () => Boolean(await consulStatus('ai-provider-openai', openaiServiceId)),
      10_000,
      100,
    );
    await waitFor(
      'claude-us-1 passing again',
      async () => (await consul.healthService('ai-provider-claude', { passing: true })).body.length === 1,
      10_000,
      100,
    );
    console.log(
      `# measured: registrations restored ${Date.now() - upAt} ms after a fresh Consul agent answered (${Date.now() - restartedAt} ms after the old one was stopped; reconcile interval 1000 ms)`,
    );
    assert.equal(
      Object.values(await consul.agentServices()).filter((service) => service.Service.startsWith('ai-provider-zai'))
        .length,
      0,
      'the disabled instance stays out',
    );
  });

  it('refuses to move a stored key to another host unless it is given again', async () => {
    const moved = await call('PATCH', `/admin/instances/${openaiId}`, { baseUrl: 'https://elsewhere.example/v1' });
    assert.equal(moved.status, 400);
    assert.match(moved.body.message, /^apiKey: baseUrl moves to another host/);
    assert.equal((await call('GET', `/admin/instances/${openaiId}`)).body.baseUrl, openaiBaseUrl, 'nothing changed');
  });

  it('refuses to move an instance to a metadata destination, and keeps loopback servers allowed by default', async () => {
    const moved = await call('PATCH', `/admin/instances/${openaiId}`, {
      baseUrl: 'http://[::ffff:a9fe:a9fe]/v1',
      apiKey: SECRET,
    });
    assert.equal(moved.status, 400);
    assert.match(moved.body.message, /^baseUrl: points at a cloud metadata address \(::ffff:a9fe:a9fe\)/);
    assert.equal((await call('GET', `/admin/instances/${openaiId}`)).body.baseUrl, openaiBaseUrl, 'nothing changed');
    assert.match(openaiBaseUrl, /^http:\/\/127\.0\.0\.1:/, 'the simulator on loopback was accepted');
  });

  it('updates and deletes: Consul follows, unknown ids are 404', async () => {
    const updated = await call('PATCH', `/admin/instances/${openaiId}`, { weight: 5, models: ['gpt-4o'] });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.weight, 5);
    const entry = (await consulStatus('ai-provider-openai', openaiServiceId))!.entry;
    assert.equal(entry.Service.Meta?.weight, '5');
    assert.equal(entry.Service.Meta?.models, 'gpt-4o', 'the models are in meta for the Consul UI');
    assert.ok(!entry.Service.Tags?.includes('model:gpt-4o-mini'));

    // A new name is a new, readable service ID; the old registration goes at once.
    const renamed = await call('PATCH', `/admin/instances/${openaiId}`, { name: 'openai-eu-primary' });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(await consulStatus('ai-provider-openai', openaiServiceId), undefined, 'the old ID is gone');
    openaiServiceId = 'ai-provider-openai-openai-eu-primary';
    assert.equal(
      (await consulStatus('ai-provider-openai', openaiServiceId))?.entry.Service.Meta?.instance_name,
      'openai-eu-primary',
    );

    assert.equal((await call('DELETE', `/admin/instances/${openaiId}`)).status, 204);
    assert.equal((await call('GET', `/admin/instances/${openaiId}`)).status, 404);
    assert.equal((await call('DELETE', `/admin/instances/${openaiId}`)).status, 404);
    assert.equal(await consulStatus('ai-provider-openai', openaiServiceId), undefined);
    assert.equal(await redis.exists(`switchboard:health:${openaiId}`), 0);
  });

  it('client keys: the key is shown once, stored hashed, and can be revoked', async () => {
    const created = await call('POST', '/admin/client-keys', { name: 'mobile-app', rateLimitRpm: 600 });
    assert.equal(created.status, 201);
    const key = created.body.key as string;
    assert.match(key, /^sb-[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.prefix, key.slice(0, 10));
    const listed = await call('GET', '/admin/client-keys');
    assert.equal(listed.body.length, 1);
    assert.ok(!listed.text.includes(key), 'the list never shows the key');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const row = (await client.query('SELECT key_hash FROM client_api_keys')).rows[0];
      assert.equal(row.key_hash, createHash('sha256').update(key).digest('hex'));
    } finally {
      await client.end();
    }
    assert.equal((await call('POST', '/admin/client-keys', { name: '' })).status, 400);
    const revoked = await call('DELETE', `/admin/client-keys/${created.body.id}`);
    assert.ok(revoked.body.revokedAt);
    assert.deepEqual((await call('GET', '/admin/client-keys')).body, []);
    assert.equal((await call('GET', '/admin/client-keys?includeRevoked=true')).body.length, 1);
    assert.equal((await call('DELETE', '/admin/client-keys/00000000-0000-4000-8000-000000000000')).status, 404);
  });

  it('never lets a provider secret reach responses, the audit log, Consul, Redis or the logs', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const audit = (await client.query('SELECT action, details::text AS details FROM audit_log ORDER BY id')).rows;
      assert.ok(audit.some((row) => row.action === 'instance.create'));
      assert.ok(audit.some((row) => row.action === 'instance.delete'));
      assert.ok(audit.some((row) => row.action === 'client_key.create'));
      for (const row of audit)
        assert.ok(!row.details.includes(SECRET) && !row.details.includes('ciphertext'), `audit ${row.action}`);
      const stored = (
        await client.query("SELECT api_key_ciphertext FROM provider_instances WHERE name = 'claude-us-1'")
      ).rows[0];
      assert.match(stored.api_key_ciphertext, /^v1:/);
      assert.ok(!stored.api_key_ciphertext.includes(SECRET));
    } finally {
      await client.end();
    }
    const consulDump = JSON.stringify([
      await consul.agentServices(),
      (await consul.healthService('ai-provider-claude')).body,
      await agent.kvEntries(''),
    ]);
    // Neither the key, nor its masked form, nor its distinctive middle. (Its last four hex digits
    // alone are no test: any Consul id ending in them would match by chance.)
    for (const fragment of [SECRET, `****${LAST4}`, 'TopSecretProviderKey'])
      assert.ok(!consulDump.includes(fragment), `nothing of the key in Consul (${fragment})`);
    const redisDump = JSON.stringify(
      await Promise.all((await redis.keys('switchboard:health:*')).map((key) => redis.hgetall(key))),
    );
    assert.ok(!redisDump.includes(SECRET));
    const everything = JSON.stringify([
      (await call('GET', '/admin/instances')).body,
      (await call('GET', '/admin/audit')).body,
      (await call('GET', '/admin/consul/services')).body,
    ]);
    assert.ok(!everything.includes(SECRET));
    assert.ok(!manager.logs.includes(SECRET), 'the process logs never hold the key');
    assert.ok(manager.logs.length > 500, 'there are logs to look at');
  });

  it('serves its OpenAPI document at /docs', async () => {
    const json = await fetch(`${manager.url}/docs-json`);
    assert.equal(json.status, 200);
    const document = (await json.json()) as { paths: Record<string, unknown> };
    assert.ok(document.paths['/admin/instances']);
    assert.ok(document.paths['/admin/client-keys']);
    assert.equal((await fetch(`${manager.url}/docs`)).status, 200);
  });
});
