import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { type BlockingWatch, ConsulClient, type KvEntry, watchKvDocument } from '@switchboard/consul';
import { AppConfig, DomainError, describeError } from '@switchboard/kernel';
import {
  type AlertingThresholds,
  DEFAULT_ALERTING_THRESHOLDS,
  parseAlertingThresholds,
  readStoredThresholds,
} from './alerting-thresholds.js';

/** The thresholds in force, where they came from, and what was refused after them, if anything. */
export interface ThresholdsInForce {
  key: string;
  /** consul: the stored document; default: none is stored (or none valid was ever read). */
  source: 'consul' | 'default';
  /** The Consul ModifyIndex of the document in force (0 for the defaults). */
  modifyIndex: number;
  thresholds: AlertingThresholds;
  /** A stored document that was refused (the one in force stays), with its problems. */
  refused?: { modifyIndex: number; problems: string[] };
}

/** What a write answers: the document in force, or the one written when it could not be read back. */
export interface ThresholdsWritten extends ThresholdsInForce {
  /** Why the answer is the document written rather than the one read back (its ModifyIndex is then 0). */
  note?: string;
}

/** Consul did not answer: the thresholds can be neither read nor written now. */
export class AlertingThresholdsStorageError extends DomainError {
  readonly kind = 'unavailable';
  override readonly retryAfterSeconds = 5;

  constructor(cause: unknown) {
    super(`Consul is not reachable, so the alerting thresholds cannot be written now (${describeError(cause)})`);
    this.name = 'AlertingThresholdsStorageError';
  }
}

/**
 * The alerting thresholds, watched in Consul KV (ALERTING_KEY). An absent key means the built-in
 * defaults; an invalid value is refused with a warning and the last good document stays, so a typo
 * in KV never silences or floods alerts. Reads are synchronous; the admin API writes through here.
 */
@Injectable()
export class AlertingThresholdsStore implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(AlertingThresholdsStore.name);
  private current: ThresholdsInForce;
  private watch: BlockingWatch<KvEntry | undefined> | undefined;

  constructor(
    private readonly consul: ConsulClient,
    private readonly config: AppConfig,
  ) {
    this.current = {
      key: config.ALERTING_KEY,
      source: 'default',
      modifyIndex: 0,
      thresholds: DEFAULT_ALERTING_THRESHOLDS,
    };
  }

  get inForce(): ThresholdsInForce {
    return this.current;
  }

  get thresholds(): AlertingThresholds {
    return this.current.thresholds;
  }

  onModuleInit(): void {
    this.watch = watchKvDocument(
      this.consul,
      this.config.ALERTING_KEY,
      'the alerting thresholds',
      this.logger,
      (entry) => this.apply(entry),
    );
    this.watch.start();
  }

  /** Before the Consul client closes: its close waits for in-flight blocking queries. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.watch?.stop();
  }

  /**
   * Validates (400 naming each bad field), stores, and puts the document in force at once by
   * reading it back. Only a failed write is an error: when the read-back fails the document is
   * stored all the same, so the answer is the document written, with a note, and the watch puts
   * it in force once Consul answers.
   */
  async write(value: unknown): Promise<ThresholdsWritten> {
    const thresholds = parseAlertingThresholds(value);
    const key = this.config.ALERTING_KEY;
    try {
      await this.consul.kvPut(key, `${JSON.stringify(value, null, 2)}\n`);
    } catch (error) {
      throw new AlertingThresholdsStorageError(error);
    }
    try {
      this.apply((await this.consul.kvGet(key)).body);
      return this.current;
    } catch (error) {
      const why = describeError(error);
      this.logger.warn(`Stored the alerting thresholds at ${key} but could not read them back (${why})`);
      return {
        key,
        source: 'consul',
        modifyIndex: 0,
        thresholds,
        note: `Stored in Consul KV, but reading it back failed (${why}): it takes effect when the watch reads it`,
      };
    }
  }

  private apply(entry: KvEntry | undefined): void {
    const key = this.config.ALERTING_KEY;
    const stored = readStoredThresholds(entry);
    if (stored.source === 'invalid') {
      this.current = { ...this.current, refused: { modifyIndex: stored.modifyIndex, problems: stored.problems } };
      this.logger.warn(
        `Refused the alerting thresholds at ${key} (index ${stored.modifyIndex}); keeping the ones in force: ${stored.problems.join('; ')}`,
      );
      return;
    }
    if (stored.modifyIndex === this.current.modifyIndex && stored.source === this.current.source) return;
    if (stored.source === 'consul')
      this.logger.log(`Alerting thresholds loaded from Consul (${key}, index ${stored.modifyIndex})`);
    else if (this.current.source !== 'default') this.logger.log(`No alerting thresholds at ${key}; using the defaults`);
    this.current = { key, source: stored.source, modifyIndex: stored.modifyIndex, thresholds: stored.thresholds };
  }
}
