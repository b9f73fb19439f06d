import type { TableInstance } from '../table/instance-table.js';
import type { PoolIndex, PoolTier, TierSummary } from './pool-index.js';
import {
  type BalancerState,
  type BalancingStrategy,
  asSeenBesideMedian,
  healthShare,
  healthiest,
  isUsable,
  medianLatency,
  type PoolMember,
  type RandomSource,
  rampOf,
  selectMember,
  weightedPick,
} from './strategies.js';

/** Pools up to this size are balanced by looking at every member per request (selectMember, exactly). */
export const EXACT_POOL_LIMIT = 64;
/** Draws before a sampling strategy gives up and looks at the whole tier (most members unusable). */
const MAX_DRAWS = 16;
/** least_connections on a large pool: the least loaded of this many usable members drawn at random. */
export const LEAST_CONNECTIONS_SAMPLE = 8;
/** A tier summary is worked out again after this long, health changes or not (latencies drift). */
export const SUMMARY_MAX_AGE_MS = 1_000;
/** ...and after this long when the table reported a health change since (bounds the work under probe churn). */
export const SUMMARY_MIN_AGE_MS = 100;

/** What a pick needs beside the pool's index; the balancer builds one per request. */
export interface SampleRequest {
  pool: string;
  strategy: BalancingStrategy;
  state: BalancerState;
  random: RandomSource;
  exclude: ReadonlySet<string>;
  now: number;
  /** The table's healthVersion (when it moves, tier summaries are due sooner). */
  healthVersion: number;
  /** Ids whose circuit is not closed: the only instances that can be due a half-open trial. */
  unclosedCircuits: ReadonlySet<string>;
  /** The balancer's view of one instance now: status, circuit, caps, ramp. */
  member(instance: TableInstance): PoolMember;
}

/**
 * Picks one instance of a large pool without looking at every member: the same rules as
 * selectMember (best usable priority tier, a due half-open trial first, then the strategy), but
 * members are drawn and then checked, so a request costs O(1) draws, not O(pool).
 *
 * - first, round_robin: walk from the start (or the cursor) to the first usable member.
 * - random, health_weighted, latency: rejection sampling — draw (uniformly, or by catalog weight
 *   from the index's running totals), keep the draw with the probability the strategy gives it
 *   (health_weighted: ramp × score × a quarter when warning), so the distribution is selectMember's.
 * - least_connections: the least loaded of LEAST_CONNECTIONS_SAMPLE usable members drawn at random.
 * - health_based: its healthiest set and the latency median come from a tier summary refreshed at
 *   most every SUMMARY_MIN_AGE_MS (SUMMARY_MAX_AGE_MS without health changes); each pick still
 *   checks its member is usable now, so draining, critical, open circuits, cool-downs and caps
 *   count at once.
 * When draws keep finding unusable members, the tier is scanned and selectMember decides exactly.
 */
export function selectFromLargePool(index: PoolIndex, request: SampleRequest): TableInstance | undefined {
  for (let tierNumber = 0; tierNumber < index.tiers.length; tierNumber += 1) {
    const chosen = pickInTier(index, tierNumber, request);
    if (chosen) return chosen;
  }
  return undefined;
}

/** The member when it may take this request (usable, not excluded); undefined otherwise. */
function candidate(instance: TableInstance, request: SampleRequest): PoolMember | undefined {
  if (request.exclude.has(instance.id)) return undefined;
  const member = request.member(instance);
  return isUsable(member) ? member : undefined;
}

/** A member of the tier, or undefined only when none of its members may take the request. */
function pickInTier(index: PoolIndex, tierNumber: number, request: SampleRequest): TableInstance | undefined {
  const tier = index.tiers[tierNumber]!;
  const trial = dueTrial(index, tier, request);
  if (trial) return trial;
  const { random } = request;
  switch (request.strategy) {
    case 'first':
      return walk(index, tier, 0, request)?.instance;
    case 'round_robin': {
      const cursor = request.state.peek(request.pool);
      const found = walk(index, tier, cursor, request);
      if (found) request.state.moveTo(request.pool, cursor + found.steps + 1);
      return found?.instance;
    }
    case 'random':
      return draw(() => index.drawUniform(tier, random), request) ?? scanAndSelect(index, tier, request);
    case 'health_weighted': {
      const { medianLatencyMs } = summaryOf(index, tierNumber, request);
      const chosen = draw(
        () => index.drawByWeight(tier, random),
        request,
        (member) => random() < healthShare(asSeenBesideMedian(member, medianLatencyMs)),
      );
      return chosen ?? scanAndSelect(index, tier, request);
    }
    case 'latency': {
      const first = draw(() => index.drawByWeight(tier, random), request);
      if (!first) return scanAndSelect(index, tier, request);
      let second = draw(
        () => index.drawByWeight(tier, random),
        request,
        (_, instance) => instance !== first,
      );
      if (!second) {
        const others = usableMembers(index, tier, request).filter((member) => member.id !== first.id);
        const drawn = weightedPick(others, (member) => member.weight, random);
        if (!drawn) return first;
        second = index.ordered[index.positionOf(drawn.id)!]!;
      }
      return request.member(second).latencyEwmaMs < request.member(first).latencyEwmaMs ? second : first;
    }
    case 'least_connections': {
      let lightest: { instance: TableInstance; load: number } | undefined;
      for (let drawn = 0, found = 0; drawn < MAX_DRAWS * 2 && found < LEAST_CONNECTIONS_SAMPLE; drawn += 1) {
        const instance = index.drawUniform(tier, random);
        const member = candidate(instance, request);
        if (!member) continue;
        found += 1;
        const load = member.inFlight / member.weight;
        if (!lightest || load < lightest.load) lightest = { instance, load };
      }
      return lightest?.instance ?? scanAndSelect(index, tier, request);
    }
    case 'health_based':
      return pickHealthiest(index, tierNumber, request) ?? scanAndSelect(index, tier, request);
  }
}

