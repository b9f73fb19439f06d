import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { repoRoot } from './paths.js';
import { freePorts } from './ports.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const secureScript = join(repoRoot, 'consul/scripts/secure_cluster.sh');

/** The project's Consul binary: CONSUL_BIN, or what consul/scripts/install_consul.sh finds or builds. */
export function consulBinary(): string {
  return (
    process.env.CONSUL_BIN ??
    execFileSync('bash', [join(repoRoot, 'consul/scripts/install_consul.sh')], { encoding: 'utf8' }).trim()
  );
}

export interface ClusterAgent {
  /** Node name; also the name of its certificate directory in the secrets directory. */
  readonly name: string;
  readonly server: boolean;
  readonly ports: { https: number; server: number; serfLan: number; serfWan: number };
  readonly dataDir: string;
  /** An agent started on purpose without the gossip key. */
  readonly withoutGossipKey?: boolean;
}

interface Running {
  child: ChildProcess;
  output: string;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/**
 * Real Consul servers and client agents on free loopback ports, started from the shipped
 * consul/config/server.hcl and client.hcl. Only what ties them to Docker is overridden: node
 * name, data dir, bind and client addresses, ports, where the peers are, and the paths of the
 * TLS files. The gossip key, CA and certificates come from consul/scripts/secure_cluster.sh
 * material, and ACLs from its bootstrap-acl, so the test runs the same code as
 * start_consul_cluster.sh.
 */
export class ConsulCluster {
  private readonly running = new Map<string, Running>();
  private trusting: Agent | undefined;
  readonly caFile: string;
  readonly secretsDir: string;
  readonly secretsFile: string;

  private constructor(
    private readonly binary: string,
    readonly workDir: string,
    readonly agents: ClusterAgent[],
  ) {
    this.secretsDir = join(workDir, 'secrets');
    this.secretsFile = join(this.secretsDir, 'secrets.env');
    this.caFile = join(this.secretsDir, 'consul-agent-ca.pem');
  }

