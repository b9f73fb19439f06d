// The deployment files, checked offline (no cluster, no Docker engine here): each Kustomize overlay
// is rendered by a real kustomize and every object decoded strictly into the k8s.io/api types
// (deploy/tools/k8s-validate); then what a strict decode cannot see is checked here: probes on the
// apps' real paths and ports, selectors, the autoscaler's target, network policies, secrets,
// images, replicas, and the settings against the apps' own configuration validation.
// docker-compose.yml goes through compose-go, the loader of Docker Compose itself.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type AppDependencies, AppConfig, loadConfig } from '@switchboard/kernel';
import { getMetadataStorage } from 'class-validator';
import { repoRoot } from '../support/paths.js';

/** The apps as their main.ts define them: port and what their configuration requires. */
const APPS: Record<string, { port: number; uses: AppDependencies }> = {
  'api-gateway': { port: 8000, uses: { database: true, redis: true, credentials: true } },
  'instance-manager': { port: 8001, uses: { database: true, redis: true, admin: true, credentials: true } },
  'intelligent-router': { port: 8002, uses: { database: true, redis: true } },
  'load-balancer': { port: 8003, uses: { database: true, redis: true } },
};
const APP_NAMES = Object.keys(APPS);
const KUBERNETES = join(repoRoot, 'deploy/kubernetes');

/** kustomize and the validators: from npm test (scripts/test.sh builds them first), else built now. */
function deployTools(): Record<'KUSTOMIZE_BIN' | 'K8S_VALIDATE_BIN' | 'COMPOSE_VALIDATE_BIN', string> {
  const names = ['KUSTOMIZE_BIN', 'K8S_VALIDATE_BIN', 'COMPOSE_VALIDATE_BIN'] as const;
  if (names.every((name) => process.env[name])) {
    return Object.fromEntries(names.map((name) => [name, process.env[name]!])) as Record<
      (typeof names)[number],
      string
    >;
  }
  const printed = execFileSync('bash', [join(repoRoot, 'deploy/scripts/install_tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const found = Object.fromEntries(
    printed
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  return Object.fromEntries(names.map((name) => [name, found[name]!])) as Record<(typeof names)[number], string>;
}
const tools = deployTools();

/** A manifest as the validator printed it: JSON whose shape each check knows. */
type K8sObject = any;

function validate(input: string, plain = false): { ok: boolean; objects: K8sObject[]; errors: string } {
  const run = spawnSync(tools.K8S_VALIDATE_BIN, plain ? ['--plain'] : [], { input, encoding: 'utf8' });
  return {
    ok: run.status === 0,
    objects: run.status === 0 ? (JSON.parse(run.stdout) as K8sObject[]) : [],
    errors: run.stderr,
  };
}

function render(overlay: string): K8sObject[] {
  const yaml = execFileSync(tools.KUSTOMIZE_BIN, ['build', join(KUBERNETES, 'overlays', overlay)], {
    encoding: 'utf8',
  });
  const result = validate(yaml);
  assert.ok(result.ok, `overlays/${overlay} does not decode strictly:\n${result.errors}`);
  return result.objects;
}

const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  assert.ok(found, `no ${kind} ${name}`);
  return found;
};
const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((object) => object.kind === kind);

/** Whether a matchLabels/matchExpressions selector selects these labels. */
function selects(selector: K8sObject, labels: Record<string, string>): boolean {
  const matchLabels = Object.entries<string>(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const expressions = (selector.matchExpressions ?? []).every((expression: K8sObject) => {
    const value = labels[expression.key];
    switch (expression.operator) {
      case 'In':
        return value !== undefined && expression.values.includes(value);
      case 'NotIn':
        return value === undefined || !expression.values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`unknown operator ${expression.operator}`);
    }
  });
  return matchLabels && expressions;
}

const secretExample = validate(readFileSync(join(KUBERNETES, 'secrets.example.yaml'), 'utf8'));

/** The values a pod of this Deployment sees, with the Secret's keys as freshly generated values. */
function podEnvironment(objects: K8sObject[], container: K8sObject): Record<string, string> {
  const generatedSecret: Record<string, string> = {
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    CREDENTIALS_KEY: randomBytes(32).toString('hex'),
    DATABASE_URL: 'postgresql://switchboard:generated@postgres.switchboard.svc:5432/switchboard',
    REDIS_URL: 'redis://redis.switchboard.svc:6379',
    CONSUL_HTTP_TOKEN: '00000000-0000-4000-8000-000000000000',
  };
  const fields: Record<string, string> = {
    'status.hostIP': '10.0.0.7',
    'status.podIP': '10.1.2.3',
    'metadata.name': 'pod-abc12',
  };
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, find(objects, 'ConfigMap', source.configMapRef.name).data);
    else assert.equal(source.secretRef?.optional, true, 'only optional Secrets are read whole (envFrom)');
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = variable.value.replace(/\$\(([A-Z0-9_]+)\)/g, (_: string, name: string) => {
        assert.ok(name in env, `${variable.name} refers to $(${name}), defined later or not at all`);
        return env[name]!;
      });
    } else if (variable.valueFrom?.fieldRef) {
      env[variable.name] = fields[variable.valueFrom.fieldRef.fieldPath]!;
    } else if (variable.valueFrom?.secretKeyRef) {
      const { name, key } = variable.valueFrom.secretKeyRef;
      assert.equal(name, 'switchboard-secrets');
      assert.ok(key in generatedSecret, `${variable.name} reads key ${key}, which the test does not know`);
      env[variable.name] = generatedSecret[key]!;
    } else {
      assert.fail(`${variable.name}: a kind of value this test does not resolve`);
    }
  }
  return env;
}

