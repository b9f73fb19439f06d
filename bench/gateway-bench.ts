// `npm run bench`: the race. Not a test: it asserts nothing, it measures and writes
// bench/RESULTS.md (and prints it).
//
// One Go mock upstream; in front of it, one after another: nothing (direct), a bare undici proxy,
// Switchboard with one and with two gateway workers, and Portkey's gateway. Each target gets an
// open loop at a fixed rate and a closed loop (vegeta), then a streaming phase (the Go TTFB
// client), on a quiet machine, for several rounds. scripts/bench.sh builds the tools and passes
// their paths in BENCH_*_BIN; the settings are read here (see settingsFromEnvironment).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayStack } from '../test/support/gateway-stack.js';
import { repoRoot } from '../test/support/paths.js';
import type { BenchChild } from './bench-child.js';
import {
  cpuTimesMs,
  cpuUsedMs,
  loadAverage,
  machineFacts,
  processesNamed,
  processTree,
  processTreeMemory,
  waitForQuiet,
} from './machine.js';
import { type RaceSettings, renderReport } from './report.js';
import { runStreams } from './stream-client.js';
import { type RunRecord, summarize, type TargetSummary } from './summary.js';
import {
  checkTarget,
  directTarget,
  type MissingTarget,
  type RaceTarget,
  startBareProxy,
  startMockUpstream,
  startPortkey,
  startSwitchboard,
  type TargetKey,
} from './targets.js';
import { Vegeta } from './vegeta.js';

const REQUEST_BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 });
const STREAM_BODY = JSON.stringify({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 16,
  stream: true,
});
const RESULTS_FILE = join(repoRoot, 'bench/RESULTS.md');
const ALL_TARGETS: TargetKey[] = [
  'direct',
  'bare-proxy',
  'switchboard-1',
  'switchboard-1-nolog',
  'switchboard-2',
  'portkey',
];
const TARGET_NAMES: Record<TargetKey, string> = {
  direct: 'direct',
  'bare-proxy': 'bare proxy',
  'switchboard-1': 'Switchboard, 1 worker',
  'switchboard-1-nolog': 'Switchboard, 1 worker, no request log',
  'switchboard-2': 'Switchboard, 2 workers',
  portkey: 'Portkey',
};

interface Tools {
  vegeta: string;
  mockUpstream: string;
  ttfb: string;
  description: string;
  portkey: { entry: string; version: string } | { missing: string };
}

function step(message: string): void {
  process.stderr.write(`==> ${message}\n`);
}

function settingsFromEnvironment(cores: number): { settings: RaceSettings; targets: TargetKey[] } {
  const read = (name: string, fallback: number) => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
    return value;
  };
  const targets = (process.env.BENCH_TARGETS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = targets.filter((name) => !ALL_TARGETS.includes(name as TargetKey));
  if (unknown.length > 0)
    throw new Error(`BENCH_TARGETS names ${unknown.join(', ')}; the targets are ${ALL_TARGETS.join(', ')}`);
  return {
    settings: {
      rate: read('BENCH_RATE', 1000),
      durationSeconds: read('BENCH_DURATION_S', 10),
      warmupSeconds: read('BENCH_WARMUP_S', 2),
      concurrency: Math.round(read('BENCH_CONCURRENCY', 64)),
      streamRate: read('BENCH_STREAM_RATE', 200),
      repeats: Math.round(read('BENCH_REPEATS', 3)),
      quietLoad: read('BENCH_QUIET_LOAD', 1),
      quietWaitSeconds: read('BENCH_QUIET_WAIT_S', 120),
      highLoad: read('BENCH_LOAD_HIGH', cores + 1),
    },
    targets: targets.length > 0 ? (targets as TargetKey[]) : ALL_TARGETS,
  };
}

