// The non-stream phases, driven by vegeta (github.com/tsenart/vegeta, built by scripts/bench.sh):
// `vegeta attack` writes its results to a file, `vegeta report -type=json` summarises them.
import { join } from 'node:path';
import { BenchChild } from './bench-child.js';

export interface HttpTarget {
  /** The full chat completions URL. */
  url: string;
  headers: Record<string, string>;
}

export interface AttackPlan {
  /** Open loop at `rate` requests/s, or closed loop with `workers` workers (rate 0). */
  mode: 'open' | 'closed';
  rate: number;
  workers: number;
  durationSeconds: number;
  /** A file holding the request body. */
  bodyFile: string;
}

/** What one attack saw (latencies in milliseconds, of every answer, failures included). */
export interface AttackResult {
  requests: number;
  /** Requests per second vegeta sent. */
  rate: number;
  /** Successful answers per second, from the first request to the last answer. */
  throughput: number;
  /** Share of answers with a 2xx status, 0..1. */
  success: number;
  failures: number;
  statusCodes: Record<string, number>;
  /** Distinct error texts ("500 Internal Server Error", "dial tcp ...: connection refused"). */
  errors: string[];
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

/** `vegeta report -type=json`, the fields used here (durations in nanoseconds). */
interface VegetaReport {
  latencies: { '50th': number; '90th': number; '99th': number; max: number };
  requests: number;
  rate: number;
  throughput: number;
  success: number;
  status_codes: Record<string, number>;
  errors: string[] | null;
}

/** Open loop: vegeta adds workers up to this many when answers are slow, then falls behind (visible as rate). */
const OPEN_LOOP_MAX_WORKERS = 1024;
const REQUEST_TIMEOUT = '10s';

export class Vegeta {
  constructor(
    private readonly binary: string,
    private readonly workDirectory: string,
  ) {}

  async attack(target: HttpTarget, plan: AttackPlan, signal: AbortSignal): Promise<AttackResult> {
    const resultsFile = join(this.workDirectory, 'results.bin');
    const workers =
      plan.mode === 'open'
        ? [`-rate=${plan.rate}/s`, `-workers=${plan.workers}`, `-max-workers=${OPEN_LOOP_MAX_WORKERS}`]
        : ['-rate=0', `-workers=${plan.workers}`, `-max-workers=${plan.workers}`];
    const attack = BenchChild.command('vegeta attack', this.binary, [
      'attack',
      ...workers,
      `-duration=${plan.durationSeconds}s`,
      `-timeout=${REQUEST_TIMEOUT}`,
      '-keepalive=true',
      // Bodies are read to the end but not kept.
      '-max-body=0',
      `-body=${plan.bodyFile}`,
      ...Object.entries(target.headers).flatMap(([name, value]) => ['-header', `${name}: ${value}`]),
      `-output=${resultsFile}`,
    ]);
    attack.writeStdin(`POST ${target.url}\n`);
    await attack.finished(signal);
    const report = BenchChild.command('vegeta report', this.binary, ['report', '-type=json', resultsFile]);
    const parsed = JSON.parse(await report.finished(signal)) as VegetaReport;
    const ms = (nanoseconds: number) => nanoseconds / 1e6;
    return {
      requests: parsed.requests,
      rate: parsed.rate,
      throughput: parsed.throughput,
      success: parsed.success,
      failures: Math.round(parsed.requests * (1 - parsed.success)),
      statusCodes: parsed.status_codes,
      errors: parsed.errors ?? [],
      latencyMs: {
        p50: ms(parsed.latencies['50th']),
        p90: ms(parsed.latencies['90th']),
        p99: ms(parsed.latencies['99th']),
        max: ms(parsed.latencies.max),
      },
    };
  }
}
