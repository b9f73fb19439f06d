import { ConsulClient } from '@switchboard/consul';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { AppProcess } from './app-process.js';
import { ConsulAgent } from './consul-agent.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { admin, instanceManagerEnv, TEST_ADMIN_TOKEN } from './instance-manager-env.js';
import { freePorts } from './ports.js';
import { waitFor } from './wait.js';

export const TEST_CLIENT_KEY = 'sb-test-client-key-0123456789abcdefghij';

export interface StackInstanceSpec {
  /** Instance name in Switchboard and id in the simulator. */
  name: string;
  provider: 'openai' | 'claude' | 'zai' | 'perplexity';
  models?: string[];
  weight?: number;
  priority?: number;
  maxConcurrency?: number;
  requestTimeoutMs?: number;
  firstTokenTimeoutMs?: number;
  idleTimeoutMs?: number;
  knobs?: Record<string, unknown>;
}

export interface StackOptions {
  instances: StackInstanceSpec[];
  /** Gateway replicas (default 1). */
  gateways?: number;
  gatewayEnv?: Record<string, string>;
  loadBalancer?: boolean;
  intelligentRouter?: boolean;
  /** Use this Redis instead of the shared one (tests that stop Redis). */
  redisUrl?: string;
  /** Create the stack's database on this server (a PrivatePostgres the test stops) instead of the shared one. */
  databaseAdminUrl?: string;
  /** Overrides for the instance-manager (e.g. a long PROBE_INTERVAL_MS so only the gateway judges). */
  managerEnv?: Record<string, string>;
}

export interface PoolView {
  pool: string;
  usable: number;
  instances: {
    id: string;
    name: string;
    status: string;
    circuit: string;
    usable: boolean;
    inFlight: number;
    healthScore: number;
  }[];
}

/**
 * The whole stack on loopback for end-to-end tests: a Consul dev agent, a fresh database, the
 * provider simulator (in process), an instance-manager that registers and probes the instances,
 * and the api-gateway (plus load-balancer and intelligent-router on request) as real processes.
 */
export class GatewayStack {
  readonly ids = new Map<string, string>();
  gateways: AppProcess[] = [];
  loadBalancer?: AppProcess;
  intelligentRouter?: AppProcess;

  private constructor(
    readonly agent: ConsulAgent,
    readonly consul: ConsulClient,
    readonly database: TestDatabase,
    readonly simulator: ProviderSimulator,
    readonly manager: AppProcess,
    private readonly options: StackOptions,
  ) {}

