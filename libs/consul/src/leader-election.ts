import { Logger } from '@nestjs/common';
import { backoffDelay, sleep, describeError } from '@switchboard/kernel';
import { BlockingWatch } from './blocking-watch.js';
import { ConsulClient } from './consul.client.js';
import { ConsulLock } from './consul-lock.js';
import type { KvEntry } from './consul.types.js';

export interface LeaderElectionOptions {
  /** Who is asking, stored in the lock key for operators. */
  holder: string;
  /** Session TTL (Consul's minimum is 10 s; it may take up to twice that to expire a dead holder). */
  ttlSeconds?: number;
  /** Pause before the lock can be taken after the holder's session is invalidated. */
  lockDelay?: string;
  onElected?: () => void;
  onDemoted?: () => void;
  /** Checks the leadership session is tied to, so a dead leader is replaced as soon as Consul sees it die. */
  serviceChecks?: string[];
  /** Consul no longer knows one of those checks (the holder's registration vanished). */
  onMissingCheck?: () => void;
}

/**
 * One leader among replicas through a Consul lock. Followers watch the lock key with a blocking
 * query and try to take it the moment it is free; a leader that loses its session is demoted.
 */
export class LeaderElection {
  private readonly logger = new Logger(LeaderElection.name);
  private readonly lock: ConsulLock;
  private watch: BlockingWatch<KvEntry | undefined> | undefined;
  private leader = false;
  private stopped = false;
  private attempting: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly consul: ConsulClient,
    readonly key: string,
    private readonly options: LeaderElectionOptions,
  ) {
    this.lock = new ConsulLock(consul, key, {
      holder: options.holder,
      ttlSeconds: options.ttlSeconds ?? 10,
      lockDelay: options.lockDelay ?? '1s',
      onLost: () => this.demote('its Consul session was lost'),
      serviceChecks: options.serviceChecks,
    });
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.stopped = false;
    this.watch = new BlockingWatch<KvEntry | undefined>(
      (index, waitSeconds, signal) => this.consul.kvGet(this.key, { index, waitSeconds, signal }),
      {
        waitSeconds: 30,
        // Any change of the key (held, released, session gone) is a moment to try.
        onChange: (entry) => {
          if (!this.leader && !entry?.Session) this.tryAcquire();
          if (this.leader && entry?.Session !== this.lock.session) this.demote('another holder has the lock');
        },
      },
    );
    this.watch.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watch?.stop();
    await this.attempting;
    const wasLeader = this.leader;
    this.leader = false;
    try {
      await this.lock.release();
    } catch (error) {
      this.logger.warn(`Could not release ${this.key}: ${describeError(error)}`);
    }
    if (wasLeader) this.options.onDemoted?.();
  }

  private tryAcquire(): void {
    if (this.attempting || this.stopped) return;
    this.attempting = (async () => {
      while (!this.stopped && !this.leader) {
        try {
          if (await this.lock.acquire()) {
            this.leader = true;
            this.failures = 0;
            this.logger.log(`${this.options.holder} is now the leader (${this.key})`);
            this.options.onElected?.();
            return;
          }
          // Refused while nobody holds it: Consul's lock-delay after a lost holder. Try again soon;
          // otherwise it is held elsewhere and the watch calls again when the key changes.
          const current = await this.consul.kvGet(this.key);
          if (current.body?.Session) return;
          await sleep(250);
        } catch (error) {
          // Lock-delay after a lost holder, or Consul away: retry with backoff.
          this.failures += 1;
          const delay = backoffDelay(this.failures, { initialMs: 250, maxMs: 5_000 });
          const message = describeError(error);
          // Right after start-up the holder's own check is still critical; that passes by itself.
          if (/critical state/.test(message))
            this.logger.debug(`Waiting for this replica's check to pass before taking ${this.key}`);
          else if (/Missing check/.test(message)) this.options.onMissingCheck?.();
          else this.logger.warn(`Could not take ${this.key} (${message}); retrying in ${delay} ms`);
          await sleep(delay);
        }
      }
    })().finally(() => (this.attempting = undefined));
  }

  private demote(reason: string): void {
    if (!this.leader) return;
    this.leader = false;
    // Whatever the reason, this holder no longer owns the key: never trust the old session again.
    this.lock.forget();
    this.logger.warn(`${this.options.holder} is no longer the leader: ${reason}`);
    this.options.onDemoted?.();
    if (!this.stopped) this.tryAcquire();
  }
}
