import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** One compiled app running as its own process, as in production: node scripts/run-app.mjs <app>. */
export class AppProcess {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const append = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  static spawn(name: string, port: number, env: Record<string, string>): AppProcess {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts/run-app.mjs'), name], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(name, port, child);
  }

  /**
   * Spawns and waits until the app says it listens. Should something else have bound the port in
   * the meantime (EADDRINUSE), it starts again on another free port, up to three times.
   */
  static async start(name: string, port: number, env: Record<string, string>): Promise<AppProcess> {
    for (let attempt = 1; ; attempt += 1) {
      const app = AppProcess.spawn(name, port, env);
      const state = await waitFor(
        `${name} to listen on ${port}`,
        () => (app.child.exitCode !== null ? 'exited' : app.logs.includes('listening on') ? 'listening' : undefined),
        30_000,
      );
      if (state === 'listening') return app;
      if (attempt >= 3 || !app.logs.includes('EADDRINUSE'))
        throw new Error(`${name} exited with ${app.child.exitCode}: ${app.logs.slice(-2_000)}`);
      port = await freePort();
    }
  }

  /** The app's process id (the benchmark reads its memory; a workers test finds its children). */
  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logs(): string {
    return this.output;
  }

  /** The app's JSON log lines, parsed. */
  get logLines(): Record<string, unknown>[] {
    return this.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  async stop(): Promise<void> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
