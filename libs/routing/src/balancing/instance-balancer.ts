import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '@switchboard/kernel';
import { PoolIndex } from './pool-index.js';
import { EXACT_POOL_LIMIT, selectFromLargePool } from './pool-sampler.js';
import {
  BalancerState,
  type BalancingStrategy,
  isUsable,
  type PoolMember,
  type RandomSource,
  selectMember,
} from './strategies.js';
import { requestsInLastMinute } from '../admission/minute-window.js';
import { InstanceCircuits } from '../resilience/instance-circuits.js';
import { InstanceTable, type TableInstance } from '../table/instance-table.js';
import { RoutingPolicyStore } from '../policy/routing-policy.store.js';

/** What /pools shows of an instance: the balancer's view of it, plus names and circuit detail (no secrets). */
export interface PoolMemberView extends Omit<PoolMember, 'circuitAllows'> {
  name: string;
  provider: string;
  baseUrlHost: string;
  circuit: string;
  coolingForMs: number;
  usable: boolean;
  /** This replica holds a usable API key for it (only the api-gateway reads keys: false elsewhere). */
  hasKey: boolean;
  sources: { consul: string | null; probe: string | null };
}

/** How long a recovered instance takes to ramp from SLOW_START_FLOOR to its full share. */
export const SLOW_START_MS = 20_000;
/** The share a recovered instance starts with: enough for live traffic to confirm the recovery. */
export const SLOW_START_FLOOR = 0.1;

const NO_EXCLUSIONS: ReadonlySet<string> = new Set();

/**
 * Picks one instance of a pool from the in-memory table: health, draining, circuit state,
 * concurrency caps and Retry-After cool-downs decide who may take the request, the pool's strategy
 * (from the routing policy) decides among them. Synchronous; nothing here waits on I/O.
 *
 * A pool of up to EXACT_POOL_LIMIT instances is looked at whole per request (selectMember); a
 * larger one through its PoolIndex, built once per catalog change, and PoolSampler's draws, so a
 * pick costs about the same in a pool of 100 as in one of 10,000.
 */
@Injectable()
export class InstanceBalancer implements OnModuleInit {
  private readonly state = new BalancerState();
  /** Per table.pool() array: the table makes new arrays on each catalog change, so an index never outlives its catalog. */
  private readonly indexes = new WeakMap<readonly TableInstance[], PoolIndex>();
  /** Per instance: whether it was in service (not critical, circuit closed) and since when. */
  private readonly service = new Map<string, { inService: boolean; since: number }>();

  constructor(
    private readonly table: InstanceTable,
    private readonly circuits: InstanceCircuits,
    private readonly policies: RoutingPolicyStore,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    // Instances that left the catalog leave the slow-start memory too.
    this.table.onChange(() => {
      for (const id of this.service.keys()) if (!this.table.get(id)) this.service.delete(id);
    });
    this.metrics.addCollector(() => {
      this.metrics.poolInstances.reset();
      const now = Date.now();
      for (const pool of this.table.poolNames()) {
        const counts = { healthy: 0, degraded: 0, unavailable: 0 };
        for (const instance of this.table.pool(pool)) {
          const member = this.member(instance, now);
          if (!isUsable(member)) counts.unavailable += 1;
          else if (member.status === 'warning') counts.degraded += 1;
          else counts.healthy += 1;
        }
        for (const [status, count] of Object.entries(counts)) this.metrics.poolInstances.set({ pool, status }, count);
      }
    });
  }

  strategyFor(pool: string): BalancingStrategy {
    const balancing = this.policies.policy.balancing;
    return balancing.pools[pool] ?? balancing.strategy;
  }

  select(
    pool: string,
    exclude: ReadonlySet<string> = NO_EXCLUSIONS,
    strategy = this.strategyFor(pool),
    now = Date.now(),
    random: RandomSource = Math.random,
  ): TableInstance | undefined {
    const instances = this.table.pool(pool);
    if (instances.length === 0) return undefined;
    if (instances.length > EXACT_POOL_LIMIT)
      return selectFromLargePool(this.indexOf(instances), {
        pool,
        strategy,
        state: this.state,
        random,
        exclude,
        now,
        healthVersion: this.table.healthVersion,
        unclosedCircuits: this.circuits.unclosed(),
        member: (instance) => this.member(instance, now),
      });
    const chosen = selectMember(
      pool,
      instances.map((instance) => this.member(instance, now)),
      strategy,
      this.state,
      random,
      exclude,
    );
    return chosen ? this.table.get(chosen.id) : undefined;
  }

