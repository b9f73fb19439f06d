import cluster from 'node:cluster';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { AppConfig, describeError } from '@switchboard/kernel';
import { type ClientApiKey, isUniqueViolation } from '@switchboard/database';
import { type ClientKeyLimits, limitsOf } from './client-key-limits.js';
import { ClientKeysRepository } from './client-keys.repository.js';
import { ClientKeysService, hashClientKey } from './client-keys.service.js';

/** A key as the gateway checks it, per request, from memory: who it is and its limits. */
export interface ClientIdentity extends Omit<ClientKeyLimits, 'expiresAt'> {
  id: string;
  name: string;
  /** Epoch milliseconds past which the key is refused; null never. */
  expiresAt: number | null;
}

export function identityOf(row: ClientApiKey): ClientIdentity {
  const limits = limitsOf(row);
  return { id: row.id, name: row.name, ...limits, expiresAt: limits.expiresAt?.getTime() ?? null };
}

const NEGATIVE_TTL_MS = 5_000;
const MAX_NEGATIVE = 10_000;
/** The longest a request with a key not yet in memory waits for Postgres to say whether it exists. */
const UNKNOWN_KEY_LOOKUP_LIMIT_MS = 1_000;

/**
 * Client keys for authentication, from memory: every active key's hash is loaded at start-up and
 * reloaded every CATALOG_REFRESH_MS (so a revocation takes effect within that). A key not in memory
 * is looked up once (a key created a moment ago), and unknown hashes are remembered for a few
 * seconds so a stream of bad keys cannot turn into a stream of database queries.
 */
@Injectable()
export class ClientKeyCache implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ClientKeyCache.name);
  private byHash = new Map<string, ClientIdentity>();
  private readonly unknown = new Map<string, number>();
  private readonly pending = new Map<string, Promise<ClientIdentity | undefined>>();
  private readonly used = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  loadedAt = 0;
  lastError: string | undefined;

  constructor(
    private readonly repository: ClientKeysRepository,
    private readonly keys: ClientKeysService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload().then(() => this.flushUsage()), this.config.CATALOG_REFRESH_MS);
    this.timer.unref();
  }

  /** The bootstrap key: created when configured and missing; generated and printed when no key exists at all. */
  async onApplicationBootstrap(): Promise<void> {
    try {
      const preset = this.config.BOOTSTRAP_CLIENT_KEY;
      if (preset) {
        if (!this.byHash.has(hashClientKey(preset)) && !(await this.repository.findByHash(hashClientKey(preset)))) {
          const limits = { rateLimitRpm: this.config.BOOTSTRAP_CLIENT_KEY_RPM ?? null };
          await this.keys.create('bootstrap', limits, 'api-gateway', preset);
          this.logger.log(`Created the bootstrap client key from BOOTSTRAP_CLIENT_KEY (${preset.slice(0, 10)}...)`);
        }
      } else if (isFirstWorker() && (await this.repository.countActive()) === 0) {
        const { key } = await this.keys.create(
          'bootstrap (generated)',
          { rateLimitRpm: this.config.BOOTSTRAP_CLIENT_KEY_RPM ?? null },
          'api-gateway',
        );
        // Shown once, on the console only (not through the JSON logger, whose lines are shipped and kept).
        process.stdout.write(
          `\nNo client key existed, so one was generated. Use it as "Authorization: Bearer <key>" or "x-api-key: <key>":\n\n    ${key}\n\nIt is stored only as a hash and will not be shown again.\n\n`,
        );
      }
      await this.reload();
    } catch (error) {
      // Another replica creating the same key at the same moment is fine (unique hash).
      if (!isUniqueViolation(error))
        this.logger.error(`Could not create the bootstrap client key: ${describeError(error)}`);
      await this.reload();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The key's identity, from memory when known (the normal case: no I/O). */
  authenticate(key: string): ClientIdentity | undefined | Promise<ClientIdentity | undefined> {
    const hash = hashClientKey(key);
    const known = this.byHash.get(hash);
    if (known) {
      this.used.add(known.id);
      return known;
    }
    const refusedAt = this.unknown.get(hash);
    if (refusedAt !== undefined && Date.now() - refusedAt < NEGATIVE_TTL_MS) return undefined;
    let lookup = this.pending.get(hash);
    if (!lookup) {
      lookup = this.lookup(hash).finally(() => this.pending.delete(hash));
      this.pending.set(hash, lookup);
    }
    return lookup;
  }

  private async lookup(hash: string): Promise<ClientIdentity | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // A Postgres that hangs (rather than refuses) must not hold the request: past the limit the
      // key counts as unknown, as it would with Postgres down.
      const row = await Promise.race([
        this.repository.findByHash(hash),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('client key lookup timed out')), UNKNOWN_KEY_LOOKUP_LIMIT_MS);
        }),
      ]);
      if (row && !row.revokedAt) {
        const identity = identityOf(row);
        this.byHash.set(hash, identity);
        return identity;
      }
    } catch {
      // Postgres away: only keys already in memory work until it is back.
    } finally {
      clearTimeout(timer);
    }
    if (this.unknown.size >= MAX_NEGATIVE) this.unknown.clear();
    this.unknown.set(hash, Date.now());
    return undefined;
  }

  private async reload(): Promise<void> {
    try {
      const rows = await this.repository.findActive();
      this.byHash = new Map(rows.map((row) => [row.keyHash, identityOf(row)]));
      this.loadedAt = Date.now();
      this.lastError = undefined;
    } catch (error) {
      const message = describeError(error);
      if (!this.lastError)
        this.logger.warn(`Could not reload client keys (${message}); the ones in memory keep working`);
      this.lastError = message;
    }
  }

  /** lastUsedAt for the keys seen since the last flush, in one statement off the request path. */
  private async flushUsage(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used.clear();
    await this.repository.markUsed(ids).catch(() => undefined);
  }
}

/** One worker of a gateway generates the first key, so a fresh start prints one key, not one per worker. */
function isFirstWorker(): boolean {
  return !cluster.isWorker || cluster.worker?.id === 1;
}