function toolsFromEnvironment(): Tools {
  const required = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the race with npm run bench, which builds the tools`);
    return value;
  };
  const entry = process.env.BENCH_PORTKEY_ENTRY;
  return {
    vegeta: required('BENCH_VEGETA_BIN'),
    mockUpstream: required('BENCH_MOCK_UPSTREAM_BIN'),
    ttfb: required('BENCH_TTFB_BIN'),
    description: process.env.BENCH_TOOLS_DESCRIPTION ?? 'vegeta, the Go mock upstream and TTFB client',
    portkey: entry
      ? { entry, version: process.env.BENCH_PORTKEY_VERSION ?? 'unknown' }
      : { missing: process.env.BENCH_PORTKEY_MISSING ?? 'BENCH_PORTKEY_ENTRY is not set' },
  };
}

/** What a target logged that explains its failures, as a line for the report. */
function portkeyNote(child: BenchChild | undefined, runs: RunRecord[]): string[] {
  if (!child) return [];
  const failedStreams = runs.filter((run) => run.target === 'portkey').some((run) => run.stream.failed > 0);
  const logs = `${child.stdout}\n${child.stderr}`;
  if (failedStreams && logs.includes('TypeError: immutable'))
    return [
      'Portkey failed its streams and logged `TypeError: immutable` at `Headers.append` (its stream path modifies the ' +
        "headers of a fetch response, which Node 24's fetch forbids). Recorded as failures; its code is not patched here.",
    ];
  return [];
}

/** GATEWAY_WORKERS=2 only means something when the gateway really runs as several processes. */
function workersNote(runs: RunRecord[]): string[] {
  const twoWorkers = runs.filter((run) => run.target === 'switchboard-2');
  if (twoWorkers.length === 0 || twoWorkers.some((run) => run.memory.processes > 1)) return [];
  return [
    'Switchboard with GATEWAY_WORKERS=2 ran as a single process: this build does not know the setting yet, so both ' +
      'Switchboard rows measure the same gateway and their difference is run-to-run noise.',
  ];
}

/**
 * What the 1-worker gateway's request log kept up with: every answer of the race is one row,
 * written in batches off the request path; its metrics say how many were written and dropped.
 */
async function requestLogNote(
  stack: GatewayStack | undefined,
  summaries: Map<TargetKey, TargetSummary>,
): Promise<string[]> {
  const withLog = summaries.get('switchboard-1');
  if (!stack || !withLog) return [];
  const text = await fetch(`${stack.gateway.url}/metrics`)
    .then((response) => response.text())
    .catch(() => '');
  const counter = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`switchboard_${name}`))
      .reduce((sum, line) => sum + (Number(line.split(' ').at(-1)) || 0), 0);
  const written = counter('request_log_written_total');
  const dropped = counter('request_log_dropped_total');
  const without = summaries.get('switchboard-1-nolog');
  const ratio = without
    ? ` (${(withLog.closedThroughput.median / without.closedThroughput.median).toFixed(2)}× the same gateway without the log)`
    : '';
  return [
    `Request log (Switchboard, 1 worker): ${written.toLocaleString('en-US')} rows written and ${dropped.toLocaleString('en-US')} dropped over the whole race; ` +
      `its closed loop sustained ${Math.round(withLog.closedThroughput.median).toLocaleString('en-US')} answers/s, each one a row${ratio}.`,
  ];
}

function switchboardNote(stack: GatewayStack | undefined, runs: RunRecord[]): string[] {
  if (!stack) return [];
  const failed = runs
    .filter((run) => run.target.startsWith('switchboard'))
    .some((run) => run.open.failures + run.closed.failures + run.stream.failed > 0);
  if (!failed) return [];
  const lines = stack.gateways
    .flatMap((gateway) => gateway.logs.split('\n'))
    .filter((line) => /"level":"(warn|error|fatal)"/.test(line))
    .slice(-5)
    .map((line) => `\`${line.slice(0, 300).replaceAll('`', "'")}\``);
  return lines.length > 0 ? [`Switchboard logged (last warnings and errors): ${lines.join(' ')}`] : [];
}

