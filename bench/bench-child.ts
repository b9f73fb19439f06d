import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * A process the benchmark starts (the mock upstream, the bare proxy, Portkey, vegeta, the TTFB
 * client), kept apart so that it never shares an event loop or runtime with what it measures.
 *
 * Its stdin is a lifeline: the servers exit when it closes (`exitWhenParentGoes` for Node scripts,
 * `-exit-with-stdin` for the Go mock, the `lifeline.js` preload for Portkey), so even a benchmark
 * killed with SIGKILL leaves no server behind.
 */
export class BenchChild {
  private stdoutText = '';
  private stderrText = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdoutText += chunk));
    child
      .stderr!.setEncoding('utf8')
      .on('data', (chunk: string) => (this.stderrText = (this.stderrText + chunk).slice(-20_000)));
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  /** Starts `node ...nodeFlags <script> ...args` with the same Node binary as this process. */
  static node(name: string, script: string, args: string[], nodeFlags: string[] = []): BenchChild {
    return BenchChild.command(name, process.execPath, [...nodeFlags, script, ...args]);
  }

  /** Starts an executable (a Go tool). */
  static command(name: string, file: string, args: string[]): BenchChild {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    return new BenchChild(name, child);
  }

  /** Writes `text` to the child's stdin and closes it (for the short-lived tools, not the servers). */
  writeStdin(text: string): void {
    this.child.stdin!.end(text);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  /** The last 20,000 characters of its stderr. */
  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first stdout match of `pattern`; rejects if the child exits first or the time runs out. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.stdoutText.match(pattern);
      if (match) return match;
      if (!this.running)
        throw new Error(`${this.name} exited before printing ${pattern}: ${this.stderrText.slice(-2_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${this.name} printed nothing matching ${pattern} within ${timeoutMs} ms`);
  }

  /** Waits for the child to end by itself; aborting kills it. Rejects unless it exits with 0. */
  async finished(signal: AbortSignal): Promise<string> {
    const onAbort = () => void this.stop(1_000);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const { code, signal: killedBy } = await this.exited;
      signal.throwIfAborted();
      if (code !== 0) throw new Error(`${this.name} exited with ${code ?? killedBy}: ${this.stderrText.slice(-2_000)}`);
      return this.stdoutText;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** SIGTERM, then SIGKILL if it has not gone after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** For the child side: exit when the parent closes our stdin (it exited, crashed or was killed). */
export function exitWhenParentGoes(onExit: () => void = () => process.exit(0)): void {
  process.stdin.on('end', onExit).on('error', onExit).resume();
}
