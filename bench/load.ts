// The load generator: `node dist/bench/load.js '<LoadSpec as JSON>'` prints one LoadResult as JSON.
// A process of its own, so that scheduling and timing requests never waits behind the servers it
// measures (the provider simulator shares the benchmark's process).
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import { type LoadResult, type LoadSpec, percentiles } from './load-protocol.js';
import { exitWhenParentGoes } from './node-child.js';
import { describeError } from '@switchboard/kernel';

const OVERHEAD_HEADER = 'x-switchboard-overhead-ms';
const ERROR_SAMPLES = 5;
/** A request that takes longer than this is counted as an error instead of stalling the run. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A growable list of numbers in one flat buffer outside the V8 heap: the generator's own GC pauses
 * land in every target's tail latency, so what it keeps for the whole run stays out of the way of
 * the collector (see also LOAD_GENERATOR_FLAGS).
 */
class Samples {
  private data = new Float64Array(16_384);
  private length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get count(): number {
    return this.length;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** What one phase saw; warm-up phases fill one too and throw it away. */
class Recorder {
  readonly latencies = new Samples();
  readonly overheads = new Samples();
  readonly sendLags = new Samples();
  readonly errorKinds = new Map<string, number>();
  readonly errorSamples: string[] = [];
  sent = 0;
  ok = 0;
  errors = 0;

  error(kind: string, detail: string): void {
    this.errors += 1;
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
    if (this.errorSamples.length < ERROR_SAMPLES) this.errorSamples.push(`${kind}: ${detail.slice(0, 300)}`);
  }
}

class LoadGenerator {
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;

  constructor(private readonly spec: LoadSpec) {
    this.pool = new Pool(spec.origin, {
      connections: spec.concurrency,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    this.headers = { authorization: `Bearer ${spec.apiKey}`, 'content-type': 'application/json' };
  }

  async run(): Promise<LoadResult> {
    const phase =
      this.spec.mode === 'fixed'
        ? (seconds: number, recorder: Recorder) => this.fixedRate(seconds, recorder)
        : (seconds: number, recorder: Recorder) => this.closedLoop(seconds, recorder);
    if (this.spec.warmupSeconds > 0) await phase(this.spec.warmupSeconds, new Recorder());
    const recorder = new Recorder();
    const started = performance.now();
    await phase(this.spec.durationSeconds, recorder);
    const elapsedSeconds = (performance.now() - started) / 1000;
    await this.pool.close();
    return {
      mode: this.spec.mode,
      elapsedSeconds,
      sent: recorder.sent,
      ok: recorder.ok,
      errors: recorder.errors,
      errorKinds: Object.fromEntries(recorder.errorKinds),
      errorSamples: recorder.errorSamples,
      rps: recorder.ok / elapsedSeconds,
      latencyMs: percentiles(recorder.latencies.values()),
      ...(recorder.overheads.count > 0 ? { overheadMs: percentiles(recorder.overheads.values()) } : {}),
      ...(this.spec.mode === 'fixed' ? { sendLagMs: percentiles(recorder.sendLags.values()) } : {}),
    };
  }

  /**
   * Open loop: request i is due at start + i / rate, sent whether or not earlier ones have come
   * back, so a slow server meets a growing queue instead of a politely waiting client. Timers fire
   * about once a millisecond; each tick sends every request that has fallen due (a busy-wait would
   * be more regular but would take one of the machine's two cores away from the servers).
   */
  private async fixedRate(seconds: number, recorder: Recorder): Promise<void> {
    const total = Math.round(this.spec.rate * seconds);
    const intervalMs = 1000 / this.spec.rate;
    // A count rather than the requests' promises, which would be kept alive until the end (see Samples).
    let outstanding = 0;
    let allAnswered = () => {};
    const answered = () => {
      outstanding -= 1;
      if (outstanding === 0 && recorder.sent === total) allAnswered();
    };
    const start = performance.now();
    while (recorder.sent < total) {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      while (recorder.sent < due) {
        recorder.sendLags.push(now - (start + recorder.sent * intervalMs));
        outstanding += 1;
        void this.send(recorder).then(answered);
      }
      await delay(1);
    }
    if (outstanding > 0) await new Promise<void>((resolve) => (allAnswered = resolve));
  }

  /** Closed loop: `concurrency` workers, each sending its next request as soon as the last is answered. */
  private async closedLoop(seconds: number, recorder: Recorder): Promise<void> {
    const deadline = performance.now() + seconds * 1000;
    const worker = async () => {
      while (performance.now() < deadline) await this.send(recorder);
    };
    await Promise.all(Array.from({ length: this.spec.concurrency }, worker));
  }

  /** One request, its whole answer read; never rejects (failures are recorded). */
  private async send(recorder: Recorder): Promise<void> {
    recorder.sent += 1;
    const started = performance.now();
    try {
      const { statusCode, headers, body } = await this.pool.request({
        origin: this.spec.origin,
        path: this.spec.path,
        method: 'POST',
        headers: this.headers,
        body: this.spec.body,
      });
      const text = await body.text();
      const latency = performance.now() - started;
      if (statusCode < 200 || statusCode >= 300) return recorder.error(`HTTP ${statusCode}`, text);
      recorder.ok += 1;
      recorder.latencies.push(latency);
      const overhead = headers[OVERHEAD_HEADER];
      if (typeof overhead === 'string') recorder.overheads.push(Number(overhead));
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      recorder.error(code, describeError(error));
    }
  }
}

exitWhenParentGoes();
const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
const result = await new LoadGenerator(spec).run();
process.stdout.write(JSON.stringify(result));
// The lifeline on stdin would keep this process alive.
process.exit(0);