/** The first member of the tier, in id order, due a half-open trial (the trial closes its circuit). */
function dueTrial(index: PoolIndex, tier: PoolTier, request: SampleRequest): TableInstance | undefined {
  let earliest: number | undefined;
  for (const id of request.unclosedCircuits) {
    const position = index.positionOf(id);
    if (position === undefined || position < tier.start || position >= tier.end) continue;
    if (earliest !== undefined && position > earliest) continue;
    if (candidate(index.ordered[position]!, request)?.trialDue) earliest = position;
  }
  return earliest === undefined ? undefined : index.ordered[earliest];
}

/** From `offset` (wrapping around) to the first member that may take the request, and how far that was. */
function walk(
  index: PoolIndex,
  tier: PoolTier,
  offset: number,
  request: SampleRequest,
): { instance: TableInstance; steps: number } | undefined {
  const size = tier.end - tier.start;
  for (let steps = 0; steps < size; steps += 1) {
    const instance = index.ordered[tier.start + ((offset + steps) % size)]!;
    if (candidate(instance, request)) return { instance, steps };
  }
  return undefined;
}

/** Rejection sampling: up to MAX_DRAWS draws, the first that may take the request and is kept. */
function draw(
  next: () => TableInstance | undefined,
  request: SampleRequest,
  keep: (member: PoolMember, instance: TableInstance) => boolean = () => true,
): TableInstance | undefined {
  for (let drawn = 0; drawn < MAX_DRAWS; drawn += 1) {
    const instance = next();
    if (!instance) return undefined;
    const member = candidate(instance, request);
    if (member && keep(member, instance)) return instance;
  }
  return undefined;
}

/** health_based from the tier summary: its healthiest members in turn (or by ramp), skipping those unusable now. */
function pickHealthiest(index: PoolIndex, tierNumber: number, request: SampleRequest): TableInstance | undefined {
  const { healthiest: top, ramping } = summaryOf(index, tierNumber, request);
  if (top.length === 0) return undefined;
  if (ramping)
    return draw(
      () => top[Math.floor(request.random() * top.length)],
      request,
      (member) => request.random() < rampOf(member),
    );
  const key = `${request.pool}#health`;
  const cursor = request.state.peek(key);
  for (let steps = 0; steps < top.length; steps += 1) {
    const instance = top[(cursor + steps) % top.length]!;
    if (candidate(instance, request)) {
      request.state.moveTo(key, cursor + steps + 1);
      return instance;
    }
  }
  return undefined;
}

/** The tier's summary, worked out again from every member when it is stale. */
function summaryOf(index: PoolIndex, tierNumber: number, request: SampleRequest): TierSummary {
  const { now, healthVersion } = request;
  const known = index.summaries[tierNumber];
  if (known) {
    const age = now - known.computedAt;
    const fresh = age >= 0 && age < (known.healthVersion === healthVersion ? SUMMARY_MAX_AGE_MS : SUMMARY_MIN_AGE_MS);
    if (fresh) return known;
  }
  const tier = index.tiers[tierNumber]!;
  const members = usableMembers(index, tier, request, false);
  const median = medianLatency(members);
  const instanceOf = new Map<PoolMember, TableInstance>();
  const ranked = members.map((member) => {
    const view = asSeenBesideMedian(member, median);
    instanceOf.set(view, index.ordered[index.positionOf(member.id)!]!);
    return view;
  });
  const top = healthiest(ranked);
  const summary: TierSummary = {
    computedAt: now,
    healthVersion,
    medianLatencyMs: median,
    healthiest: top.map((member) => instanceOf.get(member)!),
    ramping: top.some((member) => rampOf(member) < 1),
  };
  index.summaries[tierNumber] = summary;
  return summary;
}

/** The tier's usable members (and, when `honourExclude`, not excluded), in id order. */
function usableMembers(index: PoolIndex, tier: PoolTier, request: SampleRequest, honourExclude = true): PoolMember[] {
  const members: PoolMember[] = [];
  for (let position = tier.start; position < tier.end; position += 1) {
    const instance = index.ordered[position]!;
    if (honourExclude && request.exclude.has(instance.id)) continue;
    const member = request.member(instance);
    if (isUsable(member)) members.push(member);
  }
  return members;
}

/** Every member of the tier looked at, and selectMember decides exactly (draws kept finding unusable members). */
function scanAndSelect(index: PoolIndex, tier: PoolTier, request: SampleRequest): TableInstance | undefined {
  const chosen = selectMember(
    request.pool,
    usableMembers(index, tier, request),
    request.strategy,
    request.state,
    request.random,
  );
  return chosen && index.ordered[index.positionOf(chosen.id)!];
}
