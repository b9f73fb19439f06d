import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './ports.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of one test's own (initdb + pg_ctl on a free loopback port), so the test
 * can stop and start it without disturbing the machine's Postgres or the other tests. PostgreSQL
 * refuses to run as root; as root the cluster belongs to the postgres user.
 */
export class PrivatePostgres {
  private constructor(
    private readonly directory: string,
    readonly port: number,
  ) {}

  /** Trust-authenticated superuser URL of the cluster's postgres database. */
  get adminUrl(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PrivatePostgres> {
    const directory = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
    if (userInfo().uid === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: group } = await run('id', ['-g', 'postgres']);
      chownSync(directory, Number(stdout.trim()), Number(group.trim()));
    }
    const [port] = await freePorts(1);
    const cluster = new PrivatePostgres(directory, port!);
    await cluster.asOwner('initdb', ['-D', cluster.dataDirectory, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await cluster.resume();
    return cluster;
  }

  /** Starts the cluster and waits until it accepts connections. */
  async resume(): Promise<void> {
    const options = `-p ${this.port} -k ${this.directory} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.asOwner('pg_ctl', ['-D', this.dataDirectory, '-o', options, '-l', this.logFile, '-w', 'start']);
  }

  /** Stops the cluster at once, dropping every connection (an outage, as a crash would look). */
  async halt(): Promise<void> {
    await this.asOwner('pg_ctl', ['-D', this.dataDirectory, '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.halt().catch(() => undefined);
    rmSync(this.directory, { recursive: true, force: true });
  }

  private get dataDirectory(): string {
    return join(this.directory, 'data');
  }

  private get logFile(): string {
    return join(this.directory, 'postgres.log');
  }

  private async asOwner(command: string, args: string[]): Promise<void> {
    const [file, argv] =
      userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    try {
      await run(file, argv, { timeout: 60_000 });
    } catch (error) {
      const output = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`${command} failed (is PostgreSQL installed, with initdb and pg_ctl on PATH?): ${output.trim()}`);
    }
  }
}
