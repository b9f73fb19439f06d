import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { freePorts } from './ports.js';
import { waitFor } from './wait.js';

export interface ConsulAgentOptions {
  acl?: boolean;
  /** Also serve the HTTP API over TLS, with a CA and server certificate made by `consul tls`. */
  tls?: boolean;
}

/**
 * A real Consul dev agent on free loopback ports, started through the project's own script
 * (consul/scripts/start_dev_agent.sh), so parallel test files never collide.
 */
export class ConsulAgent {
  private process: ChildProcess | undefined;
  private output = '';
  readonly managementToken: string | undefined;

  /** The CA that signed the HTTPS certificate (with tls). */
  caFile: string | undefined;
  private tlsHcl = '';

  private constructor(
    private readonly ports: {
      http: number;
      https: number;
      dns: number;
      grpc: number;
      server: number;
      serfLan: number;
      serfWan: number;
    },
    private readonly options: ConsulAgentOptions,
  ) {
    this.managementToken = options.acl ? randomUUID() : undefined;
  }

  static async start(options: ConsulAgentOptions = {}): Promise<ConsulAgent> {
    const [http, https, dns, grpc, server, serfLan, serfWan] = await freePorts(7);
    const agent = new ConsulAgent(
      { http: http!, https: https!, dns: dns!, grpc: grpc!, server: server!, serfLan: serfLan!, serfWan: serfWan! },
      options,
    );
    if (options.tls) await agent.makeCertificates();
    await agent.launch();
    return agent;
  }

  get address(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  /**
   * A call to the agent's HTTP API, for what tests check or arrange but the product never does
   * (listing or deleting keys, reading a session): the JSON answer, or undefined when empty.
   */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.address}${path}`, {
      method,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok && response.status !== 404)
      throw new Error(`Consul ${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Every KV entry under a prefix as [key, decoded value], in key order. */
  async kvEntries(prefix: string): Promise<[string, string][]> {
    const entries =
      (await this.api<{ Key: string; Value: string | null }[] | undefined>('GET', `/v1/kv/${prefix}?recurse=true`)) ??
      [];
    return entries.map((entry) => [entry.Key, Buffer.from(entry.Value ?? '', 'base64').toString('utf8')]);
  }

  get httpsAddress(): string {
    return `https://127.0.0.1:${this.ports.https}`;
  }

  get logs(): string {
    return this.output;
  }

  /** Starts a new agent on the same ports (a dev agent keeps nothing: a fresh, empty Consul). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** A CA and a server certificate for dc1 (SANs include 127.0.0.1 and localhost). */
  private async makeCertificates(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'consul-tls-'));
    const consul =
      process.env.CONSUL_BIN ??
      execFileSync('bash', [join(repoRoot, 'consul/scripts/install_consul.sh')], { encoding: 'utf8' }).trim();
    execFileSync(consul, ['tls', 'ca', 'create'], { cwd: dir, stdio: 'ignore' });
    execFileSync(consul, ['tls', 'cert', 'create', '-server', '-dc', 'dc1'], { cwd: dir, stdio: 'ignore' });
    this.caFile = join(dir, 'consul-agent-ca.pem');
    const file = (name: string) => JSON.stringify(join(dir, name));
    this.tlsHcl = `tls { defaults { ca_file = ${file('consul-agent-ca.pem')}, cert_file = ${file('dc1-server-consul-0.pem')}, key_file = ${file('dc1-server-consul-0-key.pem')}, verify_incoming = false } }`;
  }

  private async launch(): Promise<void> {
    this.output = '';
    const child = spawn('bash', [join(repoRoot, 'consul/scripts/start_dev_agent.sh')], {
      env: {
        ...process.env,
        CONSUL_HTTP_PORT: String(this.ports.http),
        CONSUL_DNS_PORT: String(this.ports.dns),
        CONSUL_GRPC_PORT: String(this.ports.grpc),
        CONSUL_SERVER_PORT: String(this.ports.server),
        CONSUL_SERF_LAN_PORT: String(this.ports.serfLan),
        CONSUL_SERF_WAN_PORT: String(this.ports.serfWan),
        CONSUL_NODE_NAME: `test-${this.ports.http}`,
        CONSUL_ACL: this.options.acl ? '1' : '0',
        CONSUL_MANAGEMENT_TOKEN: this.managementToken ?? '',
        CONSUL_HTTPS_PORT: this.options.tls ? String(this.ports.https) : '',
        CONSUL_EXTRA_HCL: this.tlsHcl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    const append = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const headers: Record<string, string> = this.managementToken ? { 'x-consul-token': this.managementToken } : {};
    try {
      await waitFor(
        `Consul dev agent on ${this.address} to elect a leader`,
        async () => {
          if (child.exitCode !== null)
            throw new Error(`agent exited with ${child.exitCode}: ${this.output.slice(-2_000)}`);
          const leader = await fetch(`${this.address}/v1/status/leader`, { headers });
          const text = leader.ok ? await leader.text() : '';
          if (text.length <= 2) return false;
          // With ACLs on, the agent needs a moment after election before tokens resolve.
          const self = await fetch(`${this.address}/v1/agent/self`, { headers });
          return self.ok;
        },
        60_000,
        100,
      );
    } catch (error) {
      await this.stop();
      throw error;
    }
  }
}
