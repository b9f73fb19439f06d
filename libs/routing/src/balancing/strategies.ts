export const STRATEGIES = [
  'health_based',
  'health_weighted',
  'round_robin',
  'random',
  'least_connections',
  'latency',
  'first',
] as const;
export type BalancingStrategy = (typeof STRATEGIES)[number];

/** What the balancer knows of one instance of a pool, all from memory. */
export interface PoolMember {
  id: string;
  weight: number;
  /** Lower is preferred: the balancer only looks past the best priority when none of it is usable. */
  priority: number;
  draining: boolean;
  /** From the health table: Consul check status and the probe-based score in [0, 1]. */
  status: 'passing' | 'warning' | 'critical';
  healthScore: number;
  latencyEwmaMs: number;
  inFlight: number;
  maxConcurrency: number | null;
  /** The circuit breaker lets a request through now. */
  circuitAllows: boolean;
  /** Below the instance's requests-per-minute limit (absent: no limit). */
  withinRate?: boolean;
  /** The circuit is half-open: the next request to this member is the trial that can close it. */
  trialDue?: boolean;
  /** Slow start after a recovery, in (0, 1]: the share of its normal traffic the member takes now. */
  ramp?: number;
}

export type RandomSource = () => number;

/**
 * Health scores this close to the best count as healthy. Wide enough that a member whose probe
 * window still remembers a short outage (17 of 20 probes good: 0.83 against 0.97) shares the load
 * again, narrow enough that one failing a good part of its probes does not.
 */
export const HEALTH_TIE_TOLERANCE = 0.2;
/** Among the healthy, latency factors this close to the best are equals (probe jitter is no win). */
export const LATENCY_TIE_TOLERANCE = 0.05;
/** A member this many times slower than its pool's median, and by this much, is a latency outlier. */
export const LATENCY_OUTLIER_FACTOR = 3;
export const LATENCY_OUTLIER_MIN_EXCESS_MS = 500;

/** Per-pool memory of stateful strategies (the round-robin cursor). */
export class BalancerState {
  private readonly cursors = new Map<string, number>();

  next(pool: string, size: number): number {
    const cursor = this.cursors.get(pool) ?? 0;
    this.cursors.set(pool, (cursor + 1) % Number.MAX_SAFE_INTEGER);
    return cursor % size;
  }

  /** The cursor as it stands (for strategies that skip members and then move it themselves). */
  peek(pool: string): number {
    return this.cursors.get(pool) ?? 0;
  }

  moveTo(pool: string, cursor: number): void {
    this.cursors.set(pool, cursor % Number.MAX_SAFE_INTEGER);
  }
}

/** Whether a member may take a new request: not draining, not critical, circuit closed, below its caps. */
export function isUsable(member: PoolMember): boolean {
  return (
    !member.draining &&
    member.status !== 'critical' &&
    member.circuitAllows &&
    member.weight > 0 &&
    member.withinRate !== false &&
    (member.maxConcurrency === null || member.inFlight < member.maxConcurrency)
  );
}

/** Members that may take a new request (see isUsable). */
export function usable(members: readonly PoolMember[]): PoolMember[] {
  return members.filter(isUsable);
}

/**
 * Picks one instance of a pool: the usable members of the best priority tier, then the strategy.
 * Returns undefined when no member is usable. Pure and synchronous: the hot path never waits here.
 */
export function selectMember(
  pool: string,
  members: readonly PoolMember[],
  strategy: BalancingStrategy,
  state: BalancerState,
  random: RandomSource = Math.random,
  exclude: ReadonlySet<string> = new Set(),
): PoolMember | undefined {
  const candidates = usable(members).filter((member) => !exclude.has(member.id));
  if (candidates.length === 0) return undefined;
  let bestPriority = Number.POSITIVE_INFINITY;
  for (const member of candidates) bestPriority = Math.min(bestPriority, member.priority);
  const tier = demoteLatencyOutliers(
    candidates.filter((member) => member.priority === bestPriority).sort((a, b) => a.id.localeCompare(b.id)),
  );
  if (tier.length === 1) return tier[0];
  // A half-open circuit closes only through a trial request. Waiting until the others have no room
  // would keep a recovered instance out of rotation for as long as the rest stays healthy.
  const trial = tier.find((member) => member.trialDue);
  if (trial) return trial;
  switch (strategy) {
    case 'first':
      return tier[0];
    case 'round_robin':
      return tier[state.next(pool, tier.length)];
    case 'random':
      return tier[Math.floor(random() * tier.length)];
    case 'health_based': {
      // In turn, unless one is ramping up after a recovery: then by its ramp.
      const top = healthiest(tier);
      if (top.every((member) => rampOf(member) === 1)) return top[state.next(`${pool}#health`, top.length)];
      return weightedPick(top, rampOf, random);
    }
    case 'health_weighted':
      return weightedPick(tier, (member) => member.weight * healthShare(member), random);
    case 'least_connections': {
      const load = (member: PoolMember) => member.inFlight / member.weight;
      let least = Number.POSITIVE_INFINITY;
      for (const member of tier) least = Math.min(least, load(member));
      const lightest = tier.filter((member) => load(member) === least);
      return lightest[state.next(`${pool}#least`, lightest.length)];
    }
    case 'latency': {
      // Power of two choices: two members drawn by weight, the faster (lower EWMA) one wins.
      const first = weightedPick(tier, (member) => member.weight, random)!;
      const second = weightedPick(
        tier.filter((member) => member !== first),
        (member) => member.weight,
        random,
      )!;
      return second.latencyEwmaMs < first.latencyEwmaMs ? second : first;
    }
  }
}

