// The benchmark's results as Markdown (bench/RESULTS.md and stdout), with the goals judged.
import type { LoadResult, Percentiles } from './load-protocol.js';

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  node: string;
  os: string;
  memoryGiB: number;
}

export interface BenchSettings {
  rate: number;
  durationSeconds: number;
  warmupSeconds: number;
  concurrency: number;
}

export interface TargetResult {
  name: 'direct' | 'bare proxy' | 'gateway';
  description: string;
  fixed: LoadResult;
  max: LoadResult;
}

export interface BenchReport {
  date: Date;
  machine: MachineFacts;
  settings: BenchSettings;
  request: string;
  targets: TargetResult[];
  /** Warnings and errors the gateway logged during the run (a few lines). */
  gatewayLogExcerpt: string[];
}

/** Goals from the issue that asked for this benchmark. */
export const GOALS = { gatewayAddedP99Ms: 1, gatewayShareOfBareProxy: 0.6 };

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const signedMs = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(2)}` : 'n/a');
const whole = (value: number) => Math.round(value).toLocaleString('en-US');

export function renderReport(report: BenchReport): string {
  const byName = new Map(report.targets.map((target) => [target.name, target]));
  const direct = byName.get('direct');
  const bare = byName.get('bare proxy');
  const gateway = byName.get('gateway');
  const { settings, machine } = report;

  const lines = [
    '# Gateway benchmark',
    '',
    `Run ${report.date.toISOString()} by \`npm run bench\` (overwritten on every run).`,
    '',
    `**Machine:** ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}. ` +
      'Everything shares these cores: the load generator, the provider simulator, the bare proxy, the gateway, the ' +
      'instance-manager, Consul, Redis and Postgres.',
    '',
    `**Load:** \`POST /v1/chat/completions\` \`${report.request}\` (non-stream). ` +
      `Fixed rate: open loop at ${settings.rate} requests/s for ${settings.durationSeconds} s; max throughput: closed loop with ` +
      `${settings.concurrency} concurrent workers for ${settings.durationSeconds} s. Each phase follows a ${settings.warmupSeconds} s warm-up ` +
      `at the same load, from a load generator in its own process (undici pool, ${settings.concurrency} kept-alive connections, ` +
      'a 4 MB young generation so that its own GC pauses stay short; the servers run with Node defaults). ' +
      'Latency is from handing the request to the client pool to having read the whole answer, successful answers only.',
    '',
    '**Targets:**',
    ...report.targets.map((target) => `- ${target.name}: ${target.description}`),
    '',
    '| target | fixed-rate achieved rps | errors | p50 ms | p99 ms | p99.9 ms | added p50 ms | added p99 ms | max rps | max-phase errors | % of bare proxy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const target of report.targets) {
    const { fixed, max } = target;
    const added = (pick: (latency: Percentiles) => number) =>
      direct && target !== direct ? signedMs(pick(fixed.latencyMs) - pick(direct.fixed.latencyMs)) : '—';
    const share = bare ? `${((max.rps / bare.max.rps) * 100).toFixed(0)} %` : 'n/a';
    lines.push(
      `| ${target.name} | ${whole(fixed.rps)} | ${whole(fixed.errors)} | ${ms(fixed.latencyMs.p50)} | ${ms(fixed.latencyMs.p99)} | ${ms(fixed.latencyMs.p999)} | ` +
        `${added((latency) => latency.p50)} | ${added((latency) => latency.p99)} | ${whole(max.rps)} | ${whole(max.errors)} | ${share} |`,
    );
  }
  lines.push('', 'Added = this target minus direct, same run. Max-phase latency (closed loop, queueing included):', '');
  for (const target of report.targets) {
    lines.push(`- ${target.name}: p50 ${ms(target.max.latencyMs.p50)} ms, p99 ${ms(target.max.latencyMs.p99)} ms`);
  }

  if (gateway) {
    const atRate = gateway.fixed.overheadMs;
    const atMax = gateway.max.overheadMs;
    lines.push(
      '',
      "**Gateway's self-measured overhead** (`x-switchboard-overhead-ms`: its time minus the upstream wait): " +
        (atRate
          ? `at ${settings.rate} rps p50 ${ms(atRate.p50)} ms, p99 ${ms(atRate.p99)} ms, p99.9 ${ms(atRate.p999)} ms`
          : 'absent at the fixed rate') +
        (atMax
          ? `; at max throughput p50 ${ms(atMax.p50)} ms, p99 ${ms(atMax.p99)} ms.`
          : '; absent at max throughput.'),
    );
  }

  lines.push('', '## Goals', '');
  if (direct && bare && gateway) {
    const addedP99 = gateway.fixed.latencyMs.p99 - direct.fixed.latencyMs.p99;
    const keptRate = gateway.fixed.errors === 0 && gateway.fixed.rps >= settings.rate * 0.99;
    const latencyMet = keptRate && addedP99 < GOALS.gatewayAddedP99Ms;
    const share = gateway.max.rps / bare.max.rps;
    const throughputMet = share >= GOALS.gatewayShareOfBareProxy && gateway.max.errors === 0;
    lines.push(
      `- Gateway adds p99 < ${GOALS.gatewayAddedP99Ms} ms at ${settings.rate} rps: **${latencyMet ? 'met' : 'NOT met'}** ` +
        `(added p99 ${signedMs(addedP99)} ms, ${whole(gateway.fixed.rps)} rps achieved, ${gateway.fixed.errors} errors).`,
      `- Gateway max throughput >= ${GOALS.gatewayShareOfBareProxy * 100} % of the bare proxy: **${throughputMet ? 'met' : 'NOT met'}** ` +
        `(${(share * 100).toFixed(0)} %: ${whole(gateway.max.rps)} vs ${whole(bare.max.rps)} rps, ${gateway.max.errors} errors).`,
    );
  } else {
    lines.push('- Not judged: a target is missing from this run.');
  }

  const failing = report.targets.flatMap((target) =>
    [target.fixed, target.max].filter((phase) => phase.errors > 0).map((phase) => ({ target: target.name, phase })),
  );
  if (failing.length > 0 || report.gatewayLogExcerpt.length > 0) {
    lines.push('', '## Errors', '');
    for (const { target, phase } of failing) {
      const kinds = Object.entries(phase.errorKinds)
        .map(([kind, count]) => `${kind} x${count}`)
        .join(', ');
      lines.push(`- ${target}, ${phase.mode}: ${kinds}`);
      for (const sample of phase.errorSamples)
        lines.push(`  - \`${sample.replaceAll('`', "'").replaceAll('\n', ' ')}\``);
    }
    if (report.gatewayLogExcerpt.length > 0) {
      lines.push('', 'Gateway log (warnings and errors, last lines):', '', '```', ...report.gatewayLogExcerpt, '```');
    }
  }

  lines.push(
    '',
    '## Sanity',
    '',
    'Tail latencies on a small machine shared by every process vary from run to run; compare several runs before concluding.',
    '',
  );
  for (const target of report.targets) {
    const lag = target.fixed.sendLagMs;
    lines.push(
      `- ${target.name}: fixed phase sent ${whole(target.fixed.sent)} in ${target.fixed.elapsedSeconds.toFixed(2)} s` +
        (lag
          ? `, generator late by p50 ${ms(lag.p50)} ms / p99 ${ms(lag.p99)} ms / max ${ms(lag.max)} ms against its schedule`
          : '') +
        `; max phase sent ${whole(target.max.sent)} in ${target.max.elapsedSeconds.toFixed(2)} s.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
