import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * A compiled bench script (the bare proxy, the load generator) run as a Node process of its own,
 * so that it never shares an event loop with what it measures or forwards to.
 *
 * Its stdin is a lifeline: the child exits when it closes (see `exitWhenParentGoes`), so even a
 * benchmark killed with SIGKILL leaves no proxy or load generator behind.
 */
export class NodeChild {
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
  static spawn(name: string, script: URL, args: string[], nodeFlags: string[] = []): NodeChild {
    const child = spawn(process.execPath, [...nodeFlags, script.pathname, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new NodeChild(name, child);
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first stdout line matching `pattern`; rejects if the child exits first or the time runs out. */
  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
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
