import type { TableInstance } from '../table/instance-table.js';
import type { RandomSource } from './strategies.js';

/** One priority tier of a pool: the range [start, end) of PoolIndex.ordered. */
export interface PoolTier {
  priority: number;
  start: number;
  end: number;
}

/**
 * What health_based and the latency-outlier check need to know of a whole tier, worked out from
 * every member at `computedAt` and reused until it is stale (see PoolSampler).
 */
export interface TierSummary {
  computedAt: number;
  healthVersion: number;
  /** Median of the usable members' known latencies; undefined when fewer than three are known. */
  medianLatencyMs: number | undefined;
  /** health_based's healthiest usable members (before taking turns), in id order. */
  healthiest: TableInstance[];
  /** One of the healthiest was ramping up after a recovery: pick by ramp rather than in turn. */
  ramping: boolean;
}

/**
 * A pool's instances arranged once per catalog change rather than per request: ordered by
 * priority then id, cut into priority tiers, each instance's position, and the running total of
 * catalog weights in each tier (for drawing by weight in O(log n)). Built from one table.pool()
 * array; the table hands out a new array whenever the catalog changes, so an index is never used
 * past its catalog.
 */
export class PoolIndex {
  readonly ordered: readonly TableInstance[];
  readonly tiers: readonly PoolTier[];
  private readonly positions = new Map<string, number>();
  /** cumulativeWeight[i]: the weights of ordered[tier.start .. i], i included, within i's tier. */
  private readonly cumulativeWeight: Float64Array;
  readonly summaries: (TierSummary | undefined)[];

  constructor(readonly source: readonly TableInstance[]) {
    this.ordered = [...source].sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
    const tiers: PoolTier[] = [];
    this.cumulativeWeight = new Float64Array(this.ordered.length);
    this.ordered.forEach((instance, position) => {
      this.positions.set(instance.id, position);
      const current = tiers.at(-1);
      const sameTier = current !== undefined && current.priority === instance.priority;
      if (sameTier) current.end = position + 1;
      else tiers.push({ priority: instance.priority, start: position, end: position + 1 });
      const before = sameTier ? this.cumulativeWeight[position - 1]! : 0;
      this.cumulativeWeight[position] = before + Math.max(0, instance.weight);
    });
    this.tiers = tiers;
    this.summaries = tiers.map(() => undefined);
  }

  get size(): number {
    return this.ordered.length;
  }

  positionOf(id: string): number | undefined {
    return this.positions.get(id);
  }

  /** Any member of the tier, all equally likely. */
  drawUniform(tier: PoolTier, random: RandomSource): TableInstance {
    return this.ordered[tier.start + Math.floor(random() * (tier.end - tier.start))]!;
  }

  /** A member of the tier drawn in proportion to its catalog weight; undefined when every weight is 0. */
  drawByWeight(tier: PoolTier, random: RandomSource): TableInstance | undefined {
    const total = this.cumulativeWeight[tier.end - 1]!;
    if (total <= 0) return undefined;
    const point = random() * total;
    // The first position whose running total passes the point.
    let low = tier.start;
    let high = tier.end - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulativeWeight[middle]! > point) high = middle;
      else low = middle + 1;
    }
    return this.ordered[low]!;
  }
}
