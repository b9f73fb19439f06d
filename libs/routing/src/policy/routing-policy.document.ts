import { Injectable } from '@nestjs/common';
import { ConsulClient } from '@switchboard/consul';
import { AppConfig, DomainError, describeError } from '@switchboard/kernel';
import { DEFAULT_ROUTING_POLICY, parseRoutingPolicy, type RoutingPolicy, readStoredPolicy } from './routing-policy.js';

/** The routing policy as stored in Consul KV, for operators to read and replace. */
export interface RoutingPolicyDocument {
  key: string;
  /** consul: a valid policy is stored; default: nothing is stored; invalid: what is stored is refused. */
  source: 'consul' | 'default' | 'invalid';
  /** The key's ModifyIndex (0 when absent): send it back as `If-Match` to replace exactly this version. */
  modifyIndex: number;
  /** The policy the stored text stands for (the built-in default when nothing valid is stored). */
  policy: RoutingPolicy;
  /** Why the stored text is refused (source invalid); the gateways keep their last good policy. */
  problems: string[];
}

/** Somebody else replaced the policy since the version the caller read. */
export class RoutingPolicyConflictError extends DomainError {
  readonly kind = 'conflict';

  constructor(key: string, expected: number) {
    super(
      `the routing policy at ${key} changed since index ${expected}: GET /admin/routing-policy again and apply your change to that version`,
    );
    this.name = 'RoutingPolicyConflictError';
  }
}

/** Consul did not answer: the policy can be neither read nor written now. */
export class RoutingPolicyStorageError extends DomainError {
  readonly kind = 'unavailable';
  override readonly retryAfterSeconds = 5;

  constructor(cause: unknown) {
    super(`Consul is not reachable, so the routing policy cannot be read or written now (${describeError(cause)})`);
    this.name = 'RoutingPolicyStorageError';
  }
}

/**
 * Reading and writing the routing policy in Consul KV for the admin API. Every gateway app watches
 * the key (RoutingPolicyStore) and applies a valid policy within a blocking query's round trip.
 * Writes are validated first and compare-and-set on the key's ModifyIndex, so two operators
 * never overwrite each other's change unseen.
 */
@Injectable()
export class RoutingPolicyDocuments {
  constructor(
    private readonly consul: ConsulClient,
    private readonly config: AppConfig,
  ) {}

  get key(): string {
    return this.config.ROUTING_POLICY_KEY;
  }

  async read(): Promise<RoutingPolicyDocument> {
    const entry = await this.consul.kvGet(this.key).catch((error: unknown) => {
      throw new RoutingPolicyStorageError(error);
    });
    const stored = readStoredPolicy(entry.body);
    return { key: this.key, ...stored, policy: stored.policy ?? DEFAULT_ROUTING_POLICY };
  }

  /**
   * Validates and stores a policy. `expectedIndex` is the version it replaces (0: only if none is
   * stored); without it, the version read just before the write.
   */
  async write(value: unknown, expectedIndex?: number): Promise<RoutingPolicyDocument> {
    const policy = parseRoutingPolicy(value);
    const replaces = expectedIndex ?? (await this.read()).modifyIndex;
    const written = await this.consul
      .kvPut(this.key, `${JSON.stringify(value, null, 2)}\n`, { cas: replaces })
      .catch((error: unknown) => {
        throw new RoutingPolicyStorageError(error);
      });
    if (!written) throw new RoutingPolicyConflictError(this.key, replaces);
    const stored = await this.read();
    return { ...stored, policy };
  }

  /**
   * Stores the built-in default when no policy is stored at all, so the Consul UI's Key/Value page
   * shows the policy in force. Returns whether it wrote (false: a policy was there, left alone).
   */
  seedDefault(): Promise<boolean> {
    return this.consul.kvPut(this.key, `${JSON.stringify(DEFAULT_ROUTING_POLICY, null, 2)}\n`, { cas: 0 });
  }
}