  /** How many instances of a pool could take a request now. */
  usableCount(pool: string, now = Date.now()): number {
    let count = 0;
    for (const instance of this.table.pool(pool)) if (isUsable(this.member(instance, now))) count += 1;
    return count;
  }

  private indexOf(instances: readonly TableInstance[]): PoolIndex {
    let index = this.indexes.get(instances);
    if (!index) {
      index = new PoolIndex(instances);
      this.indexes.set(instances, index);
    }
    return index;
  }

  /** Every pool with its strategy, usable count and members (for GET /pools). */
  pools(
    now = Date.now(),
  ): { pool: string; strategy: BalancingStrategy; usable: number; instances: PoolMemberView[] }[] {
    return this.table.poolNames().map((pool) => ({
      pool,
      strategy: this.strategyFor(pool),
      usable: this.usableCount(pool, now),
      instances: this.describe(pool, now),
    }));
  }

  describe(pool: string, now = Date.now()): PoolMemberView[] {
    return this.table.pool(pool).map((instance) => {
      const member = this.member(instance, now);
      return {
        id: instance.id,
        name: instance.name,
        provider: instance.provider,
        baseUrlHost: hostOf(instance.baseUrl),
        weight: member.weight,
        priority: member.priority,
        draining: member.draining,
        status: member.status,
        healthScore: member.healthScore,
        latencyEwmaMs: Math.round(member.latencyEwmaMs * 10) / 10,
        inFlight: member.inFlight,
        maxConcurrency: member.maxConcurrency,
        circuit: this.circuits.state(instance.id, now),
        coolingForMs: Math.max(0, instance.observed.coolingUntil - now),
        usable: isUsable(member),
        hasKey: instance.target !== undefined,
        ramp: Math.round((member.ramp ?? 1) * 100) / 100,
        sources: { consul: instance.consul?.status ?? null, probe: instance.probe?.status ?? null },
      };
    });
  }

  private member(instance: TableInstance, now: number): PoolMember {
    const status = this.table.statusOf(instance);
    const circuit = this.circuits.state(instance.id, now);
    return {
      id: instance.id,
      weight: instance.weight,
      priority: instance.priority,
      draining: this.table.isDraining(instance),
      status,
      healthScore: this.table.scoreOf(instance),
      latencyEwmaMs: this.table.latencyOf(instance),
      inFlight: instance.observed.inFlight,
      maxConcurrency: instance.maxConcurrency,
      circuitAllows: instance.observed.coolingUntil <= now && this.circuits.allows(instance.id, now),
      trialDue: circuit === 'half_open',
      withinRate: !instance.rateLimitRpm || requestsInLastMinute(instance.observed.sent, now) < instance.rateLimitRpm,
      ramp: this.rampOf(instance.id, status !== 'critical' && circuit === 'closed', now),
    };
  }

  /**
   * Slow start: an instance back in service takes a share that grows from SLOW_START_FLOOR to
   * all of it over SLOW_START_MS, so it proves itself on a little traffic before taking its part.
   * Instances in service when first seen (at start-up) take their full share at once.
   */
  private rampOf(instanceId: string, inService: boolean, now: number): number {
    const known = this.service.get(instanceId);
    if (!known) {
      this.service.set(instanceId, { inService, since: inService ? Number.NEGATIVE_INFINITY : now });
      return 1;
    }
    if (known.inService !== inService) {
      known.inService = inService;
      known.since = now;
    }
    if (!inService) return 1;
    const elapsed = now - known.since;
    return elapsed >= SLOW_START_MS ? 1 : SLOW_START_FLOOR + (1 - SLOW_START_FLOOR) * (elapsed / SLOW_START_MS);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
