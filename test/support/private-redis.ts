import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { freePorts } from './ports.js';
import { waitFor } from './wait.js';

/**
 * A Redis of one test's own on a free loopback port, with nothing saved to disk, so the test can
 * stop it and start it again empty without disturbing the machine's Redis or the other tests.
 */
export class PrivateRedis {
  private server: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const [port] = await freePorts(1);
    const redis = new PrivateRedis(port!);
    await redis.resume();
    return redis;
  }

  /** Starts it (empty) and waits until it accepts connections. */
  async resume(): Promise<void> {
    const server = spawn(
      process.env.REDIS_SERVER_BIN ?? 'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.server = server;
    await waitFor(
      `redis-server on ${this.port} (is redis-server installed? REDIS_SERVER_BIN names another)`,
      async () => {
        if (server.exitCode !== null) throw new Error(`redis-server exited with ${server.exitCode}`);
        return new Promise<boolean>((resolve) => {
          const socket = connect(this.port, '127.0.0.1', () => {
            socket.end();
            resolve(true);
          });
          socket.on('error', () => resolve(false));
        });
      },
      10_000,
      50,
    );
  }

  /** Kills it at once: every connection drops and everything it held is gone. */
  async halt(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server || server.exitCode !== null) return;
    server.kill('SIGKILL');
    await once(server, 'exit');
  }
}
