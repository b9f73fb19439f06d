import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin } from '../support/instance-manager-env.js';
import { PrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait.js';

const askOpenAi = { model: 'gpt-4o', messages: [{ role: 'user', content: 'ping' }] };
const askClaude = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'ping' }] };
const FAST_REPORTS = { REPORT_INTERVAL_MS: '300' };

/** The parts of the dashboard these tests read. */
interface Dashboard {
  windowSeconds: number;
  services: {
    name: string;
    passing: number;
    replicas: {
      id: string;
      status: string;
      rssBytes?: number;
      eventLoopDelayMs?: number;
      meta: Record<string, string>;
    }[];
  }[];
  providers: { provider: string; instances: number; healthy: number; traffic: { requests: number } }[];
  instances: {
    id: string;
    name: string;
    provider: string;
    serviceId: string;
    health: { status: string; score?: number; lastProbeAt?: string; output?: string };
    circuit: { state: string; since?: string; replicas: string[]; lastError?: string };
    inFlight: number;
    traffic: {
      requests: number;
      errors: number;
      errorRate: number;
      retries: number;
      p50Ms?: number;
      p95Ms?: number;
      ttftP50Ms?: number;
    };
  }[];
  traffic: { requests: number; errors: number };
  fallbacks: { fromProvider: string; toProvider: string; count: number }[];
  routingPolicy: { source: string; key: string };
  alerts: unknown[];
  consul: { reachable: boolean; leader?: string; servers: string[]; healthy?: boolean };
  sources: { unavailable: string[]; gatewayReplicas: number };
}

/**
 * The monitoring dashboard over a real stack: a gateway reports its traffic to a Redis of the
 * test's own (so no other test's counts mix in), the instance-manager assembles the view.
 */
