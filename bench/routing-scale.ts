// The routing micro-benchmark (not a test): what one routing decision costs as the fleet grows.
// It builds the real in-memory routing parts (instance table, circuits, balancer, router,
// orchestrator) from rows made up here, with a provider client that answers at once, and times the
// per-request path: route the model to candidates, pick an instance, send (no I/O), record the
// outcome and release the instance. Consul, Redis and Postgres only feed the table; they are not on
// that path, so none is needed.
//
// Three shapes of fleet, at 10, 1,000 and 10,000 instances:
//   spread: the instances in pools of 10 (one model each), requests spread over every pool;
//   spread, hot pool: the same fleet, every request to one of its pools;
//   one pool: every instance serves the same model, every request goes to that pool.
// The spread shape's decisions slow down as the fleet grows because they touch a thousand pools'
// state in turn (caches miss), not because a decision does more work: the hot-pool shape, same
// fleet, stays flat.
//
//   node dist/bench/routing-scale.js [--markdown <file>] [--rounds <n>] [--round-ms <ms>]
//                                    [--sizes 10,1000,10000] [--strategies first,random]
// It re-runs itself with --expose-gc (to measure the heap allocated per decision) when started
// without it.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { GCProfiler } from 'node:v8';
import { AppConfig, MetricsService, seededRandom } from '@switchboard/kernel';
import type { ChatRequest, ChatResponse, ProviderClient } from '@switchboard/providers';
import type { RedisService } from '@switchboard/redis';
import {
  type BalancingStrategy,
  type CatalogInstance,
  ChatOrchestrator,
  DEFAULT_ROUTING_POLICY,
  InstanceBalancer,
  InstanceCircuits,
  InstanceTable,
  type RedisEventsFeed,
  type RoutingPolicy,
  type RoutingPolicyStore,
  routeChat,
  STRATEGIES,
  TrafficRecorder,
} from '@switchboard/routing';

const SHAPES = ['spread', 'spread, hot pool', 'one pool'] as const;
type Shape = (typeof SHAPES)[number];

interface Options {
  markdown?: string;
  rounds: number;
  roundMs: number;
  sizes: number[];
  strategies: BalancingStrategy[];
}

interface Measurement {
  shape: Shape;
  strategy: BalancingStrategy;
  instances: number;
  /** Median over the rounds, in microseconds. */
  microsPerDecision: number;
  bytesPerDecision: number;
}

const POOL_SIZE_SPREAD = 10;
/** Requests cycled through per round: enough that the spread shape visits many pools. */
const REQUEST_VARIETY = 4_096;
const SIGNAL = new AbortController().signal;

function parseOptions(argv: string[]): Options {
  const options: Options = { rounds: 7, roundMs: 150, sizes: [10, 1_000, 10_000], strategies: [...STRATEGIES] };
  for (let index = 0; index < argv.length; index += 1) {
    const value = argv[index + 1];
    switch (argv[index]) {
      case '--markdown':
        options.markdown = value;
        break;
      case '--rounds':
        options.rounds = Number(value);
        break;
      case '--round-ms':
        options.roundMs = Number(value);
        break;
      case '--sizes':
        options.sizes = value!.split(',').map(Number);
        break;
      case '--strategies':
        options.strategies = value!.split(',') as BalancingStrategy[];
        break;
      default:
        throw new Error(`unknown argument ${argv[index]}`);
    }
    index += 1;
  }
  return options;
}

/** A provider client that answers every chat at once: the benchmark measures routing, not I/O. */
class InstantClient {
  private readonly response: ChatResponse = {
    id: 'bench',
    model: 'bench',
    provider: 'openai',
    created: 0,
    message: { content: 'ok' },
    finishReason: 'stop',
    usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
  };

  async chat(): Promise<ChatResponse> {
    return this.response;
  }
}

