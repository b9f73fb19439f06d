import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@switchboard/kernel';
import { type BlockingWatch, ConsulClient, type KvEntry, watchKvDocument } from '@switchboard/consul';
import { DEFAULT_ROUTING_POLICY, readStoredPolicy, type RoutingPolicy } from './routing-policy.js';

export interface PolicyStatus {
  key: string;
  /** consul: the stored policy is in force; default: none stored; invalid: the stored one was refused (the previous stays). */
  source: 'consul' | 'default' | 'invalid';
  /** The Consul modify index of the policy in force (0 for the built-in default). */
  modifyIndex: number;
  problems: string[];
  loadedAt: string;
}

/**
 * The routing policy in force, watched in Consul KV. An absent key means the built-in default; an
 * invalid value is refused with its problems logged and shown, and the last good policy stays, so a
 * typo in KV never takes routing down. Reads are synchronous.
 */
@Injectable()
export class RoutingPolicyStore implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(RoutingPolicyStore.name);
  private current: RoutingPolicy = DEFAULT_ROUTING_POLICY;
  private currentStatus: PolicyStatus;
  private watch: BlockingWatch<KvEntry | undefined> | undefined;

  constructor(
    private readonly consul: ConsulClient,
    private readonly config: AppConfig,
  ) {
    this.currentStatus = {
      key: config.ROUTING_POLICY_KEY,
      source: 'default',
      modifyIndex: 0,
      problems: [],
      loadedAt: new Date().toISOString(),
    };
  }

  get policy(): RoutingPolicy {
    return this.current;
  }

  get status(): PolicyStatus {
    return this.currentStatus;
  }

  onModuleInit(): void {
    this.watch = watchKvDocument(
      this.consul,
      this.config.ROUTING_POLICY_KEY,
      'the routing policy',
      this.logger,
      (entry) => this.apply(entry),
    );
    this.watch.start();
  }

  /** Before the Consul client closes: its close waits for in-flight blocking queries. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.watch?.stop();
  }

  private apply(entry: KvEntry | undefined): void {
    const key = this.config.ROUTING_POLICY_KEY;
    const loadedAt = new Date().toISOString();
    const stored = readStoredPolicy(entry);
    const { source, modifyIndex, problems } = stored;
    if (stored.source === 'invalid') {
      // The last good policy stays in force; the status says what was refused.
      this.currentStatus = { ...this.currentStatus, source, problems, loadedAt };
      this.logger.warn(
        `Refused the routing policy at ${key} (index ${modifyIndex}); keeping the one in force: ${problems.join('; ')}`,
      );
      return;
    }
    if (stored.source === 'default' && this.currentStatus.source !== 'default')
      this.logger.log(`No routing policy at ${key}; using the built-in default`);
    if (stored.source === 'consul') this.logger.log(`Routing policy loaded from Consul (${key}, index ${modifyIndex})`);
    this.current = stored.policy;
    this.currentStatus = { key, source, modifyIndex, problems, loadedAt };
  }
}