  static async start(options: StackOptions): Promise<GatewayStack> {
    const [agent, database, simulator] = await Promise.all([
      ConsulAgent.start(),
      createTestDatabase(options.databaseAdminUrl ? { adminUrl: options.databaseAdminUrl } : {}),
      ProviderSimulator.start({ controlPort: 0 }),
    ]);
    const consul = new ConsulClient({ address: agent.address });
    const [managerPort] = await freePorts(1);
    let manager: AppProcess;
    try {
      manager = await AppProcess.start(
        'instance-manager',
        managerPort!,
        instanceManagerEnv(agent.address, database.url, {
          ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
          ...options.managerEnv,
        }),
      );
    } catch (error) {
      // Leave nothing running: an agent or simulator left behind keeps the test file from ending.
      await consul.close();
      await Promise.all([agent.stop(), simulator.stop()]);
      throw error;
    }
    const stack = new GatewayStack(agent, consul, database, simulator, manager, options);
    try {
      for (const spec of options.instances) await stack.addInstance(spec);
      await stack.startApps();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  get gateway(): AppProcess {
    return this.gateways[0]!;
  }

  get env(): Record<string, string> {
    return instanceManagerEnv(this.agent.address, this.database.url, {
      ...(this.options.redisUrl ? { REDIS_URL: this.options.redisUrl } : {}),
      BOOTSTRAP_CLIENT_KEY: TEST_CLIENT_KEY,
      CATALOG_REFRESH_MS: '500',
      ...this.options.gatewayEnv,
    });
  }

  async addInstance(spec: StackInstanceSpec): Promise<string> {
    const apiKey = `sim-key-${spec.name}`;
    const simulated = await this.simulator.addInstance({
      id: spec.name,
      provider: spec.provider,
      apiKey,
      ...(spec.models ? { models: spec.models } : {}),
      ...(spec.knobs ? { knobs: spec.knobs } : {}),
    });
    const created = await admin(this.manager.url)('POST', '/admin/instances', {
      name: spec.name,
      provider: spec.provider,
      baseUrl: simulated.baseUrl,
      apiKey,
      models: spec.models ?? defaultModels(spec.provider),
      ...(spec.weight !== undefined ? { weight: spec.weight } : {}),
      ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
      ...(spec.maxConcurrency !== undefined ? { maxConcurrency: spec.maxConcurrency } : {}),
      ...(spec.requestTimeoutMs !== undefined ? { requestTimeoutMs: spec.requestTimeoutMs } : {}),
      ...(spec.firstTokenTimeoutMs !== undefined ? { firstTokenTimeoutMs: spec.firstTokenTimeoutMs } : {}),
      ...(spec.idleTimeoutMs !== undefined ? { idleTimeoutMs: spec.idleTimeoutMs } : {}),
    });
    if (created.status !== 201)
      throw new Error(`creating instance ${spec.name} failed: ${created.status} ${created.text}`);
    this.ids.set(spec.name, created.body.id as string);
    return created.body.id as string;
  }

  async startGateway(extraEnv: Record<string, string> = {}): Promise<AppProcess> {
    const [port] = await freePorts(1);
    const gateway = await AppProcess.start('api-gateway', port!, { ...this.env, ...extraEnv });
    this.gateways.push(gateway);
    return gateway;
  }

  private async startApps(): Promise<void> {
    for (let index = 0; index < (this.options.gateways ?? 1); index += 1) await this.startGateway();
    if (this.options.loadBalancer) {
      const [port] = await freePorts(1);
      this.loadBalancer = await AppProcess.start('load-balancer', port!, this.env);
    }
    if (this.options.intelligentRouter) {
      const [port] = await freePorts(1);
      this.intelligentRouter = await AppProcess.start('intelligent-router', port!, this.env);
    }
    await this.waitUntilUsable(this.options.instances.map((spec) => spec.name));
  }

  /** The pools as a gateway (or the load-balancer) sees them. */
  async pools(app: AppProcess = this.gateway): Promise<PoolView[]> {
    const response = await fetch(`${app.url}/pools`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    return ((await response.json()) as { pools: PoolView[] }).pools;
  }

  /** Waits until every replica sees the named instances usable (or, with `usable` false, not). */
  async waitUntilUsable(
    names: string[],
    usable = true,
    apps: AppProcess[] = this.gateways,
    timeoutMs = 20_000,
  ): Promise<void> {
    const ids = names.map((name) => this.ids.get(name)!);
    for (const app of apps) {
      await waitFor(
        `${app.name} to see ${names.join(', ')} ${usable ? 'usable' : 'unusable'}`,
        async () => {
          const seen = new Map<string, boolean>();
          for (const pool of await this.pools(app))
            for (const instance of pool.instances)
              seen.set(instance.id, (seen.get(instance.id) ?? true) && instance.usable);
          return ids.every((id) => seen.get(id) === usable);
        },
        timeoutMs,
        100,
      );
    }
  }

  async chat(
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
    gateway: AppProcess = this.gateway,
  ): Promise<Response> {
    return fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  /** Chat requests the named simulated instance has answered (its health probes not counted). */
  served(name: string): number {
    return this.simulator.requests(name).chats;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.gateways, this.loadBalancer, this.intelligentRouter, this.manager].map((app) => app?.stop()),
    );
    await this.consul.close();
    await Promise.all([this.agent.stop(), this.simulator.stop()]);
    await this.database.drop();
  }
}

export function defaultModels(provider: StackInstanceSpec['provider']): string[] {
  return {
    openai: ['gpt-4o', 'gpt-4o-mini'],
    claude: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
    zai: ['glm-4.6', 'glm-4.5-air'],
    perplexity: ['sonar', 'sonar-pro'],
  }[provider];
}