/** The fleet: healthy instances with probe scores and latencies that differ, and a few unusable ones. */
function fleet(shape: Shape, size: number): { rows: CatalogInstance[]; models: string[] } {
  const random = seededRandom(size);
  const poolCount = shape === 'one pool' ? 1 : Math.max(1, size / POOL_SIZE_SPREAD);
  const models = Array.from({ length: poolCount }, (_, index) => (shape === 'one pool' ? 'gpt-4o' : `model-${index}`));
  const rows = Array.from(
    { length: size },
    (_, index): CatalogInstance => ({
      id: `instance-${String(index).padStart(6, '0')}`,
      name: `instance-${index}`,
      provider: 'openai',
      models: [models[index % poolCount]!],
      baseUrl: `https://instance-${index}.example`,
      weight: 1 + Math.floor(random() * 3),
      priority: 0,
      draining: random() < 0.01,
      maxConcurrency: 64,
      timeouts: { requestMs: 60_000, firstTokenMs: 30_000, idleMs: 30_000 },
      target: { apiKey: `key-${index}` },
    }),
  );
  return { rows, models };
}

function routingParts(shape: Shape, size: number, strategy: BalancingStrategy) {
  const { rows, models } = fleet(shape, size);
  const config = new AppConfig();
  const metrics = new MetricsService('bench');
  const table = new InstanceTable();
  table.replaceCatalog(rows);
  const random = seededRandom(size + 1);
  const now = Date.now();
  for (const row of rows) {
    table.setConsulStatus(row.id, random() < 0.02 ? 'critical' : 'passing', false, now);
    table.setProbeMetrics(
      row.id,
      { status: 'passing', score: 0.85 + random() * 0.15, latencyEwmaMs: 80 + random() * 320 },
      now - 1,
    );
  }
  const events = { publishCircuit: () => undefined, onCircuitEvent: () => undefined } as unknown as RedisEventsFeed;
  const circuits = new InstanceCircuits(config, table, events, metrics);
  const policy: RoutingPolicy = { ...DEFAULT_ROUTING_POLICY, balancing: { strategy, pools: {} } };
  const policies = { policy } as unknown as RoutingPolicyStore;
  const balancer = new InstanceBalancer(table, circuits, policies, metrics);
  balancer.onModuleInit();
  const orchestrator = new ChatOrchestrator(
    new InstantClient() as unknown as ProviderClient,
    balancer,
    table,
    circuits,
    metrics,
    config,
    // Counted in memory like in the gateway; the benchmark never reports to Redis.
    new TrafficRecorder({ available: false } as unknown as RedisService, table, circuits, config),
  );
  const pick = seededRandom(size + 2);
  const requests: ChatRequest[] = Array.from({ length: REQUEST_VARIETY }, () => ({
    model: shape === 'spread, hot pool' ? models[0]! : models[Math.floor(pick() * models.length)]!,
    stream: false,
    messages: [{ role: 'user', content: 'Say hello' }],
  }));
  /** One decision: what the gateway does per chat request, minus the upstream call. */
  const decide = async (index: number) => {
    const request = requests[index % REQUEST_VARIETY]!;
    const decision = routeChat(request, {}, policy, table);
    await orchestrator.complete(request, decision, SIGNAL);
  };
  return { decide };
}

async function run(decide: (index: number) => Promise<void>, count: number, offset: number): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < count; index += 1) await decide(offset + index);
  return performance.now() - started;
}

