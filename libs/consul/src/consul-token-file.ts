import { readFileSync } from 'node:fs';

/**
 * The Consul token of a running app, kept in a file (CONSUL_HTTP_TOKEN_FILE) that an operator
 * replaces to rotate the token without a restart (consul/scripts/rotate_app_token.sh).
 *
 * The file is read again every second rather than watched: a read of a few bytes costs nothing,
 * and unlike inotify or fs.watchFile it cannot miss a file replaced by a rename, a change made
 * before the watch began, or one inside a directory mounted into a container.
 */
export class ConsulTokenFile {
  private token: string;
  private poller: NodeJS.Timeout | undefined;

  /** Reads the token at once, so a missing or empty file stops the app at start-up with the reason. */
  constructor(
    readonly path: string,
    private readonly onChange: (token: string) => void,
  ) {
    let token: string;
    try {
      token = readToken(path);
    } catch (error) {
      throw new Error(
        `CONSUL_HTTP_TOKEN_FILE ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): create it with the app's Consul token, or unset the variable`,
      );
    }
    if (!token) throw new Error(`CONSUL_HTTP_TOKEN_FILE ${path} is empty: write the app's Consul token into it`);
    this.token = token;
  }

  get current(): string {
    return this.token;
  }

  /** Reads the file every intervalMs; a changed token reaches onChange without any request having to fail first. */
  watch(intervalMs = 1_000): void {
    if (this.poller) return;
    this.poller = setInterval(() => this.reload(), intervalMs);
    // The poll alone must not keep a stopping app alive.
    this.poller.unref();
  }

  /**
   * Reads the file again; true when it now holds another token. While the file is missing or empty
   * (an editor or a copy replacing it), the token in use is kept: the old one is still valid then.
   */
  reload(): boolean {
    let token: string;
    try {
      token = readToken(this.path);
    } catch {
      return false;
    }
    if (!token || token === this.token) return false;
    this.token = token;
    this.onChange(token);
    return true;
  }

  close(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }
}

/** The file's content without surrounding white space (a trailing newline from `echo` or an editor). */
function readToken(path: string): string {
  return readFileSync(path, 'utf8').trim();
}