const knownSettings = new Set(
  getMetadataStorage()
    .getTargetValidationMetadatas(AppConfig, '', true, false)
    .map((metadata) => metadata.propertyName),
);

describe('the manifest validator', () => {
  const deployment = (containerLine: string, replicas = '1') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: demo}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers: [${containerLine}]
`;

  it('accepts a well-formed Deployment and returns it as JSON', () => {
    const result = validate(deployment('{name: demo, image: "demo:1"}'));
    assert.equal(result.ok, true, result.errors);
    assert.equal(result.objects[0].spec.template.spec.containers[0].image, 'demo:1');
  });

  it('refuses an unknown field, naming it', () => {
    const result = validate(deployment('{name: demo, image: "demo:1", imagePort: 8000}'));
    assert.equal(result.ok, false);
    assert.match(result.errors, /unknown field "spec\.template\.spec\.containers\[0\]\.imagePort"/);
  });

  it('refuses a value of the wrong type, naming the field', () => {
    const result = validate(deployment('{name: demo, image: "demo:1"}', '"three"'));
    assert.equal(result.ok, false);
    assert.match(result.errors, /replicas of type int32/);
  });

  it('refuses a kind the deployment does not use, and a selector that misses its pods', () => {
    assert.match(validate('apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: x}\n').errors, /apps\/v1beta1/);
    const misses = validate(
      deployment('{name: demo, image: "demo:1"}').replace('matchLabels: {app: demo}', 'matchLabels: {app: other}'),
    );
    assert.match(misses.errors, /does not match the pod template's labels/);
  });
});

describe('overlays/mesh (Consul Connect)', () => {
  const objects = render('mesh');

  it('injects a sidecar into every app with PostgreSQL and Redis as local upstreams, and opens the mesh port', () => {
    const deployments = ofKind(objects, 'Deployment');
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [...APP_NAMES].sort());
    for (const deployment of deployments) {
      const annotations = deployment.spec.template.metadata.annotations;
      assert.equal(annotations['consul.hashicorp.com/connect-inject'], 'true', deployment.metadata.name);
      assert.equal(annotations['consul.hashicorp.com/connect-service-upstreams'], 'postgres:15432,redis:16379');
    }
    // A Job with a sidecar never completes without native sidecars: migrations stay outside the mesh.
    const job = find(objects, 'Job', 'switchboard-migrate');
    assert.equal(job.spec.template.metadata?.annotations?.['consul.hashicorp.com/connect-inject'], undefined);
    const mesh = find(objects, 'NetworkPolicy', 'allow-mesh');
    assert.deepEqual(
      mesh.spec.egress[0].ports.map((port: K8sObject) => port.port),
      [20000, 8502],
    );
    // The intentions the mesh relies on are the same files the compose stack applies.
    for (const file of ['default-deny.hcl', 'postgres.hcl', 'redis.hcl'])
      assert.ok(existsSync(join(repoRoot, 'consul/connect', file)), file);
  });
});

for (const overlay of ['dev', 'prod']) {
  describe(`overlays/${overlay}`, () => {
    const objects = render(overlay);
    const deployments = ofKind(objects, 'Deployment');
    const job = find(objects, 'Job', 'switchboard-migrate');

    it('has the four apps, their Services, the migration Job, a ServiceAccount and network policies', () => {
      assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [...APP_NAMES].sort());
      assert.deepEqual(
        ofKind(objects, 'Service')
          .map((s) => s.metadata.name)
          .sort(),
        [...APP_NAMES].sort(),
      );
      assert.equal(find(objects, 'ServiceAccount', 'switchboard').automountServiceAccountToken, false);
      assert.deepEqual(job.spec.template.spec.containers[0].command, ['node', 'scripts/run-app.mjs', 'migrate']);
      for (const object of objects) {
        if (object.kind !== 'Namespace') assert.equal(object.metadata.namespace, 'switchboard', object.metadata.name);
      }
    });

    it('probes every app on its real health paths and port, with a start-up probe', () => {
      for (const deployment of deployments) {
        const name = deployment.metadata.name as string;
        const container = deployment.spec.template.spec.containers[0];
        assert.deepEqual(container.command, ['node', 'scripts/run-app.mjs', name]);
        const http = container.ports.find((port: K8sObject) => port.name === 'http');
        assert.equal(http.containerPort, APPS[name]!.port, name);
        assert.equal(container.env.find((v: K8sObject) => v.name === 'PORT').value, String(APPS[name]!.port));
        for (const [probe, path] of [
          ['readinessProbe', '/health/ready'],
          ['livenessProbe', '/health/live'],
          ['startupProbe', '/health/live'],
        ] as const) {
          assert.equal(container[probe]?.httpGet?.path, path, `${name} ${probe}`);
          assert.equal(container[probe].httpGet.port, 'http', `${name} ${probe}`);
        }
        const annotations = deployment.spec.template.metadata.annotations;
        assert.deepEqual(
          [annotations['prometheus.io/scrape'], annotations['prometheus.io/port'], annotations['prometheus.io/path']],
          ['true', String(APPS[name]!.port), '/metrics'],
        );
      }
    });

    it('gives each Service the pods of its Deployment, on the app port', () => {
      for (const service of ofKind(objects, 'Service')) {
        const deployment = find(objects, 'Deployment', service.metadata.name);
        assert.ok(selects({ matchLabels: service.spec.selector }, deployment.spec.template.metadata.labels));
        const others = deployments.filter((d) => d !== deployment);
        assert.ok(
          others.every((d) => !selects({ matchLabels: service.spec.selector }, d.spec.template.metadata.labels)),
        );
        assert.deepEqual(service.spec.ports, [
          { name: 'http', port: APPS[service.metadata.name]!.port, targetPort: 'http', protocol: 'TCP' },
        ]);
      }
    });

    it('starts the apps with settings they read and accept, secrets included', () => {
      for (const deployment of deployments) {
        const name = deployment.metadata.name as string;
        const container = deployment.spec.template.spec.containers[0];
        const env = podEnvironment(objects, container);
        const referenced = new Set(
          JSON.stringify(container.env)
            .match(/\$\(([A-Z0-9_]+)\)/g)
            ?.map((m) => m.slice(2, -1)),
        );
        for (const variable of Object.keys(env)) {
          assert.ok(knownSettings.has(variable) || referenced.has(variable), `${name}: ${variable} is read by no app`);
        }
        const config = loadConfig(name, APPS[name]!.port, APPS[name]!.uses, env);
        assert.equal(config.PORT, APPS[name]!.port);
        assert.equal(config.CONSUL_HTTP_ADDR, 'http://10.0.0.7:8500');
        assert.equal(config.SERVICE_ADDRESS, '10.1.2.3');
      }
      const migrate = loadConfig(
        'migrate',
        0,
        { database: true, redis: false },
        podEnvironment(objects, job.spec.template.spec.containers[0]),
      );
      assert.ok(migrate.DATABASE_URL?.startsWith('postgresql://'));
    });

    it('gives each pod time to drain: the grace period covers SHUTDOWN_GRACE_MS and the preStop pause', () => {
      const shutdownGraceMs = Number(find(objects, 'ConfigMap', 'switchboard-config').data.SHUTDOWN_GRACE_MS);
      assert.ok(shutdownGraceMs > 0);
      for (const deployment of deployments) {
        const pod = deployment.spec.template.spec;
        const pause = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
        assert.ok(pod.terminationGracePeriodSeconds * 1000 >= shutdownGraceMs + pause * 1000, deployment.metadata.name);
      }
    });

    it('runs every pod as a non-root user with a read-only root filesystem and no capabilities', () => {
      for (const pod of [...deployments, job].map((owner) => owner.spec.template.spec)) {
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.ok(pod.securityContext.runAsUser > 0);
        assert.equal(pod.automountServiceAccountToken, false);
        for (const container of pod.containers) {
          assert.equal(container.securityContext.readOnlyRootFilesystem, true);
          assert.equal(container.securityContext.allowPrivilegeEscalation, false);
          assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
          assert.ok(container.resources.requests.cpu && container.resources.limits.memory, container.name);
        }
      }
    });

    it('runs one image, at one pinned tag, in every container', () => {
      const images = new Set(
        [...deployments, job].flatMap((owner) => owner.spec.template.spec.containers.map((c: K8sObject) => c.image)),
      );
      assert.equal(images.size, 1, [...images].join(', '));
      const [image] = [...images] as string[];
      assert.match(image!, /:[\w][\w.-]*$/, 'a tag is set');
      assert.doesNotMatch(image!, /:latest$/);
    });

    it('keeps secrets out: no Secret object is rendered, and every key the pods read is in the example', () => {
      assert.deepEqual(ofKind(objects, 'Secret'), []);
      const exampleKeys = Object.keys(secretExample.objects[0].stringData);
      for (const owner of [...deployments, job]) {
        for (const variable of owner.spec.template.spec.containers[0].env) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref) assert.ok(exampleKeys.includes(ref.key), `${owner.metadata.name} reads ${ref.key}`);
        }
      }
    });

    it('points the autoscaler and the disruption budget at the gateway', () => {
      const gateway = find(objects, 'Deployment', 'api-gateway');
      const budget = find(objects, 'PodDisruptionBudget', 'api-gateway');
      assert.ok(selects(budget.spec.selector, gateway.spec.template.metadata.labels));
      const autoscalers = ofKind(objects, 'HorizontalPodAutoscaler');
      for (const autoscaler of autoscalers) {
        assert.deepEqual(autoscaler.spec.scaleTargetRef, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'api-gateway',
        });
      }
      if (autoscalers.length > 0) assert.equal(gateway.spec.replicas, undefined, 'the autoscaler owns the count');
    });

    it('denies all traffic by default and opens only the app ports, DNS, data stores, Consul and HTTPS', () => {
      const policies = ofKind(objects, 'NetworkPolicy');
      const denyAll = policies.filter(
        (p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress,
      );
      assert.equal(denyAll.length, 1);
      assert.deepEqual([...denyAll[0].spec.policyTypes].sort(), ['Egress', 'Ingress']);

      const labelsOf = (name: string) =>
        name === 'migrate'
          ? job.spec.template.metadata.labels
          : find(objects, 'Deployment', name).spec.template.metadata.labels;
      const allowed = (name: string, direction: 'ingress' | 'egress') =>
        policies
          .filter((p) => selects(p.spec.podSelector, labelsOf(name)))
          .flatMap((p) => p.spec[direction] ?? [])
          .flatMap((rule: K8sObject) =>
            (rule.ports ?? [{}]).map((port: K8sObject) => ({ from: rule.from ?? rule.to, port })),
          );
      const ports = (rules: K8sObject[]) =>
        new Set(rules.flatMap((r) => (r.port.endPort ? [`${r.port.port}-${r.port.endPort}`] : [r.port.port])));

      const gatewayIn = allowed('api-gateway', 'ingress');
      assert.ok(
        gatewayIn.some((r) => r.port.port === 8000 && r.from === undefined),
        'clients reach the gateway from anywhere',
      );
      const adminIn = allowed('instance-manager', 'ingress').filter((r) => r.port.port === 8001);
      assert.ok(
        adminIn.length > 0 && adminIn.every((r) => r.from?.length > 0),
        'the admin port only from chosen peers',
      );
      for (const name of APP_NAMES) {
        const opened = allowed(name, 'ingress');
        assert.ok(
          opened.every((r) => r.port.port >= 8000 && (r.port.endPort ?? r.port.port) <= 8003),
          name,
        );
        assert.ok(
          opened.every((r) => r.port.port !== undefined),
          `${name}: no rule opens every port`,
        );
      }
      for (const name of [...APP_NAMES, 'migrate']) {
        const out = allowed(name, 'egress');
        assert.ok(
          out.every((r) => r.port.port !== undefined),
          `${name}: no rule opens every port`,
        );
        assert.ok(ports(out).has(53) && ports(out).has(5432), name);
      }
      for (const name of APP_NAMES)
        assert.ok(ports(allowed(name, 'egress')).has(6379) && ports(allowed(name, 'egress')).has(8500));
      assert.deepEqual(
        APP_NAMES.filter((name) => ports(allowed(name, 'egress')).has(443)),
        ['api-gateway', 'instance-manager'],
      );
      assert.ok(!ports(allowed('migrate', 'egress')).has(443));
    });

    if (overlay === 'prod') {
      it('runs at least three gateway replicas, keeps two through drains, and spreads every app over nodes', () => {
        const autoscaler = find(objects, 'HorizontalPodAutoscaler', 'api-gateway');
        assert.ok(autoscaler.spec.minReplicas >= 3 && autoscaler.spec.maxReplicas > autoscaler.spec.minReplicas);
        const budget = find(objects, 'PodDisruptionBudget', 'api-gateway');
        assert.ok(budget.spec.minAvailable >= 2 && budget.spec.minAvailable < autoscaler.spec.minReplicas);
        assert.equal(budget.spec.maxUnavailable, undefined);
        for (const deployment of deployments) {
          const pod = deployment.spec.template;
          const byHost = pod.spec.topologySpreadConstraints.find(
            (c: K8sObject) => c.topologyKey === 'kubernetes.io/hostname',
          );
          assert.ok(byHost && selects(byHost.labelSelector, pod.metadata.labels), deployment.metadata.name);
          const others = deployments.filter((d) => d !== deployment);
          assert.ok(others.every((d) => !selects(byHost.labelSelector, d.spec.template.metadata.labels)));
          const anti = pod.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
          assert.ok(selects(anti.podAffinityTerm.labelSelector, pod.metadata.labels));
        }
      });
    } else {
      it('runs one replica of each app, without an autoscaler', () => {
        assert.ok(deployments.every((d) => d.spec.replicas === 1));
        assert.deepEqual(ofKind(objects, 'HorizontalPodAutoscaler'), []);
      });
    }
  });
}

describe('the Secret example and the Consul Helm values', () => {
  it('the Secret example decodes strictly and holds placeholders only', () => {
    assert.equal(secretExample.ok, true, secretExample.errors);
    const [secret] = secretExample.objects;
    assert.deepEqual(Object.keys(secret.stringData).sort(), [
      'ADMIN_TOKEN',
      'CONSUL_HTTP_TOKEN',
      'CREDENTIALS_KEY',
      'DATABASE_URL',
      'REDIS_URL',
    ]);
    for (const [key, value] of Object.entries<string>(secret.stringData)) {
      assert.match(value, /<[^>]+>/, `${key} names what to put in its place`);
      // Nothing shaped like a generated token, key or UUID.
      assert.doesNotMatch(value, /[0-9a-f]{16,}|[A-Za-z0-9+/]{32,}={0,2}|[0-9a-f]{8}-[0-9a-f]{4}-/i, key);
    }
  });

  it('the Consul values ask for 3 servers, managed ACLs, auto-encrypted TLS, gossip encryption, clients and the UI', () => {
    const result = validate(readFileSync(join(KUBERNETES, 'consul-values.yaml'), 'utf8'), true);
    assert.equal(result.ok, true, result.errors);
    const [values] = result.objects;
    assert.equal(values.server.replicas, 3);
    assert.equal(values.global.acls.manageSystemACLs, true);
    assert.equal(values.global.tls.enabled, true);
    assert.equal(values.global.tls.enableAutoEncrypt, true);
    assert.deepEqual(values.global.gossipEncryption, { secretName: 'consul-gossip-encryption-key', secretKey: 'key' });
    assert.equal(values.ui.enabled, true);
    assert.equal(values.connectInject.enabled, false);
    // The apps call their node's agent over plain HTTP on 8500: the agents must keep that port.
    assert.equal(values.client.enabled, true);
    assert.equal(values.global.tls.httpsOnly, false);
    const prod = render('prod');
    assert.equal(find(prod, 'ConfigMap', 'switchboard-config').data.CONSUL_DATACENTER, values.global.datacenter);
  });

  it('refuses a values file with a duplicate key', () => {
    const result = validate('server:\n  replicas: 3\nserver:\n  replicas: 1\n', true);
    assert.equal(result.ok, false);
    assert.match(result.errors, /duplicate|already set/i);
  });
});

describe('docker-compose.yml through the Compose loader', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'switchboard-compose-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? scratch,
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    CREDENTIALS_KEY: randomBytes(32).toString('hex'),
    CONSUL_HTTP_TOKEN: '00000000-0000-4000-8000-000000000000',
    CONSUL_METRICS_TOKEN: '',
  };
  const load = (file: string, profiles: string[] = []) =>
    spawnSync(tools.COMPOSE_VALIDATE_BIN, [...profiles.flatMap((p) => ['--profile', p]), file], {
      env,
      encoding: 'utf8',
      cwd: repoRoot,
    });

  it('loads with the default profile and with every profile, and has the apps and the migration', () => {
    const file = join(repoRoot, 'docker-compose.yml');
    // "*" enables every profile, as `docker compose --profile "*"` does.
    for (const selection of [[], ['*']]) {
      const run = load(file, selection);
      assert.equal(run.status, 0, run.stderr);
      const { services } = JSON.parse(run.stdout) as { services: string[] };
      for (const name of [...APP_NAMES, 'migrate', 'postgres', 'redis']) assert.ok(services.includes(name), name);
    }
  });

  it('loads with the Consul Connect override: every app and store gets a sidecar in its network namespace', () => {
    const run = spawnSync(
      tools.COMPOSE_VALIDATE_BIN,
      [join(repoRoot, 'docker-compose.yml'), join(repoRoot, 'docker-compose.mesh.yml')],
      { env, encoding: 'utf8', cwd: repoRoot },
    );
    assert.equal(run.status, 0, run.stderr);
    const { services } = JSON.parse(run.stdout) as { services: string[] };
    for (const name of [...APP_NAMES, 'postgres', 'redis']) assert.ok(services.includes(`${name}-sidecar`), name);
  });

  it('fails on a file the loader refuses', () => {
    const broken = join(scratch, 'compose.yml');
    writeFileSync(broken, 'services:\n  app:\n    image: demo\n    depends_on: [missing]\n');
    const run = load(broken);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /missing/);
  });
});
