// What the benchmark asks of the load generator (bench/load.ts) and what it answers: one LoadSpec
// as JSON in argv, one LoadResult as JSON on stdout.
import { NodeChild } from './node-child.js';

export interface LoadSpec {
  /** Where to send, e.g. http://127.0.0.1:8000 (origin only: the path is separate). */
  origin: string;
  path: string;
  /** Sent as "authorization: Bearer <apiKey>". */
  apiKey: string;
  body: string;
  /**
   * fixed: open loop, `rate` requests per second sent on a clock whatever the answers do;
   * max: closed loop, `concurrency` workers each sending its next request when the last returns.
   */
  mode: 'fixed' | 'max';
  rate: number;
  /** Kept-alive connections in the client pool, and the number of workers in max mode. */
  concurrency: number;
  /** Run the same load first and throw the numbers away (JIT, pools, connections). */
  warmupSeconds: number;
  durationSeconds: number;
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  mode: LoadSpec['mode'];
  /** From the first send to the last answer. */
  elapsedSeconds: number;
  sent: number;
  /** 2xx answers, body read. */
  ok: number;
  /** Anything else: non-2xx answers and transport failures. */
  errors: number;
  /** Count per kind: "HTTP 502", "UND_ERR_SOCKET: other side closed", ... */
  errorKinds: Record<string, number>;
  /** A few error bodies or messages, to say what went wrong. */
  errorSamples: string[];
  /** Successful answers per second. */
  rps: number;
  /** Milliseconds from handing the request to the pool to having read the whole answer (2xx only). */
  latencyMs: Percentiles;
  /** The gateway's own x-switchboard-overhead-ms header, when answers carry one. */
  overheadMs?: Percentiles;
  /** Fixed mode: how late the generator sent each request against its schedule (it should be ~1 ms). */
  sendLagMs?: Percentiles;
}

/**
 * The generator allocates some 25 KB per request (undici, streams). With V8's default 16 MB young
 * generation each collection paused it for 5-15 ms on the 2-core benchmark machine, which showed
 * up as p99.9 of every target; 4 MB keeps its pauses around 1-4 ms. Only the measuring tool is
 * tuned: the proxy and the gateway run with Node's defaults, as they would in service.
 */
const LOAD_GENERATOR_FLAGS = ['--max-semi-space-size=4'];

/** Runs one load phase in a fresh load-generator process; aborting kills it. */
export async function runLoad(spec: LoadSpec, signal: AbortSignal): Promise<LoadResult> {
  signal.throwIfAborted();
  const child = NodeChild.spawn(
    'load generator',
    new URL('./load.js', import.meta.url),
    [JSON.stringify(spec)],
    LOAD_GENERATOR_FLAGS,
  );
  const onAbort = () => void child.stop(1_000);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const { code, signal: killedBy } = await child.exited;
    signal.throwIfAborted();
    if (code !== 0)
      throw new Error(`the load generator exited with ${code ?? killedBy}: ${child.stderr.slice(-2_000)}`);
    return JSON.parse(child.stdout) as LoadResult;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await child.stop(1_000);
  }
}

/** Nearest-rank percentiles of a sample (sorted in place; typed arrays sort numerically). */
export function percentiles(sample: Float64Array): Percentiles {
  sample.sort();
  const at = (fraction: number) =>
    sample.length === 0 ? Number.NaN : sample[Math.min(sample.length - 1, Math.ceil(fraction * sample.length) - 1)]!;
  return { count: sample.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
}