/** Heap bytes allocated over `count` decisions: the heap's growth plus what every collection freed. */
async function allocated(decide: (index: number) => Promise<void>, count: number): Promise<number> {
  globalThis.gc?.();
  const profiler = new GCProfiler();
  const before = process.memoryUsage().heapUsed;
  profiler.start();
  await run(decide, count, 0);
  const after = process.memoryUsage().heapUsed;
  const collections = profiler.stop()?.statistics ?? [];
  const freed = collections.reduce(
    (sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  return (after - before + freed) / count;
}

async function measure(
  shape: Shape,
  size: number,
  strategy: BalancingStrategy,
  options: Options,
): Promise<Measurement> {
  const { decide } = routingParts(shape, size, strategy);
  // Warm-up (at least two rounds' worth), and how many decisions fill one round.
  let count = 16;
  let elapsed = await run(decide, count, 0);
  let warmedMs = elapsed;
  while (elapsed < options.roundMs / 4 || warmedMs < 2 * options.roundMs) {
    if (elapsed < options.roundMs / 4) count *= 2;
    elapsed = await run(decide, count, 0);
    warmedMs += elapsed;
  }
  const perRound = Math.max(16, Math.round((count * options.roundMs) / elapsed));
  const samples: number[] = [];
  for (let round = 0; round < options.rounds; round += 1)
    samples.push(((await run(decide, perRound, round * perRound)) * 1_000) / perRound);
  samples.sort((a, b) => a - b);
  const bytes = await allocated(decide, Math.min(perRound, 2_000));
  const measurement: Measurement = {
    shape,
    strategy,
    instances: size,
    microsPerDecision: samples[Math.floor(samples.length / 2)]!,
    bytesPerDecision: bytes,
  };
  return measurement;
}

const micros = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const kilobytes = (bytes: number) => (bytes >= 10_240 ? `${(bytes / 1024).toFixed(0)} KiB` : `${Math.round(bytes)} B`);

function render(results: Measurement[], options: Options): string {
  const sizes = options.sizes;
  const header = (unit: string) => [
    `| shape | strategy | ${sizes.map((size) => `${size.toLocaleString('en-US')} (${unit})`).join(' | ')} | ${sizes.at(-1)!.toLocaleString('en-US')} / ${sizes[0]!.toLocaleString('en-US')} |`,
    `|---|---|${sizes.map(() => '---:').join('|')}|---:|`,
  ];
  const rows = (value: (measurement: Measurement) => number, format: (value: number) => string) => {
    const lines: string[] = [];
    for (const shape of SHAPES)
      for (const strategy of options.strategies) {
        const cells = sizes.map(
          (size) =>
            results.find((entry) => entry.shape === shape && entry.strategy === strategy && entry.instances === size)!,
        );
        const ratio = value(cells.at(-1)!) / Math.max(value(cells[0]!), 1e-9);
        lines.push(
          `| ${shape} | ${strategy} | ${cells.map((cell) => format(value(cell))).join(' | ')} | ${ratio.toFixed(1)}× |`,
        );
      }
    return lines;
  };
  return [
    '## Routing decision cost by fleet size',
    '',
    `One decision: route the model, pick an instance, send (answered at once), record the outcome. Median of ${options.rounds} rounds of about ${options.roundMs} ms after a warm-up; Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}).`,
    `Shapes: "spread" puts the instances in pools of ${POOL_SIZE_SPREAD} and spreads requests over all pools; "spread, hot pool" is the same fleet with every request to one of its pools; "one pool" puts every instance in the pool every request goes to.`,
    'A decision touches one pool whatever the fleet: "spread" slows as the fleet grows because its requests visit a thousand pools in turn and their state is no longer in the CPU caches; the same fleet asked for one pool ("spread, hot pool") does not slow down.',
    '',
    '### Time per decision (µs)',
    '',
    ...header('µs'),
    ...rows((entry) => entry.microsPerDecision, micros),
    '',
    '### Heap allocated per decision',
    '',
    ...header('heap'),
    ...rows((entry) => entry.bytesPerDecision, kilobytes),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const results: Measurement[] = [];
  // The first configuration would otherwise pay for compiling the whole path.
  for (const strategy of options.strategies) await measure('spread', options.sizes[0]!, strategy, options);
  for (const shape of SHAPES)
    for (const strategy of options.strategies)
      for (const size of options.sizes) {
        const measurement = await measure(shape, size, strategy, options);
        results.push(measurement);
        process.stderr.write(
          `${shape.padEnd(16)} ${strategy.padEnd(17)} ${String(size).padStart(6)}: ${measurement.microsPerDecision.toFixed(2)} µs, ${Math.round(measurement.bytesPerDecision)} B per decision\n`,
        );
      }
  const markdown = render(results, options);
  process.stdout.write(markdown);
  if (options.markdown) await writeFile(options.markdown, markdown);
}

if (typeof globalThis.gc !== 'function') {
  // Started without --expose-gc: run again with it, so the allocation figures start from a clean heap.
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
} else {
  await main();
}
