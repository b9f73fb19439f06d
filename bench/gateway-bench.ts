// `npm run bench`: what the api-gateway costs over its upstream. Not a test: it asserts nothing,
// it measures and writes bench/RESULTS.md (and prints it).
//
// The same load goes (1) straight to the provider simulator, (2) through a bare undici
// pass-through proxy and (3) through the api-gateway with every feature on, first at a fixed rate
// (latency) and then closed-loop (throughput). The stack is the end-to-end tests' GatewayStack:
// a Consul dev agent, a fresh database, the simulator in this process, and the instance-manager
// and api-gateway as processes. The bare proxy and the load generator are processes too.
//
// Optional overrides: BENCH_RATE (requests/s, 1000), BENCH_SECONDS (per phase, 10),
// BENCH_WARMUP_SECONDS (2), BENCH_CONCURRENCY (connections and workers, 64).
import { writeFile } from 'node:fs/promises';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { GatewayStack, TEST_CLIENT_KEY } from '../test/support/gateway-stack.js';
import { repoRoot } from '../test/support/paths.js';
import { type LoadResult, runLoad } from './load-protocol.js';
import { NodeChild } from './node-child.js';
import { type BenchSettings, type MachineFacts, renderReport, type TargetResult } from './report.js';

const INSTANCE = 'bench-openai';
/** GatewayStack gives each simulated instance the key sim-key-<name>. */
const INSTANCE_KEY = `sim-key-${INSTANCE}`;
const CHAT_PATH = '/v1/chat/completions';
const REQUEST_BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 });
/** High enough never to refuse a request: the limiter counts every request but never refuses one. */
const CLIENT_KEY_RPM = 10_000_000;
const RESULTS_FILE = join(repoRoot, 'bench/RESULTS.md');

interface Target {
  name: TargetResult['name'];
  description: string;
  origin: string;
  apiKey: string;
}

function step(message: string): void {
  process.stderr.write(`==> ${message}\n`);
}

function settingsFromEnvironment(): BenchSettings {
  const read = (name: string, fallback: number) => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
    return value;
  };
  return {
    rate: read('BENCH_RATE', 1000),
    durationSeconds: read('BENCH_SECONDS', 10),
    warmupSeconds: read('BENCH_WARMUP_SECONDS', 2),
    concurrency: Math.round(read('BENCH_CONCURRENCY', 64)),
  };
}

