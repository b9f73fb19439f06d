import { ConsulClient } from './consul.client.js';

export interface ConsulLockOptions {
  /** Session TTL; the holder renews at half of it. Consul allows 10s to 86400s. */
  ttlSeconds?: number;
  /** After the holder's session is invalidated, nobody may take the lock for this long. */
  lockDelay?: string;
  /** Stored in the lock key, for operators (e.g. the holder's service ID). */
  holder?: string;
  /** Called once if the session is lost while the lock was held (renewal found it gone). */
  onLost?: () => void;
  /**
   * Health checks the session is tied to (e.g. the holder's own readiness check): when one turns
   * critical Consul invalidates the session at once, long before the TTL would.
   */
  serviceChecks?: string[];
}

/**
 * A Consul lock: a session with a TTL, and a KV key acquired with it. Only one session holds a
 * key at a time; when the holder's session is destroyed or expires the key is released.
 */
export class ConsulLock {
  private sessionId: string | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private isHeld = false;

  constructor(
    private readonly consul: ConsulClient,
    readonly key: string,
    private readonly options: ConsulLockOptions = {},
  ) {}

  get held(): boolean {
    return this.isHeld;
  }

  get session(): string | undefined {
    return this.sessionId;
  }

  /** Tries once; true when this holder now has the lock (or had it already). */
  async acquire(): Promise<boolean> {
    if (this.isHeld) return true;
    const session = await this.ensureSession();
    this.isHeld = await this.consul.kvPut(this.key, this.options.holder ?? session, { acquire: session });
    return this.isHeld;
  }

  /** Gives the lock up and destroys the session. */
  async release(): Promise<void> {
    this.stopRenewing();
    const session = this.sessionId;
    this.sessionId = undefined;
    this.isHeld = false;
    if (!session) return;
    try {
      await this.consul.kvPut(this.key, this.options.holder ?? session, { release: session });
    } finally {
      await this.consul.sessionDestroy(session);
    }
  }

  /**
   * Drops what this holder believes it has (after Consul took the lock away): the next acquire()
   * asks Consul again with a new session. The old session is destroyed if it still exists.
   */
  forget(): void {
    this.stopRenewing();
    const session = this.sessionId;
    this.sessionId = undefined;
    this.isHeld = false;
    if (session) void this.consul.sessionDestroy(session).catch(() => undefined);
  }

  private async ensureSession(): Promise<string> {
    if (this.sessionId) return this.sessionId;
    const ttl = Math.max(10, this.options.ttlSeconds ?? 15);
    this.sessionId = await this.consul.sessionCreate({
      Name: `lock:${this.key}`,
      TTL: `${ttl}s`,
      LockDelay: this.options.lockDelay ?? '1s',
      Behavior: 'release',
      ...(this.options.serviceChecks?.length
        ? { NodeChecks: ['serfHealth'], ServiceChecks: this.options.serviceChecks.map((ID) => ({ ID })) }
        : {}),
    });
    this.renewTimer = setInterval(() => void this.renew(), (ttl * 1000) / 2);
    this.renewTimer.unref();
    return this.sessionId;
  }

  private async renew(): Promise<void> {
    const session = this.sessionId;
    if (!session) return;
    try {
      if (await this.consul.sessionRenew(session)) return;
    } catch {
      // Consul unreachable: the session lives on until its TTL; the next tick tries again.
      return;
    }
    // The session is gone (TTL expired or destroyed elsewhere): the lock went with it.
    this.stopRenewing();
    this.sessionId = undefined;
    const wasHeld = this.isHeld;
    this.isHeld = false;
    if (wasHeld) this.options.onLost?.();
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}
