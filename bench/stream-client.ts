// The streaming phase: the Go TTFB client (bench/go/ttfb, built by scripts/bench.sh) opens chat
// completion streams at a fixed rate and measures the time to the first complete `data:` event.
import { BenchChild } from './bench-child.js';
import type { HttpTarget } from './vegeta.js';

export interface StreamPlan {
  rate: number;
  durationSeconds: number;
  warmupSeconds: number;
  bodyFile: string;
}

interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What the TTFB client prints (milliseconds; successful streams only). */
export interface StreamResult {
  sent: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  errorSamples: string[];
  elapsedSeconds: number;
  ttfbMs: Percentiles;
  totalMs: Percentiles;
  sendLagMs: Percentiles;
}

export async function runStreams(
  binary: string,
  target: HttpTarget,
  plan: StreamPlan,
  signal: AbortSignal,
): Promise<StreamResult> {
  const client = BenchChild.command('ttfb client', binary, [
    `-url=${target.url}`,
    `-body=${plan.bodyFile}`,
    `-rate=${plan.rate}`,
    `-duration=${plan.durationSeconds}s`,
    `-warmup=${plan.warmupSeconds}s`,
    ...Object.entries(target.headers).flatMap(([name, value]) => ['-header', `${name}: ${value}`]),
  ]);
  return JSON.parse(await client.finished(signal)) as StreamResult;
}