async function measure(
  target: RaceTarget,
  round: number,
  settings: RaceSettings,
  tools: Tools,
  files: { vegeta: Vegeta; body: string; streamBody: string },
  signal: AbortSignal,
): Promise<RunRecord> {
  const label = `round ${round}/${settings.repeats}, ${target.name}`;
  const wait = await waitForQuiet(
    settings.quietLoad,
    settings.quietWaitSeconds,
    (line) => step(`${label}: ${line}`),
    signal,
  );
  step(`${label}: load ${wait.load.toFixed(2)}${wait.quiet ? '' : ' (NOT quiet: the wait ran out)'}`);
  const base = { bodyFile: files.body, workers: settings.concurrency };
  if (settings.warmupSeconds > 0)
    await files.vegeta.attack(
      target.http,
      { ...base, mode: 'open', rate: settings.rate, durationSeconds: settings.warmupSeconds },
      signal,
    );
  const open = await files.vegeta.attack(
    target.http,
    { ...base, mode: 'open', rate: settings.rate, durationSeconds: settings.durationSeconds },
    signal,
  );
  step(
    `${label}: open loop ${Math.round(open.throughput)}/s, p50 ${open.latencyMs.p50.toFixed(2)} ms, p99 ${open.latencyMs.p99.toFixed(2)} ms, ${open.failures} failures`,
  );
  const cpuBefore = await cpuReading(target.pid);
  const closed = await files.vegeta.attack(
    target.http,
    { ...base, mode: 'closed', rate: 0, durationSeconds: settings.durationSeconds },
    signal,
  );
  const closedCpu = perAnswer(cpuBefore, await cpuReading(target.pid), closed.requests - closed.failures);
  step(
    `${label}: closed loop ${Math.round(closed.throughput)}/s, ${closed.failures} failures; ` +
      `CPU per answer ${closedCpu.targetUs.toFixed(0)} µs (stores ${closedCpu.storesUs.toFixed(0)} µs)`,
  );
  const stream = await runStreams(
    tools.ttfb,
    target.http,
    {
      rate: settings.streamRate,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: 1,
      bodyFile: files.streamBody,
    },
    signal,
  );
  const memory = await processTreeMemory(target.pid);
  const loadAfter = await loadAverage();
  step(
    `${label}: streams ${stream.ok}/${stream.sent} ok, TTFB p50 ${stream.ok > 0 ? stream.ttfbMs.p50.toFixed(2) : 'n/a'} ms; ` +
      `RSS ${memory.rssMiB.toFixed(0)} MiB (peak ${memory.peakMiB.toFixed(0)}); load after ${loadAfter.toFixed(2)}`,
  );
  const note = !wait.quiet
    ? `load ${wait.load.toFixed(2)} before`
    : loadAfter > settings.highLoad
      ? `load rose to ${loadAfter.toFixed(2)}`
      : undefined;
  return {
    round,
    target: target.key,
    loadBefore: wait.load,
    loadAfter,
    waitedSeconds: wait.waitedSeconds,
    comparable: note === undefined,
    ...(note ? { note } : {}),
    open,
    closed,
    closedCpu,
    stream,
    memory,
  };
}

/** The stores Switchboard needs beside its gateway, by command name; the other targets leave them idle. */
const STORES = ['postgres', 'redis-server', 'consul'];

interface CpuReading {
  target: Map<number, number>;
  stores: Map<number, number>;
}

async function cpuReading(pid: number): Promise<CpuReading> {
  return {
    target: await cpuTimesMs(await processTree(pid)),
    stores: await cpuTimesMs(await processesNamed(STORES)),
  };
}

/** CPU µs per answer of the target's process tree and of the stores between two readings. */
function perAnswer(before: CpuReading, after: CpuReading, answers: number): RunRecord['closedCpu'] {
  const us = (ms: number) => (answers > 0 ? (ms * 1000) / answers : Number.NaN);
  return {
    targetUs: us(cpuUsedMs(before.target, after.target)),
    storesUs: us(cpuUsedMs(before.stores, after.stores)),
  };
}