/**
 * Passive outlier detection on latency: in a tier of three or more, a passing member whose
 * latency (the gateway's own EWMA, else the prober's) is LATENCY_OUTLIER_FACTOR times the median and
 * LATENCY_OUTLIER_MIN_EXCESS_MS above it counts as warning, so the health strategies send it
 * traffic only when nothing better is there. It stays usable: the traffic it still gets (and its
 * probes) show when it is fast again.
 */
export function demoteLatencyOutliers(tier: PoolMember[]): PoolMember[] {
  const median = medianLatency(tier);
  if (median === undefined) return tier;
  return tier.map((member) => asSeenBesideMedian(member, median));
}

/** The member as the latency-outlier check sees it: a passing outlier counts as warning. */
export function asSeenBesideMedian(member: PoolMember, median: number | undefined): PoolMember {
  return median !== undefined && isLatencyOutlier(member, median) ? { ...member, status: 'warning' } : member;
}

/** The median of the members' known latencies; undefined when fewer than three are known (no crowd to compare). */
export function medianLatency(members: readonly PoolMember[]): number | undefined {
  const latencies = members.map((member) => member.latencyEwmaMs).filter((latency) => latency > 0);
  if (latencies.length < 3) return undefined;
  latencies.sort((a, b) => a - b);
  return latencies[Math.floor(latencies.length / 2)]!;
}

export function isLatencyOutlier(member: PoolMember, median: number): boolean {
  return (
    member.status === 'passing' &&
    member.latencyEwmaMs > LATENCY_OUTLIER_FACTOR * median &&
    member.latencyEwmaMs - median > LATENCY_OUTLIER_MIN_EXCESS_MS
  );
}

/**
 * health_based's choice before taking turns: passing beats warning; then the healthy (score near
 * the best), then the fastest of those. Close calls are ties that share the load in turn: jitter
 * must not send everything to one.
 */
export function healthiest(tier: readonly PoolMember[]): PoolMember[] {
  const rank = (member: PoolMember) => (member.status === 'passing' ? 1 : 0) + member.healthScore;
  let best = Number.NEGATIVE_INFINITY;
  for (const member of tier) best = Math.max(best, rank(member));
  const healthy = tier.filter((member) => rank(member) >= best - HEALTH_TIE_TOLERANCE);
  let fastest = Number.NEGATIVE_INFINITY;
  for (const member of healthy) fastest = Math.max(fastest, latencyFactor(member));
  return healthy.filter((member) => latencyFactor(member) >= fastest - LATENCY_TIE_TOLERANCE);
}

/** health_weighted's share of a member beside its weight, in (0, 1]: ramp, health score, a quarter when warning. */
export function healthShare(member: PoolMember): number {
  return rampOf(member) * Math.max(member.healthScore, 0.01) * (member.status === 'warning' ? 0.25 : 1);
}

/** 1 at 0 ms, 0.5 at 2 s: the latency part of the health score, on its own. */
function latencyFactor(member: PoolMember): number {
  return 1 / (1 + Math.max(0, member.latencyEwmaMs) / 2000);
}

export function rampOf(member: PoolMember): number {
  return member.ramp ?? 1;
}

export function weightedPick(
  members: readonly PoolMember[],
  weightOf: (member: PoolMember) => number,
  random: RandomSource,
): PoolMember | undefined {
  const weights = members.map(weightOf);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total <= 0) return members[0];
  let point = random() * total;
  for (let index = 0; index < members.length; index += 1) {
    point -= weights[index]!;
    if (point < 0) return members[index];
  }
  return members.at(-1);
}