function machineFacts(): MachineFacts {
  const cores = cpus();
  return {
    cores: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${type()} ${release()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** One request through the target before measuring: a benchmark of error pages would be worthless. */
async function checkTarget(target: Target): Promise<Response> {
  const response = await fetch(`${target.origin}${CHAT_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
    body: REQUEST_BODY,
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${target.name} answered the check request with ${response.status}: ${text.slice(0, 500)}`);
  return response;
}

async function startBareProxy(upstreamOrigin: string): Promise<{ child: NodeChild; url: string }> {
  const child = NodeChild.spawn('bare proxy', new URL('./bare-proxy.js', import.meta.url), [upstreamOrigin]);
  try {
    const [, port] = await child.waitForLine(/bare-proxy listening on (\d+)/, 10_000);
    return { child, url: `http://127.0.0.1:${port}` };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

async function measure(target: Target, settings: BenchSettings, signal: AbortSignal): Promise<TargetResult> {
  const base = { origin: target.origin, path: CHAT_PATH, apiKey: target.apiKey, body: REQUEST_BODY, ...settings };
  const phase = async (mode: 'fixed' | 'max', label: string, summary: (result: LoadResult) => string) => {
    process.stderr.write(`==> ${target.name}: ${label} ...`);
    const result = await runLoad({ ...base, mode }, signal);
    const errors = result.errors > 0 ? `, ${result.errors} ERRORS (${Object.keys(result.errorKinds).join(', ')})` : '';
    process.stderr.write(` done, ${summary(result)}${errors}\n`);
    return result;
  };
  const fixed = await phase(
    'fixed',
    `fixed ${settings.rate} rps`,
    (result) =>
      `${result.rps.toFixed(0)} rps, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
  );
  const max = await phase(
    'max',
    `max throughput, ${settings.concurrency} workers`,
    (result) => `${result.rps.toFixed(0)} rps, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
  );
  return { name: target.name, description: target.description, fixed, max };
}

/** The gateway's warnings and errors, for the report when something went wrong. */
function gatewayLogExcerpt(stack: GatewayStack, results: TargetResult[]): string[] {
  if (!results.some((result) => result.name === 'gateway' && result.fixed.errors + result.max.errors > 0)) return [];
  return stack.gateway.logs
    .split('\n')
    .filter((line) => /"level":"(warn|error|fatal)"/.test(line))
    .slice(-10)
    .map((line) => line.slice(0, 400));
}

async function run(settings: BenchSettings, signal: AbortSignal): Promise<void> {
  const machine = machineFacts();
  step(`machine: ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}`);

  let stack: GatewayStack | undefined;
  let proxy: NodeChild | undefined;
  try {
    step('starting the stack: Consul dev agent, database, provider simulator, instance-manager, api-gateway');
    stack = await GatewayStack.start({
      instances: [{ name: INSTANCE, provider: 'openai', models: ['gpt-4o'] }],
      gatewayEnv: {
        BOOTSTRAP_CLIENT_KEY_RPM: String(CLIENT_KEY_RPM),
        // The stack's tests reload keys and catalog twice a second; a gateway in service does so every 5 s.
        CATALOG_REFRESH_MS: '5000',
      },
    });
    signal.throwIfAborted();
    const upstreamOrigin = new URL(stack.simulator.get(INSTANCE).baseUrl).origin;

    step('starting the bare proxy');
    const started = await startBareProxy(upstreamOrigin);
    proxy = started.child;
    signal.throwIfAborted();

    const targets: Target[] = [
      {
        name: 'direct',
        description: `the provider simulator (an OpenAI instance, no latency knobs) at ${upstreamOrigin}`,
        origin: upstreamOrigin,
        apiKey: INSTANCE_KEY,
      },
      {
        name: 'bare proxy',
        description:
          'a node:http server piping each request to the simulator over an undici Agent (64 kept-alive connections), in its own process',
        origin: started.url,
        apiKey: INSTANCE_KEY,
      },
      {
        name: 'gateway',
        description: `the api-gateway (\`node scripts/run-app.mjs api-gateway\`) with a client key limited to ${CLIENT_KEY_RPM.toLocaleString('en-US')} requests/min (counted in memory, shared through Redis every 250 ms), metrics, routing and balancing on`,
        origin: stack.gateway.url,
        apiKey: TEST_CLIENT_KEY,
      },
    ];
    const checks: Response[] = [];
    for (const target of targets) checks.push(await checkTarget(target));
    // Without these the gateway row would measure less than "every feature on".
    const gatewayCheck = checks[2]!;
    if (gatewayCheck.headers.get('x-ratelimit-limit-requests') !== String(CLIENT_KEY_RPM))
      throw new Error('the gateway answered without applying the client key rate limit');
    if (!gatewayCheck.headers.has('x-switchboard-overhead-ms'))
      throw new Error('the gateway answered without x-switchboard-overhead-ms');

    const results: TargetResult[] = [];
    for (const target of targets) results.push(await measure(target, settings, signal));

    const markdown = renderReport({
      date: new Date(),
      machine,
      settings,
      request: REQUEST_BODY,
      targets: results,
      gatewayLogExcerpt: gatewayLogExcerpt(stack, results),
    });
    await writeFile(RESULTS_FILE, markdown);
    step(`wrote ${RESULTS_FILE}`);
    process.stdout.write(markdown);
  } finally {
    step('stopping the bare proxy and the stack');
    await proxy?.stop();
    await stack?.stop();
  }
}

async function main(): Promise<number> {
  const settings = settingsFromEnvironment();
  const interrupt = new AbortController();
  // Ctrl-C also reaches the apps and Consul directly (same process group); this process still
  // stops everything it started, in order, and drops the database. A second signal gives up.
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(130);
    step(`${signal}: stopping everything (again to exit at once)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await run(settings, interrupt.signal);
    return 0;
  } catch (error) {
    if (interrupt.signal.aborted) return 130;
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

// Explicit exit: the simulator's and clients' kept-alive sockets must not hold the process open.
process.exit(await main());
