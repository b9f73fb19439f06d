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
}

/** Members that may take a new request: not draining, not critical, circuit closed, below their caps. */
export function usable(members: readonly PoolMember[]): PoolMember[] {
  return members.filter(
    (member) =>
      !member.draining &&
      member.status !== 'critical' &&
      member.circuitAllows &&
      member.weight > 0 &&
      member.withinRate !== false &&
      (member.maxConcurrency === null || member.inFlight < member.maxConcurrency),
  );
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
  const bestPriority = Math.min(...candidates.map((member) => member.priority));
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
      // Passing beats warning; then the healthy (score near the best), then the fastest of those.
      // Close calls are ties that share the load in turn: jitter must not send everything to one.
      const rank = (member: PoolMember) => (member.status === 'passing' ? 1 : 0) + member.healthScore;
      const best = Math.max(...tier.map(rank));
      const healthy = tier.filter((member) => rank(member) >= best - HEALTH_TIE_TOLERANCE);
      const fastest = Math.max(...healthy.map(latencyFactor));
      const top = healthy.filter((member) => latencyFactor(member) >= fastest - LATENCY_TIE_TOLERANCE);
      // In turn, unless one is ramping up after a recovery: then by its ramp.
      if (top.every((member) => rampOf(member) === 1)) return top[state.next(`${pool}#health`, top.length)];
      return weightedPick(top, rampOf, random);
    }
    case 'health_weighted':
      return weightedPick(
        tier,
        (member) =>
          member.weight *
          rampOf(member) *
          Math.max(member.healthScore, 0.01) *
          (member.status === 'warning' ? 0.25 : 1),
        random,
      );
    case 'least_connections': {
      const load = (member: PoolMember) => member.inFlight / member.weight;
      const least = Math.min(...tier.map(load));
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
  const latencies = tier.map((member) => member.latencyEwmaMs).filter((latency) => latency > 0);
  if (latencies.length < 3) return tier;
  const sorted = [...latencies].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return tier.map((member) =>
    member.status === 'passing' &&
    member.latencyEwmaMs > LATENCY_OUTLIER_FACTOR * median &&
    member.latencyEwmaMs - median > LATENCY_OUTLIER_MIN_EXCESS_MS
      ? { ...member, status: 'warning' }
      : member,
  );
}

/** 1 at 0 ms, 0.5 at 2 s: the latency part of the health score, on its own. */
function latencyFactor(member: PoolMember): number {
  return 1 / (1 + Math.max(0, member.latencyEwmaMs) / 2000);
}

function rampOf(member: PoolMember): number {
  return member.ramp ?? 1;
}

function weightedPick(
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
