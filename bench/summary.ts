// From the race's runs to the figures of the report: medians with their spread per target, and
// the goals judged on them. Pure: no I/O.
import type { ProcessMemory } from './machine.js';
import type { StreamResult } from './stream-client.js';
import type { TargetKey } from './targets.js';
import type { AttackResult } from './vegeta.js';

/** One target measured once: the three phases, its memory and the machine around it. */
export interface RunRecord {
  round: number;
  target: TargetKey;
  loadBefore: number;
  loadAfter: number;
  waitedSeconds: number;
  /** False when the machine was not quiet before, or the load rose high during the run. */
  comparable: boolean;
  /** Why the run is not comparable. */
  note?: string;
  open: AttackResult;
  closed: AttackResult;
  /**
   * CPU time per answer of the closed loop, µs: the target's processes, and the stores (Postgres,
   * Redis, Consul). Steadier than throughput on a noisy machine: it does not count waiting.
   */
  closedCpu: { targetUs: number; storesUs: number };
  stream: StreamResult;
  memory: ProcessMemory;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface TargetSummary {
  target: TargetKey;
  /** The runs the figures come from: the comparable ones, or all when none is. */
  runs: number;
  allRuns: number;
  comparable: boolean;
  openThroughput: Spread;
  openFailures: Spread;
  openSent: Spread;
  openP50: Spread;
  openP90: Spread;
  openP99: Spread;
  openMax: Spread;
  closedThroughput: Spread;
  closedFailures: Spread;
  closedP50: Spread;
  closedP99: Spread;
  closedCpuUs: Spread;
  closedStoresCpuUs: Spread;
  streamSent: Spread;
  streamFailures: Spread;
  ttfbP50: Spread;
  ttfbP99: Spread;
  streamTotalP50: Spread;
  rssMiB: Spread;
  peakMiB: Spread;
}

/** The median (the mean of the middle two for an even count), smallest and largest value. */
export function spread(values: number[]): Spread {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** A latency figure only means something when there were successful answers to measure. */
const ifAny = (count: number, value: number) => (count > 0 ? value : Number.NaN);

export function summarize(target: TargetKey, records: RunRecord[]): TargetSummary | undefined {
  const all = records.filter((record) => record.target === target);
  if (all.length === 0) return undefined;
  const comparable = all.filter((record) => record.comparable);
  const runs = comparable.length > 0 ? comparable : all;
  const of = (pick: (record: RunRecord) => number) => spread(runs.map(pick));
  return {
    target,
    runs: runs.length,
    allRuns: all.length,
    comparable: comparable.length > 0,
    openThroughput: of((run) => run.open.throughput),
    openFailures: of((run) => run.open.failures),
    openSent: of((run) => run.open.requests),
    openP50: of((run) => run.open.latencyMs.p50),
    openP90: of((run) => run.open.latencyMs.p90),
    openP99: of((run) => run.open.latencyMs.p99),
    openMax: of((run) => run.open.latencyMs.max),
    closedThroughput: of((run) => run.closed.throughput),
    closedFailures: of((run) => run.closed.failures),
    closedP50: of((run) => run.closed.latencyMs.p50),
    closedP99: of((run) => run.closed.latencyMs.p99),
    closedCpuUs: of((run) => run.closedCpu.targetUs),
    closedStoresCpuUs: of((run) => run.closedCpu.storesUs),
    streamSent: of((run) => run.stream.sent),
    streamFailures: of((run) => run.stream.failed),
    ttfbP50: of((run) => ifAny(run.stream.ok, run.stream.ttfbMs.p50)),
    ttfbP99: of((run) => ifAny(run.stream.ok, run.stream.ttfbMs.p99)),
    streamTotalP50: of((run) => ifAny(run.stream.ok, run.stream.totalMs.p50)),
    rssMiB: of((run) => run.memory.rssMiB),
    peakMiB: of((run) => run.memory.peakMiB),
  };
}

/** The goals of the issue that asked for the race, for Switchboard with one worker. */
export const GOALS = {
  throughputShareOfBareProxy: 0.9,
  addedP99TimesBareProxy: 1.5,
  addedP50Ms: 0.5,
  rssTimesBareProxy: 1.5,
  ttfbOverheadP50Ms: 1,
  throughputTimesPortkey: 3,
};

export interface GoalVerdict {
  goal: string;
  /** undefined: not judged (a target is missing). */
  met: boolean | undefined;
  figure: string;
}

const ms = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(2)} ms`;
const rps = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
/** A median of counts (two runs' median can fall between integers). */
const count = (value: number) => Math.round(value).toLocaleString('en-US');
const mib = (value: number) => `${value.toFixed(0)} MiB`;

export function judgeGoals(
  summaries: Map<TargetKey, TargetSummary>,
  rate: number,
  missing: (target: TargetKey) => string,
): GoalVerdict[] {
  const direct = summaries.get('direct');
  const bare = summaries.get('bare-proxy');
  const ours = summaries.get('switchboard-1');
  const portkey = summaries.get('portkey');
  const notJudged = (goal: string, ...needed: TargetKey[]): GoalVerdict => ({
    goal,
    met: undefined,
    figure: `not judged: ${needed
      .filter((key) => !summaries.has(key))
      .map(missing)
      .join('; ')}`,
  });
  const verdicts: GoalVerdict[] = [];

  const throughputGoal = `max throughput ≥ ${GOALS.throughputShareOfBareProxy * 100} % of the bare proxy's`;
  if (ours && bare) {
    const share = ours.closedThroughput.median / bare.closedThroughput.median;
    verdicts.push({
      goal: throughputGoal,
      met: share >= GOALS.throughputShareOfBareProxy && ours.closedFailures.median === 0,
      figure: `${(share * 100).toFixed(0)} %: ${rps(ours.closedThroughput.median)} vs ${rps(bare.closedThroughput.median)}, ${ours.closedFailures.median} failures`,
    });
  } else verdicts.push(notJudged(throughputGoal, 'switchboard-1', 'bare-proxy'));