  /**
   * Generates the material, then starts every agent at once (servers need each other to elect a
   * leader: bootstrap_expect = 3) and waits until the client agent knows the leader.
   */
  static async start(options: { servers?: number; clients?: number } = {}): Promise<ConsulCluster> {
    const servers = options.servers ?? 3;
    const clients = options.clients ?? 1;
    const workDir = await mkdtemp(join(tmpdir(), 'consul-cluster-'));
    const names = [
      ...Array.from({ length: servers }, (_, index) => ({ name: `consul-server-${index + 1}`, server: true })),
      ...Array.from({ length: clients }, (_, index) => ({
        name: clients === 1 ? 'consul-client' : `consul-client-${index + 1}`,
        server: false,
      })),
    ];
    const ports = await freePorts(names.length * 4);
    const agents = names.map(({ name, server }, index) => {
      const [https, serverPort, serfLan, serfWan] = ports.slice(index * 4, index * 4 + 4) as number[];
      return {
        name,
        server,
        ports: { https: https!, server: serverPort!, serfLan: serfLan!, serfWan: serfWan! },
        dataDir: join(workDir, `data-${name}`),
      };
    });
    const cluster = new ConsulCluster(consulBinary(), workDir, agents);
    try {
      await cluster.makeMaterial();
      await Promise.all(agents.map((agent) => cluster.startAgent(agent)));
      await waitFor(
        'the Consul servers to elect a leader, as seen from every agent',
        async () => {
          for (const agent of agents) {
            cluster.assertRunning(agent);
            if (!(await cluster.leader(agent))) return false;
          }
          return true;
        },
        60_000,
        200,
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get servers(): ClusterAgent[] {
    return this.agents.filter((agent) => agent.server && !agent.withoutGossipKey);
  }

  get client(): ClusterAgent {
    return this.agents.find((agent) => !agent.server && !agent.withoutGossipKey)!;
  }

  url(agent: ClusterAgent): string {
    return `https://127.0.0.1:${agent.ports.https}`;
  }

  /** The agent's Raft/RPC address, as /v1/status/leader names it. */
  rpcAddress(agent: ClusterAgent): string {
    return `127.0.0.1:${agent.ports.server}`;
  }

  /** A value from the secrets file. Tests pass it on; they never print it. */
  secret(key: string): string {
    const line = readFileSync(this.secretsFile, 'utf8')
      .split('\n')
      .find((candidate) => candidate.startsWith(`${key}=`));
    if (!line) throw new Error(`${key} is not in the secrets file`);
    return line.slice(key.length + 1);
  }

  /**
   * consul/scripts/secure_cluster.sh bootstrap-acl against the first server, setting the agent
   * token on every agent; `envFile` plays the compose .env. Returns the script's progress output.
   */
  async bootstrapAcl(envFile?: string): Promise<string> {
    const { stderr } = await run('bash', [secureScript, 'bootstrap-acl', this.secretsDir], {
      env: {
        ...process.env,
        CONSUL_HTTP_ADDR: this.url(this.servers[0]!),
        CONSUL_AGENT_ADDRS: this.agents.map((agent) => this.url(agent)).join(' '),
        SWITCHBOARD_ENV_FILE: envFile ?? '',
        CONSUL_MANAGEMENT_TOKEN: '',
      },
    });
    return stderr;
  }

  /** A call to an agent's HTTPS API, trusting the cluster's CA; 4xx and 5xx are returned, not thrown. */
  async api<T = unknown>(
    agent: ClusterAgent,
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<ApiAnswer<T>> {
    const response = await request(`${this.url(agent)}${path}`, {
      method,
      dispatcher: this.trustingDispatcher(),
      headers: options.token ? { 'x-consul-token': options.token } : {},
      body:
        options.body === undefined
          ? undefined
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.body.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Consul answers errors as plain text.
    }
    return { status: response.statusCode, body: body as T };
  }

  /** The leader's RPC address as this agent sees it, or '' (no leader, or the agent is down). */
  async leader(agent: ClusterAgent): Promise<string> {
    try {
      const answer = await this.api<string>(agent, 'GET', '/v1/status/leader');
      return answer.status === 200 && typeof answer.body === 'string' ? answer.body : '';
    } catch {
      return '';
    }
  }

  logs(agent: ClusterAgent): string {
    return this.running.get(agent.name)?.output ?? '';
  }

  isRunning(agent: ClusterAgent): boolean {
    const child = this.running.get(agent.name)?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  /**
   * Starts (or restarts, keeping its data dir) one agent. Its peers are the servers' LAN gossip
   * addresses, as docker-compose.yml passes the servers' names.
   */
  async startAgent(agent: ClusterAgent): Promise<void> {
    await mkdir(agent.dataDir, { recursive: true });
    const certificates = join(this.secretsDir, agent.server ? agent.name : this.client.name);
    const file = (name: string) => JSON.stringify(join(certificates, name));
    const args = [
      'agent',
      '-config-file',
      join(repoRoot, 'consul/config', agent.server ? 'server.hcl' : 'client.hcl'),
      ...(agent.withoutGossipKey ? [] : ['-config-file', join(this.secretsDir, 'gossip.hcl')]),
      '-node',
      agent.name,
      '-data-dir',
      agent.dataDir,
      '-bind',
      '127.0.0.1',
      '-client',
      '127.0.0.1',
      ...this.agents
        .filter((peer) => peer.server)
        .flatMap((peer) => ['-retry-join', `127.0.0.1:${peer.ports.serfLan}`]),
      '-hcl',
      `ports { https = ${agent.ports.https}, server = ${agent.ports.server}, serf_lan = ${agent.ports.serfLan}, serf_wan = ${agent.ports.serfWan}, dns = -1 }`,
      '-hcl',
      `tls { defaults { ca_file = ${file('ca.pem')}, cert_file = ${file('agent.pem')}, key_file = ${file('agent-key.pem')} } }`,
    ];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const state: Running = { child, output: '' };
    const append = (chunk: Buffer) => {
      state.output = (state.output + chunk.toString()).slice(-40_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.running.set(agent.name, state);
    // Any answer will do: a client agent answers 500 until it has joined, which is not its own
    // start-up but the cluster's business (and never happens for an agent without the key).
    await waitFor(
      `${agent.name} to serve HTTPS`,
      async () => {
        this.assertRunning(agent);
        return (await this.api(agent, 'GET', '/v1/status/peers')).status > 0;
      },
      30_000,
      100,
    );
  }

  /** One more client agent started from client.hcl without the gossip key (it must not get in). */
  async startAgentWithoutGossipKey(): Promise<ClusterAgent> {
    const [https, server, serfLan, serfWan] = (await freePorts(4)) as [number, number, number, number];
    const agent: ClusterAgent = {
      name: 'consul-intruder',
      server: false,
      ports: { https, server, serfLan, serfWan },
      dataDir: join(this.workDir, 'data-consul-intruder'),
      withoutGossipKey: true,
    };
    this.agents.push(agent);
    await this.startAgent(agent);
    return agent;
  }

  /** Stops one agent: SIGKILL is a crash (no leave), SIGTERM a graceful stop. */
  async stopAgent(agent: ClusterAgent, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.running.get(agent.name)?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((agent) => this.stopAgent(agent, 'SIGTERM')));
    await this.trusting?.close();
    // The secrets die with the cluster.
    await rm(this.workDir, { recursive: true, force: true });
  }

  private trustingDispatcher(): Agent {
    this.trusting ??= new Agent({ connect: { ca: readFileSync(this.caFile) } });
    return this.trusting;
  }

  private assertRunning(agent: ClusterAgent): void {
    const state = this.running.get(agent.name);
    if (state && (state.child.exitCode !== null || state.child.signalCode !== null))
      throw new Error(
        `${agent.name} exited (${state.child.exitCode ?? state.child.signalCode}): ${state.output.slice(-3_000)}`,
      );
  }

  private async makeMaterial(): Promise<void> {
    await run('bash', [secureScript, 'material', this.secretsDir], {
      env: {
        ...process.env,
        CONSUL_BIN: this.binary,
        CONSUL_SERVER_NAMES: this.agents
          .filter((agent) => agent.server)
          .map((agent) => agent.name)
          .join(' '),
        CONSUL_CLIENT_NAMES: this.agents
          .filter((agent) => !agent.server)
          .map((agent) => agent.name)
          .join(' '),
      },
    });
  }
}