async function run(signal: AbortSignal): Promise<void> {
  const started = Date.now();
  const machine = machineFacts();
  const { settings, targets: wanted } = settingsFromEnvironment(machine.cores);
  const tools = toolsFromEnvironment();
  step(`machine: ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}`);

  const workDirectory = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
  const servers: BenchChild[] = [];
  let stack: GatewayStack | undefined;
  let portkey: BenchChild | undefined;
  const missing: MissingTarget[] = [];
  try {
    const body = join(workDirectory, 'body.json');
    const streamBody = join(workDirectory, 'stream-body.json');
    await writeFile(body, REQUEST_BODY);
    await writeFile(streamBody, STREAM_BODY);
    const files = { vegeta: new Vegeta(tools.vegeta, workDirectory), body, streamBody };

    step('starting the Go mock upstream');
    const mock = await startMockUpstream(tools.mockUpstream);
    servers.push(mock.child);
    const targets: RaceTarget[] = [];
    if (wanted.includes('direct')) targets.push(directTarget(mock.child, mock.origin));
    if (wanted.includes('bare-proxy')) {
      step('starting the bare proxy');
      const proxy = await startBareProxy(mock.origin);
      servers.push(proxy.child);
      targets.push(proxy.target);
    }
    if (wanted.some((key) => key.startsWith('switchboard-'))) {
      step(
        'starting Switchboard: Consul dev agent, database, instance-manager, api-gateway ×3 (1 worker, 1 without the request log, 2 workers)',
      );
      const switchboard = await startSwitchboard(mock.origin);
      stack = switchboard.stack;
      targets.push(...switchboard.targets.filter((target) => wanted.includes(target.key)));
    }
    signal.throwIfAborted();
    if (wanted.includes('portkey')) {
      if ('missing' in tools.portkey) missing.push({ key: 'portkey', name: 'Portkey', reason: tools.portkey.missing });
      else {
        step(`starting Portkey ${tools.portkey.version}`);
        try {
          const started = await startPortkey(tools.portkey.entry, tools.portkey.version, mock.origin);
          portkey = started.child;
          targets.push(started.target);
        } catch (error) {
          const reason = `it did not start: ${error instanceof Error ? error.message : String(error)}`;
          step(`Portkey is left out: ${reason}`);
          missing.push({ key: 'portkey', name: 'Portkey', reason });
        }
      }
    }
    for (const target of targets) await checkTarget(target, REQUEST_BODY);

    const runs: RunRecord[] = [];
    for (let round = 1; round <= settings.repeats; round += 1)
      for (const target of targets) runs.push(await measure(target, round, settings, tools, files, signal));

    const summaries = new Map<TargetKey, TargetSummary>();
    for (const target of targets) summaries.set(target.key, summarize(target.key, runs)!);
    const markdown = renderReport({
      date: new Date(),
      machine,
      settings,
      tools: tools.description,
      requestBody: REQUEST_BODY,
      streamBody: STREAM_BODY,
      targets: targets.map(({ key, name, description }) => ({ key, name, description })),
      missing: [
        ...missing,
        ...ALL_TARGETS.filter((key) => !wanted.includes(key) && !missing.some((target) => target.key === key)).map(
          (key) => ({ key, name: TARGET_NAMES[key], reason: 'left out by BENCH_TARGETS' }),
        ),
      ],
      runs,
      summaries,
      notes: [
        ...workersNote(runs),
        ...portkeyNote(portkey, runs),
        ...switchboardNote(stack, runs),
        ...(await requestLogNote(stack, summaries)),
      ],
      elapsedMinutes: (Date.now() - started) / 60_000,
    });
    await writeFile(RESULTS_FILE, markdown);
    step(`wrote ${RESULTS_FILE}`);
    process.stdout.write(markdown);
  } finally {
    step('stopping the targets and the stack');
    await portkey?.stop();
    await Promise.all(servers.map((server) => server.stop()));
    await stack?.stop();
    await rm(workDirectory, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
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
    await run(interrupt.signal);
    return 0;
  } catch (error) {
    if (interrupt.signal.aborted) return 130;
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

// Explicit exit: kept-alive sockets must not hold the process open.
process.exit(await main());
