import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeGoals, type RunRecord, spread, summarize, type TargetSummary } from './summary.js';
import type { TargetKey } from './targets.js';

function run(
  target: TargetKey,
  figures: { p50: number; p99: number; rps: number; ttfb: number; peak: number },
  comparable = true,
): RunRecord {
  const latency = { p50: figures.p50, p90: figures.p99, p99: figures.p99, max: figures.p99 };
  const attack = { requests: 10_000, rate: 1000, success: 1, failures: 0, statusCodes: { '200': 10_000 }, errors: [] };
  const percentiles = { count: 2000, p50: figures.ttfb, p90: figures.ttfb, p99: figures.ttfb, max: figures.ttfb };
  return {
    round: 1,
    target,
    loadBefore: 0.5,
    loadAfter: 1.5,
    waitedSeconds: 0,
    comparable,
    open: { ...attack, throughput: 1000, latencyMs: latency },
    closed: { ...attack, throughput: figures.rps, latencyMs: latency },
    stream: {
      sent: 2000,
      ok: 2000,
      failed: 0,
      errors: {},
      errorSamples: [],
      elapsedSeconds: 10,
      ttfbMs: percentiles,
      totalMs: percentiles,
      sendLagMs: percentiles,
    },
    closedCpu: { targetUs: 400, storesUs: 0 },
    memory: { rssMiB: figures.peak, peakMiB: figures.peak, processes: 1 },
  };
}

describe('spread', () => {
  it('gives the median, the middle two averaged for an even count, with the smallest and largest', () => {
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
    assert.deepEqual(spread([4, 1, 2, 3]), { median: 2.5, min: 1, max: 4 });
    assert.ok(Number.isNaN(spread([Number.NaN]).median));
  });
});

describe('summarize', () => {
  it('takes the comparable runs only, and all runs flagged when none is comparable', () => {
    const runs = [
      run('bare-proxy', { p50: 1, p99: 5, rps: 8000, ttfb: 0.6, peak: 280 }),
      run('bare-proxy', { p50: 9, p99: 90, rps: 100, ttfb: 9, peak: 280 }, false),
      run('portkey', { p50: 2, p99: 60, rps: 1700, ttfb: 1, peak: 360 }, false),
    ];
    const bare = summarize('bare-proxy', runs)!;
    assert.equal(bare.runs, 1);
    assert.equal(bare.comparable, true);
    assert.equal(bare.closedThroughput.median, 8000);
    const portkey = summarize('portkey', runs)!;
    assert.equal(portkey.comparable, false);
    assert.equal(portkey.runs, 1);
    assert.equal(summarize('direct', runs), undefined);
  });
});

describe('judgeGoals', () => {
  const summaries = (...runs: RunRecord[]) =>
    new Map(runs.map((record) => [record.target, summarize(record.target, [record])!] as [TargetKey, TargetSummary]));

  it('judges Switchboard against the bare proxy and direct of the same run', () => {
    const verdicts = judgeGoals(
      summaries(
        run('direct', { p50: 0.2, p99: 1, rps: 28_000, ttfb: 0.25, peak: 15 }),
        run('bare-proxy', { p50: 0.6, p99: 11, rps: 8000, ttfb: 0.6, peak: 280 }),
        run('switchboard-1', { p50: 0.6, p99: 12, rps: 7600, ttfb: 1.5, peak: 300 }),
        run('portkey', { p50: 2, p99: 60, rps: 2000, ttfb: 1, peak: 360 }),
      ),
      1000,
      () => 'missing',
    );
    const met = Object.fromEntries(verdicts.map((verdict) => [verdict.goal, verdict.met]));
    assert.equal(met["max throughput ≥ 90 % of the bare proxy's"], true);
    assert.equal(met["added p99 at 1000/s ≤ 1.5× the bare proxy's added p99"], true);
    assert.equal(met['added p50 at 1000/s ≤ 0.5 ms'], true);
    assert.equal(met['streaming time-to-first-byte overhead p50 ≤ 1 ms'], false);
    assert.equal(met["max throughput ≥ 3× Portkey's"], true);
  });

  it('leaves the Portkey goals unjudged, with the reason, when Portkey did not run', () => {
    const verdicts = judgeGoals(
      summaries(run('switchboard-1', { p50: 0.6, p99: 12, rps: 7600, ttfb: 1.5, peak: 300 })),
      1000,
      (key) => `${key}: npm install failed`,
    );
    const portkey = verdicts.find((verdict) => verdict.goal === "max throughput ≥ 3× Portkey's")!;
    assert.equal(portkey.met, undefined);
    assert.match(portkey.figure, /portkey: npm install failed/);
  });
});
