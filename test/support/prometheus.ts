import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** The directory holding prometheus and promtool with Consul discovery (npm test exports it). */
export function prometheusDir(): string {
  return (
    process.env.PROMETHEUS_DIR ??
    execFileSync('bash', [join(repoRoot, 'scripts/install-prometheus.sh')], { encoding: 'utf8' }).trim()
  );
}

/** The Alertmanager binary (npm test exports it; Debian names it prometheus-alertmanager). */
export function alertmanagerBin(): string {
  if (process.env.ALERTMANAGER_BIN) return process.env.ALERTMANAGER_BIN;
  for (const dir of (process.env.PATH ?? '').split(':'))
    for (const name of ['alertmanager', 'prometheus-alertmanager'])
      if (dir && existsSync(join(dir, name))) return join(dir, name);
  throw new Error('no alertmanager on PATH: run the tests through npm test, which installs prometheus-alertmanager');
}

/** Replaces every occurrence of `from`, and fails loudly when there is none (the shipped file changed). */
export function replaceAll(text: string, from: string | RegExp, to: string, what: string): string {
  const pattern = typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : from;
  if (!pattern.test(text)) throw new Error(`${what}: ${String(from)} not found; update the test with the shipped file`);
  pattern.lastIndex = 0;
  return text.replace(pattern, to);
}

/** One sample of an instant query's answer. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A child process that ends with the test: its output kept for failure messages. */
abstract class Daemon {
  protected output = '';
  protected constructor(
    protected readonly child: ChildProcess,
    readonly port: number,
    private readonly dataDir: string,
  ) {
    const append = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logs(): string {
    return this.output;
  }

  protected async waitReady(name: string): Promise<void> {
    await waitFor(
      `${name} on ${this.url} to be ready`,
      async () => {
        if (this.child.exitCode !== null)
          throw new Error(`exited with ${this.child.exitCode}: ${this.logs.slice(-2_000)}`);
        return (await fetch(`${this.url}/-/ready`)).ok;
      },
      30_000,
      100,
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** A real Prometheus on a free loopback port with its own storage, for one test file. */
export class PrometheusServer extends Daemon {
  static async start(configFile: string, port: number): Promise<PrometheusServer> {
    const dataDir = await mkdtemp(join(tmpdir(), 'prometheus-'));
    const child = spawn(
      join(prometheusDir(), 'prometheus'),
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(child, port, dataDir);
    try {
      await server.waitReady('Prometheus');
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** An instant query through the HTTP API; a query Prometheus refuses throws with its error. */
  async query(expression: string): Promise<Sample[]> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expression })}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`query ${expression} failed: ${body.error}`);
    return body.data!.result;
  }

  /** The scrape targets Prometheus found, with their labels and health. */
  async activeTargets(): Promise<{ labels: Record<string, string>; health: string; scrapePool: string }[]> {
    const response = await fetch(`${this.url}/api/v1/targets?state=active`);
    return ((await response.json()) as { data: { activeTargets: any[] } }).data.activeTargets;
  }
}

/**
 * A real Alertmanager on a free loopback port, started through observability/alertmanager/
 * start-alertmanager.sh as compose starts it, with clustering off so parallel files never meet.
 */
export class AlertmanagerServer extends Daemon {
  static async start(options: { configFile: string; webhookUrl: string }): Promise<AlertmanagerServer> {
    const [port, dataDir] = await Promise.all([freePort(), mkdtemp(join(tmpdir(), 'alertmanager-'))]);
    const child = spawn(
      'sh',
      [
        join(repoRoot, 'observability/alertmanager/start-alertmanager.sh'),
        `--storage.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ALERTMANAGER_BIN: alertmanagerBin(),
          ALERTMANAGER_CONFIG: options.configFile,
          ALERTMANAGER_RENDERED_CONFIG: join(dataDir, 'alertmanager.yml'),
          ALERTMANAGER_WEBHOOK_URL: options.webhookUrl,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const server = new AlertmanagerServer(child, port, dataDir);
    try {
      await server.waitReady('Alertmanager');
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }
}

/** One alert as Alertmanager's webhook sends it, and when it arrived. */
export interface ReceivedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  receivedAt: number;
}

/** An HTTP server that records what Alertmanager's webhook receiver POSTs to it. */
export class WebhookReceiver {
  readonly alerts: ReceivedAlert[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const port = await freePort();
    let receiver: WebhookReceiver | undefined;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        const receivedAt = Date.now();
        const message = JSON.parse(body) as { alerts: Omit<ReceivedAlert, 'receivedAt'>[] };
        for (const alert of message.alerts) receiver!.alerts.push({ ...alert, receivedAt });
        response.writeHead(200).end();
      });
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    receiver = new WebhookReceiver(server, port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/alerts`;
  }

  /** The first alert received that matches, waiting for it up to timeoutMs. */
  async waitFor(
    description: string,
    matches: (alert: ReceivedAlert) => boolean,
    timeoutMs: number,
  ): Promise<ReceivedAlert> {
    return waitFor(`the webhook to receive ${description}`, () => this.alerts.find(matches), timeoutMs, 50);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