  const p99Goal = `added p99 at ${rate}/s ≤ ${GOALS.addedP99TimesBareProxy}× the bare proxy's added p99`;
  const p50Goal = `added p50 at ${rate}/s ≤ ${GOALS.addedP50Ms} ms`;
  if (ours && bare && direct) {
    const addedP99 = ours.openP99.median - direct.openP99.median;
    const bareAddedP99 = bare.openP99.median - direct.openP99.median;
    const limit = GOALS.addedP99TimesBareProxy * Math.max(bareAddedP99, 0);
    verdicts.push({
      goal: p99Goal,
      met: addedP99 <= limit && ours.openFailures.median === 0,
      figure: `${ms(addedP99)} vs the bare proxy's ${ms(bareAddedP99)} (limit ${ms(limit)})`,
    });
    const addedP50 = ours.openP50.median - direct.openP50.median;
    verdicts.push({ goal: p50Goal, met: addedP50 <= GOALS.addedP50Ms, figure: ms(addedP50) });
  } else {
    verdicts.push(notJudged(p99Goal, 'switchboard-1', 'bare-proxy', 'direct'));
    verdicts.push(notJudged(p50Goal, 'switchboard-1', 'direct'));
  }

  const rssGoal = `peak RSS ≤ ${GOALS.rssTimesBareProxy}× the bare proxy's`;
  if (ours && bare) {
    const times = ours.peakMiB.median / bare.peakMiB.median;
    verdicts.push({
      goal: rssGoal,
      met: times <= GOALS.rssTimesBareProxy,
      figure: `${times.toFixed(2)}×: ${mib(ours.peakMiB.median)} vs ${mib(bare.peakMiB.median)}`,
    });
  } else verdicts.push(notJudged(rssGoal, 'switchboard-1', 'bare-proxy'));

  const ttfbGoal = `streaming time-to-first-byte overhead p50 ≤ ${GOALS.ttfbOverheadP50Ms} ms`;
  if (ours && direct) {
    const overhead = ours.ttfbP50.median - direct.ttfbP50.median;
    verdicts.push({
      goal: ttfbGoal,
      met: overhead <= GOALS.ttfbOverheadP50Ms && ours.streamFailures.median === 0,
      figure: `${ms(overhead)} (${ours.ttfbP50.median.toFixed(2)} vs direct ${direct.ttfbP50.median.toFixed(2)} ms), ${ours.streamFailures.median} failed streams`,
    });
  } else verdicts.push(notJudged(ttfbGoal, 'switchboard-1', 'direct'));

  const portkeyGoal = `max throughput ≥ ${GOALS.throughputTimesPortkey}× Portkey's`;
  if (ours && portkey) {
    const times = ours.closedThroughput.median / portkey.closedThroughput.median;
    verdicts.push({
      goal: portkeyGoal,
      met: times >= GOALS.throughputTimesPortkey,
      figure: `${times.toFixed(2)}×: ${rps(ours.closedThroughput.median)} vs ${rps(portkey.closedThroughput.median)}`,
    });
    verdicts.push({
      goal: `failures at ${rate}/s, beside Portkey's`,
      met: ours.openFailures.median <= portkey.openFailures.median,
      figure: `ours ${count(ours.openFailures.median)} of ${count(ours.openSent.median)}, Portkey's ${count(portkey.openFailures.median)} of ${count(portkey.openSent.median)} (median per run)`,
    });
  } else {
    verdicts.push(notJudged(portkeyGoal, 'switchboard-1', 'portkey'));
    verdicts.push(notJudged(`failures at ${rate}/s, beside Portkey's`, 'switchboard-1', 'portkey'));
  }
  return verdicts;
}
