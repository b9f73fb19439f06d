import type { InstanceBalancer } from '../balancing/instance-balancer.js';
import type { InstanceCircuits } from '../resilience/instance-circuits.js';
import type { InstanceTable, TableInstance } from '../table/instance-table.js';

/**
 * The next instance of a pool that can take an attempt now, with its circuit permit already
 * taken, or undefined when the pool has none left. Every instance looked at is added to `tried`,
 * so a request never asks the same instance twice in one pass. An instance without a usable key is
 * passed over (and reported through onKeyless): sending would only earn a 401.
 */
export function pickInstance(
  { balancer, circuits }: { balancer: InstanceBalancer; circuits: InstanceCircuits },
  pool: string,
  tried: Set<string>,
  now: number,
  onKeyless: (instance: TableInstance) => void,
): TableInstance | undefined {
  for (;;) {
    const instance = balancer.select(pool, tried, undefined, now);
    if (!instance) return undefined;
    tried.add(instance.id);
    if (!instance.target) {
      onKeyless(instance);
      continue;
    }
    // The balancer already skips open circuits; this refuses a half-open one whose trial slots are taken.
    if (circuits.tryAcquire(instance, now)) return instance;
  }
}

/** The shortest Retry-After cool-down still running among the pools' instances; undefined when none is cooling. */
export function shortestCoolDown(table: InstanceTable, pools: readonly string[], now: number): number | undefined {
  let shortest: number | undefined;
  for (const pool of pools) {
    for (const instance of table.pool(pool)) {
      const remaining = instance.observed.coolingUntil - now;
      if (remaining > 0 && (shortest === undefined || remaining < shortest)) shortest = remaining;
    }
  }
  return shortest;
}
