import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin } from '../support/instance-manager-env.js';
import { freePort } from '../support/ports.js';
import {
  AlertmanagerServer,
  PrometheusServer,
  replaceAll,
  type Sample,
  WebhookReceiver,
} from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';
import { alertRules, dashboardQueries, readShipped, selectorsOf } from './observability-config.js';

const APPS = ['api-gateway', 'instance-manager', 'intelligent-router', 'load-balancer'];
/** Grafana's $__rate_interval for the test: wider than the whole test, so every event counts. */
const RATE_WINDOW = '5m';

/**
 * The shipped prometheus.yml with this test's addresses and files, scraping and evaluating every
 * second. Only addresses, paths and intervals change: discovery and relabeling are the shipped ones.
 */
function testPrometheusConfig(addresses: {
  consul: string;
  alertmanager: string;
  self: string;
  rulesFile: string;
  tokenFile: string;
}): string {
  const what = 'observability/prometheus.yml';
  let config = readShipped('prometheus.yml');
  config = replaceAll(config, /(scrape|evaluation)_interval: 15s/g, '$1_interval: 1s', what);
  config = replaceAll(config, '/etc/prometheus/alerts.yml', addresses.rulesFile, what);
  config = replaceAll(config, '/run/secrets/consul_metrics_token', addresses.tokenFile, what);
  // One dev agent stands in for the client agent and the three servers; it serves plain HTTP,
  // where the compose agents serve HTTPS only (test/consul/secure-cluster.test.ts covers those).
  config = replaceAll(config, /^(\s+)scheme: https\n(\1#.*\n)*\1tls_config:\n\1 {2}ca_file: \S+\n/gm, '', what);
  config = replaceAll(config, /^\s+- consul-server-[23]:8501\n/gm, '', what);
  config = replaceAll(config, /consul-(server-1|client):8501/g, addresses.consul, what);
  config = replaceAll(config, 'alertmanager:9093', addresses.alertmanager, what);
  return replaceAll(config, 'localhost:9090', addresses.self, what);
}

/** The shipped rules with every `for:` shortened, so an alert fires within seconds of its cause. */
function testAlertRules(): string {
  return replaceAll(readShipped('alerts.yml'), /^(\s+)for: \S+$/gm, '$1for: 1s', 'observability/alerts.yml');
}

/** The shipped Alertmanager configuration with its waits shortened. */
function testAlertmanagerConfig(): string {
  const what = 'observability/alertmanager/alertmanager.yml';
  let config = readShipped('alertmanager/alertmanager.yml');
  config = replaceAll(config, /group_wait: \S+/, 'group_wait: 1s', what);
  return replaceAll(config, /group_interval: \S+/, 'group_interval: 1s', what);
}

const hasFiniteValue = (samples: Sample[]) => samples.some((sample) => Number.isFinite(Number(sample.value[1])));

const chat = (model: string, stream = false) => ({
  model,
  stream,
  messages: [{ role: 'user', content: 'How are the pools today?' }],
});

describe('Prometheus and Alertmanager on the running stack', () => {
  let stack: GatewayStack;
  let prometheus: PrometheusServer;
  let alertmanager: AlertmanagerServer;
  let webhook: WebhookReceiver;
  let workDir: string;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'observability-test-'));
    const alertmanagerConfig = join(workDir, 'alertmanager.yml');
    await writeFile(alertmanagerConfig, testAlertmanagerConfig());
    const startAlerting = async () => {
      webhook = await WebhookReceiver.start();
      alertmanager = await AlertmanagerServer.start({ configFile: alertmanagerConfig, webhookUrl: webhook.url });
    };
    // Settled both ways before going on, so that after() stops whatever did start.
    const started = await Promise.allSettled([
      GatewayStack.start({
        instances: [
          // Streams to it time out before their first token once it gets a ttftMs (phase A).
          { name: 'openai-a', provider: 'openai', models: ['gpt-4o'], firstTokenTimeoutMs: 300 },
          // gpt-4o's fallback in the default routing policy.
          { name: 'claude-a', provider: 'claude', models: ['claude-sonnet-4-6'] },
          // Slow to its first token, so a burst of streams fills the gateway's two slots.
          { name: 'glm-slow', provider: 'zai', models: ['glm-4.6'], knobs: { ttftMs: 1_500 } },
        ],
        loadBalancer: true,
        intelligentRouter: true,
        gatewayEnv: {
          CIRCUIT_FAILURE_THRESHOLD: '6',
          CIRCUIT_MINIMUM_REQUESTS: '100000',
          // Open stays open for the rest of the test.
          CIRCUIT_COOL_DOWN_MS: '600000',
          GATEWAY_MAX_IN_FLIGHT: '2',
          GATEWAY_MAX_QUEUED: '1',
          GATEWAY_MAX_QUEUE_WAIT_MS: '100',
        },
      }).then((running) => {
        stack = running;
      }),
      startAlerting(),
    ]);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    const rulesFile = join(workDir, 'alerts.yml');
    const tokenFile = join(workDir, 'consul-token');
    const configFile = join(workDir, 'prometheus.yml');
    // The dev agent runs without ACLs and ignores the token; the file must exist all the same.
    await writeFile(tokenFile, 'dev-agent-ignores-this-token\n');
    await writeFile(rulesFile, testAlertRules());
    const port = await freePort();
    await writeFile(
      configFile,
      testPrometheusConfig({
        consul: new URL(stack.agent.address).host,
        alertmanager: `127.0.0.1:${alertmanager.port}`,
        self: `127.0.0.1:${port}`,
        rulesFile,
        tokenFile,
      }),
    );
    prometheus = await PrometheusServer.start(configFile, port);
  });

  after(async () => {
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), webhook?.stop()]);
    await stack?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /**
   * Does something that creates a counter, waits until Prometheus has scraped the counter, and does
   * it again. A counter's first value shows no increase to rate(): a series born with its whole
   * count within one scrape reads as a rate of 0, and an alert on it never fires.
   */
  async function twiceAcrossScrapes(counter: string, event: () => Promise<void>): Promise<void> {
    await event();
    await waitFor(
      `Prometheus to scrape ${counter}`,
      async () => (await prometheus.query(counter)).length > 0,
      15_000,
      250,
    );
    await event();
  }

  it('finds the four apps in Consul, one job per app, and no provider instance', async () => {
    // Consul itself, Prometheus and Alertmanager are static targets of the same file.
    const jobs = [...APPS, 'consul', 'prometheus', 'alertmanager'];
    const up = await waitFor(
      'Prometheus to scrape every target',
      async () => {
        const samples = await prometheus.query('up');
        const upJobs = new Set(samples.filter((sample) => sample.value[1] === '1').map((sample) => sample.metric.job));
        return jobs.every((job) => upJobs.has(job)) ? samples : undefined;
      },
      30_000,
      250,
    );
    const targets = new Map(up.map((sample) => [sample.metric.job, sample.metric.instance]));
    assert.equal(targets.get('api-gateway'), new URL(stack.gateway.url).host, 'the address registered in Consul');
    assert.equal(targets.get('instance-manager'), new URL(stack.manager.url).host);
    assert.equal(targets.get('load-balancer'), new URL(stack.loadBalancer!.url).host);
    assert.equal(targets.get('intelligent-router'), new URL(stack.intelligentRouter!.url).host);
    assert.deepEqual(
      up.map((sample) => sample.metric.job).sort(),
      [...jobs].sort(),
      'one target per app, and provider instances (ai-provider-*) are upstreams, not targets',
    );
  });

  it('sees traffic, a rate limit, admission refusals, fallbacks and an open circuit as the gateway counts them', async () => {
    for (let index = 0; index < 3; index += 1) {
      const answer = await stack.chat(chat('gpt-4o'));
      assert.equal(answer.status, 200);
      await answer.arrayBuffer();
    }
    for (const model of ['gpt-4o', 'claude-sonnet-4-6']) {
      const stream = await stack.chat(chat(model, true));
      assert.equal(stream.status, 200);
      await stream.text();
    }

    // A client key allowed one request a minute: the second is refused.
    const limited = await admin(stack.manager.url)('POST', '/admin/client-keys', {
      name: 'one-a-minute',
      rateLimitRpm: 1,
    });
    assert.equal(limited.status, 201);
    const statuses: number[] = [];
    for (let index = 0; index < 2; index += 1) {
      const answer = await stack.chat(chat('claude-sonnet-4-6'), { authorization: `Bearer ${limited.body.key}` });
      statuses.push(answer.status);
      await answer.arrayBuffer();
    }
    assert.deepEqual(statuses, [200, 429]);

    // Eight slow streams at once against two slots and one place in line, twice.
    await twiceAcrossScrapes('switchboard_admission_refused_total', async () => {
      const burst = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const answer = await stack.chat(chat('glm-4.6', true));
          await answer.text();
          return answer.status;
        }),
      );
      assert.ok(burst.includes(503), `admission refused part of the burst: ${burst.join(', ')}`);
    });

    // Phase A: openai-a's streams now miss their first token. Each stream fails over to Claude
    // (a fallback) until the circuit opens.
    await stack.simulator.updateKnobs('openai-a', { ttftMs: 5_000 });
    const circuitOfOpenai = async () =>
      (await stack.pools())
        .find((pool) => pool.pool === 'openai/gpt-4o')!
        .instances.find((instance) => instance.name === 'openai-a')!.circuit;
    let fallbacks = 0;
    const fallBack = async () => {
      const stream = await stack.chat(chat('gpt-4o', true));
      assert.equal(stream.status, 200);
      if (stream.headers.get('x-switchboard-provider') === 'claude') fallbacks += 1;
      await stream.text();
    };
    await twiceAcrossScrapes('switchboard_fallbacks_total', fallBack);
    for (let attempt = 0; attempt < 10 && (await circuitOfOpenai()) !== 'open'; attempt += 1) await fallBack();
    assert.equal(await circuitOfOpenai(), 'open');
    assert.ok(fallbacks >= 2, `${fallbacks} streams fell back to claude before the circuit opened`);
    // No fallback for an explicit provider/model: with its one instance's circuit open, it fails.
    await twiceAcrossScrapes('switchboard_chat_requests_total{outcome="no_instance"}', async () => {
      const explicit = await stack.chat(chat('openai/gpt-4o'));
      assert.equal(explicit.status, 503);
      await explicit.arrayBuffer();
    });

    const circuit = await waitFor(
      'the open circuit in Prometheus',
      async () => (await prometheus.query('switchboard_circuit_state{provider_instance="openai-a"} == 2')).length > 0,
      15_000,
      250,
    );
    assert.ok(circuit, 'the instance name is the provider_instance label');
  });

  it('raises ProviderInstanceCritical through Alertmanager to the webhook while the instance fails its probes', async (context) => {
    // Phase B: openai-a refuses connections, its probes fail, and the instance-manager marks it critical.
    const failedAt = Date.now();
    await stack.simulator.updateKnobs('openai-a', { refuseConnections: true });
    const alert = await webhook.waitFor(
      'ProviderInstanceCritical for openai-a',
      (received) =>
        received.status === 'firing' &&
        received.labels.alertname === 'ProviderInstanceCritical' &&
        received.labels.provider_instance === 'openai-a',
      45_000,
    );
    const elapsedMs = alert.receivedAt - failedAt;
    context.diagnostic(`instance failure -> Alertmanager webhook: ${elapsedMs} ms`);
    assert.deepEqual(
      { provider: alert.labels.provider, severity: alert.labels.severity },
      { provider: 'openai', severity: 'critical' },
    );
    assert.equal(alert.annotations.summary, 'openai-a (openai) is critical');
    assert.ok(
      webhook.alerts.every(
        (received) =>
          received.labels.alertname !== 'ProviderInstanceCritical' || received.labels.provider_instance === 'openai-a',
      ),
      'no other instance was reported critical',
    );
  });

  it('finds data for every series each alert rule and each dashboard query reads', async () => {
    const checks = [
      ...alertRules().flatMap((rule) =>
        selectorsOf(rule.expr).map((selector) => ({ what: `alert ${rule.name}: ${selector}`, expr: selector })),
      ),
      ...dashboardQueries(RATE_WINDOW).map((query) => ({
        what: `panel "${query.panel}": ${query.expr}`,
        expr: query.expr,
      })),
    ];
    assert.ok(checks.length > 40, `${checks.length} expressions to check`);
    // Every rule as a whole must be a query Prometheus accepts, too.
    for (const rule of alertRules()) await prometheus.query(rule.expr);
    let missing: string[] = [];
    try {
      await waitFor(
        'every expression to return data',
        async () => {
          missing = [];
          for (const check of checks) if (!hasFiniteValue(await prometheus.query(check.expr))) missing.push(check.what);
          return missing.length === 0;
        },
        30_000,
        500,
      );
    } catch {
      assert.fail(`these return no data:\n${missing.join('\n')}`);
    }
  });

  it('fires the rules this failure calls for', async () => {
    const expected = [
      'ProviderInstanceCritical',
      'ProviderPoolNoHealthyInstance',
      'SwitchboardCircuitOpen',
      'SwitchboardChatFailures',
      'SwitchboardAdmissionRefusing',
      'SwitchboardFallbacks',
    ];
    let firing = new Set<string>();
    try {
      await waitFor(
        'the alerts to fire',
        async () => {
          firing = new Set(
            (await prometheus.query('ALERTS{alertstate="firing"}')).map((sample) => sample.metric.alertname!),
          );
          return expected.every((name) => firing.has(name));
        },
        20_000,
        250,
      );
    } catch {
      assert.fail(`expected ${expected.join(', ')} firing; firing: ${[...firing].join(', ')}`);
    }
    const pools = (
      await prometheus.query('ALERTS{alertname="ProviderPoolNoHealthyInstance", alertstate="firing"}')
    ).map((sample) => sample.metric.pool);
    assert.ok(pools.includes('openai/gpt-4o'), `pools without a healthy instance: ${pools.join(', ')}`);
    assert.ok(!pools.includes('claude/claude-sonnet-4-6'), 'the pool that serves the fallbacks is healthy');
  });

  it('drops the health series of a deleted instance, and the alert resolves', async () => {
    const deleted = await admin(stack.manager.url)('DELETE', `/admin/instances/${stack.ids.get('openai-a')}`);
    assert.equal(deleted.status, 204);
    const metrics = await (await fetch(`${stack.manager.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /switchboard_instance_health\{[^}]*instance="openai-a"/);
    assert.match(metrics, /switchboard_instance_health\{[^}]*instance="claude-a"[^}]*\} 0/);
    await webhook.waitFor(
      'ProviderInstanceCritical for openai-a resolved',
      (received) =>
        received.status === 'resolved' &&
        received.labels.alertname === 'ProviderInstanceCritical' &&
        received.labels.provider_instance === 'openai-a',
      30_000,
    );
  });
});