describe('instance-manager: GET /admin/monitoring/dashboard', () => {
  let redis: PrivateRedis;
  let stack: GatewayStack;
  let call: ReturnType<typeof admin>;

  before(async () => {
    redis = await PrivateRedis.start();
    stack = await GatewayStack.start({
      redisUrl: redis.url,
      instances: [
        { name: 'flaky', provider: 'openai', models: ['gpt-4o'] },
        { name: 'backup', provider: 'claude', models: ['claude-sonnet-4-6'] },
      ],
      // Only the gateway's circuit judges flaky here: probes are rare enough not to take it out first.
      managerEnv: { ...FAST_REPORTS, PROBE_INTERVAL_MS: '600000' },
      gatewayEnv: { ...FAST_REPORTS, CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_COOL_DOWN_MS: '600000' },
    });
    call = admin(stack.manager.url);
  });

  after(async () => {
    await stack?.stop();
    await redis?.halt();
  });

  const dashboard = async (): Promise<Dashboard> => {
    const response = await call('GET', '/admin/monitoring/dashboard');
    assert.equal(response.status, 200, response.text);
    return response.body as Dashboard;
  };
  const instance = (view: Dashboard, name: string) => view.instances.find((entry) => entry.name === name)!;

  it('is behind the admin token', async () => {
    const response = await call('GET', '/admin/monitoring/dashboard', undefined, 'wrong-token');
    assert.equal(response.status, 401);
  });

  it('shows core services with their Consul health and resources, the policy in force and the Consul cluster', async () => {
    // Consul runs a new replica's readiness check within its interval; the reports come every 300 ms.
    const view = await waitFor('both apps passing and reporting their resources', async () => {
      const current = await dashboard();
      const replicas = current.services.flatMap((service) => service.replicas);
      return replicas.length >= 2 && replicas.every((replica) => replica.rssBytes && replica.status === 'passing')
        ? current
        : undefined;
    });
    const names = view.services.map((service) => service.name);
    assert.ok(names.includes('api-gateway') && names.includes('instance-manager'), names.join(', '));
    const gateway = view.services.find((service) => service.name === 'api-gateway')!;
    assert.equal(gateway.passing, 1, JSON.stringify(gateway.replicas));
    assert.equal(gateway.replicas[0]!.status, 'passing');
    assert.ok(gateway.replicas[0]!.rssBytes! > 10_000_000, `rss ${gateway.replicas[0]!.rssBytes}`);
    assert.equal(typeof gateway.replicas[0]!.eventLoopDelayMs, 'number');
    assert.equal(view.windowSeconds, 300);
    assert.equal(view.routingPolicy.key, 'switchboard/config/routing-policy');
    assert.ok(['consul', 'default'].includes(view.routingPolicy.source), view.routingPolicy.source);
    assert.equal(view.consul.reachable, true);
    assert.match(view.consul.leader ?? '', /:\d+$/);
    assert.equal(view.consul.servers.length, 1);
    assert.equal(view.consul.healthy, true);
    assert.deepEqual(view.sources.unavailable, []);
  });

  it('shows each instance with its probe health and Consul service', async () => {
    // A view assembled a moment ago may predate the first probes; the next one has them.
    const view = await waitFor('both instances passing', async () => {
      const current = await dashboard();
      return current.instances.every((entry) => entry.health.status === 'passing') ? current : undefined;
    });
    const backup = instance(view, 'backup');
    assert.equal(backup.provider, 'claude');
    assert.equal(backup.serviceId, 'ai-provider-claude-backup');
    assert.equal(backup.health.status, 'passing');
    assert.ok(backup.health.score! > 0, `score ${backup.health.score}`);
    assert.ok(backup.health.lastProbeAt);
    assert.match(backup.health.output ?? '', /probe ok/);
    assert.deepEqual(
      view.providers.map((provider) => [provider.provider, provider.instances, provider.healthy]),
      [
        ['claude', 1, 1],
        ['openai', 1, 1],
      ],
    );
  });

  it('counts attempts, failures, retries and fallbacks over the window, and shows the circuit a gateway opened', async () => {
    await stack.simulator.updateKnobs('flaky', { error: { kind: 'server' } });
    for (let index = 0; index < 5; index += 1) {
      const response = await stack.chat(askOpenAi);
      assert.equal(response.status, 200, 'flaky fails, and the claude fallback answers');
      await response.arrayBuffer();
    }
    const flakyServed = stack.served('flaky');
    assert.equal(flakyServed, 3, 'the circuit opened after three failures');
    const view = await waitFor('the gateway to report its traffic', async () => {
      const current = await dashboard();
      return instance(current, 'backup').traffic.requests >= 5 ? current : undefined;
    });
    const flaky = instance(view, 'flaky');
    assert.equal(flaky.traffic.requests, flakyServed);
    assert.equal(flaky.traffic.errors, flakyServed);
    assert.equal(flaky.traffic.errorRate, 1);
    assert.equal(flaky.traffic.retries, flakyServed, 'each failure was followed by another attempt');
    assert.equal(flaky.circuit.state, 'open');
    assert.equal(flaky.circuit.replicas.length, 1);
    assert.match(flaky.circuit.lastError ?? '', /server/);
    assert.ok(Date.parse(flaky.circuit.since!) <= Date.now());
    const backup = instance(view, 'backup');
    assert.equal(backup.traffic.requests, stack.served('backup'));
    assert.equal(backup.traffic.errors, 0);
    assert.equal(typeof backup.traffic.p50Ms, 'number');
    assert.ok(backup.traffic.p95Ms! >= backup.traffic.p50Ms!);
    assert.deepEqual(view.fallbacks, [{ fromProvider: 'openai', toProvider: 'claude', count: flakyServed }]);
    assert.equal(view.traffic.requests, flaky.traffic.requests + backup.traffic.requests);
    assert.equal(view.sources.gatewayReplicas, 1);
  });

  it('measures time to first token on streams, and in-flight attempts over the gateways', async () => {
    const streamed = await stack.chat({ ...askClaude, stream: true });
    assert.equal(streamed.status, 200);
    await streamed.text();
    await waitFor('a time to first token', async () => {
      return typeof instance(await dashboard(), 'backup').traffic.ttftP50Ms === 'number';
    });
    await stack.simulator.updateKnobs('backup', { latencyMs: 2_500 });
    const slow = stack.chat(askClaude);
    try {
      await waitFor(
        'the slow attempt to show in flight',
        async () => instance(await dashboard(), 'backup').inFlight === 1,
      );
    } finally {
      await (await slow).arrayBuffer();
      await stack.simulator.updateKnobs('backup', { latencyMs: 0 });
    }
    await waitFor(
      'nothing in flight once it is answered',
      async () => instance(await dashboard(), 'backup').inFlight === 0,
    );
  });

  it('gives one instance its traffic slot by slot, for charts', async () => {
    const backupId = stack.ids.get('backup')!;
    const response = await call('GET', `/admin/monitoring/instances/${backupId}/series`);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.slotSeconds, 10);
    assert.equal(response.body.points.length, 30);
    const requests = (response.body.points as { requests: number }[]).reduce((sum, point) => sum + point.requests, 0);
    assert.equal(requests, instance(await dashboard(), 'backup').traffic.requests);
    const unknown = await call('GET', '/admin/monitoring/instances/00000000-0000-4000-8000-000000000000/series');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message, /no instance 00000000-0000-4000-8000-000000000000/);
  });

  it("exports the Consul integration's own metrics: API calls by endpoint, registrations", async () => {
    const text = await (await fetch(`${stack.manager.url}/metrics`)).text();
    assert.match(
      text,
      /switchboard_consul_request_duration_seconds_count\{[^}]*endpoint="\/v1\/health\/service\/\*"[^}]*outcome="ok"/,
    );
    assert.match(text, /switchboard_consul_registrations_total\{[^}]*operation="register"[^}]*\} [1-9]/);
    assert.doesNotMatch(text, /endpoint="\/v1\/kv\/switchboard/, 'keys never become labels');
  });

  it('is documented in OpenAPI with its response schema', async () => {
    const response = await fetch(`${stack.manager.url}/docs-json`);
    const document = (await response.json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const ok = document.paths['/admin/monitoring/dashboard']?.get?.responses['200'];
    assert.deepEqual(ok?.content?.['application/json']?.schema, { $ref: '#/components/schemas/MonitoringDashboard' });
    const instanceSchema = document.components.schemas.InstanceMonitorView!;
    for (const field of ['health', 'circuit', 'inFlight', 'traffic'])
      assert.ok(instanceSchema.properties?.[field], `InstanceMonitorView.${field} documented`);
  });

  it('still answers while Redis is down, naming it as unavailable and keeping what Consul and Postgres know', async () => {
    await redis.halt();
    const view = await waitFor('the dashboard to notice Redis is gone', async () => {
      const current = await dashboard();
      return current.sources.unavailable.some((source) => source.startsWith('redis')) ? current : undefined;
    });
    assert.equal(instance(view, 'backup').health.status, 'passing', 'from Consul');
    assert.equal(view.instances.length, 2, 'from Postgres');
    assert.ok(view.services.some((service) => service.name === 'api-gateway'));
  });
});
