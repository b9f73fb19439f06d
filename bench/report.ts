// The race's results as Markdown (bench/RESULTS.md and stdout), with the goals judged.
import type { MachineFacts } from './machine.js';
import { judgeGoals, type RunRecord, type Spread, type TargetSummary } from './summary.js';
import type { MissingTarget, TargetKey } from './targets.js';

export interface RaceSettings {
  rate: number;
  durationSeconds: number;
  warmupSeconds: number;
  concurrency: number;
  streamRate: number;
  repeats: number;
  quietLoad: number;
  quietWaitSeconds: number;
  highLoad: number;
}

export interface RaceReport {
  date: Date;
  machine: MachineFacts;
  settings: RaceSettings;
  tools: string;
  requestBody: string;
  streamBody: string;
  /** In the order they ran, with a description each. */
  targets: { key: TargetKey; name: string; description: string }[];
  missing: MissingTarget[];
  runs: RunRecord[];
  summaries: Map<TargetKey, TargetSummary>;
  /** Facts about failures worth a line of their own (e.g. what a target logged). */
  notes: string[];
  elapsedMinutes: number;
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const whole = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const signed = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(2)}` : 'n/a');
const ratio = (value: number) => (Number.isFinite(value) && value > 0 ? `${value.toFixed(2)}×` : 'n/a');

/** A target's figure as a ratio to another target's (— against itself or a target that did not run). */
const versusOn =
  (target: TargetSummary, figure: (summary: TargetSummary) => number) => (other: TargetSummary | undefined) =>
    other && other !== target ? ratio(figure(target) / figure(other)) : '—';

/** "median [min–max]", the spread left out when there is one run or no spread at all. */
function withSpread(value: Spread, format: (value: number) => string = fixed): string {
  if (!Number.isFinite(value.median)) return 'n/a';
  if (value.min === value.max) return format(value.median);
  return `${format(value.median)} [${format(value.min)}–${format(value.max)}]`;
}

export function renderReport(report: RaceReport): string {
  const { settings, machine, summaries } = report;
  const names = new Map(report.targets.map((target) => [target.key, target.name]));
  const ran = report.targets.filter((target) => summaries.has(target.key));
  const direct = summaries.get('direct');
  const bare = summaries.get('bare-proxy');
  const portkey = summaries.get('portkey');
  const nameOf = (key: TargetKey) => {
    const flag = summaries.get(key)?.comparable === false ? ' ⚠' : '';
    return `${names.get(key) ?? key}${flag}`;
  };

  const lines = [
    '# Gateway race',
    '',
    `Run ${report.date.toISOString()} by \`npm run bench\` (overwritten on every run; it took ${report.elapsedMinutes.toFixed(1)} minutes).`,
    '',
    `**Machine:** ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}. ` +
      'Everything shares these cores: the load generator, the mock upstream, the target, and for Switchboard its ' +
      'instance-manager, Consul, Redis and Postgres. Idle targets stay up while another one runs.',
    '',
    `**Tools:** ${report.tools}.`,
    '',
    `**Load**, the same for every target, one target after another, ${settings.repeats} round${settings.repeats === 1 ? '' : 's'} over all targets:`,
    '',
    `1. Open loop: \`vegeta attack -rate=${settings.rate}/s -duration=${settings.durationSeconds}s\` (up to 1,024 workers), after a ` +
      `${settings.warmupSeconds} s warm-up at the same rate that is not counted. Body \`${report.requestBody}\`.`,
    `2. Closed loop (max throughput): \`vegeta attack -rate=0 -workers=${settings.concurrency} -max-workers=${settings.concurrency} -duration=${settings.durationSeconds}s\`.`,
    `3. Streaming: the Go TTFB client (bench/go/ttfb) opens ${settings.streamRate} streams/s for ${settings.durationSeconds} s (after a 1 s warm-up) with ` +
      `\`${report.streamBody}\` and measures from sending to having read the first complete \`data:\` event. ` +
      'The mock sends its first event at once and ten more 2 ms apart, so a target that buffers a stream shows in TTFB.',
    '',
    'vegeta latencies run from sending to having read the whole answer, failures included; a failure is any non-2xx answer or ' +
      'transport error. A stream fails unless it answers 200 and ends with `data: [DONE]`.',
    '',
    `**Quiet machine:** before each target the race waits (at most ${settings.quietWaitSeconds} s) for the 1-minute load average ` +
      `to fall below ${settings.quietLoad}, and records it before and after. A run is not comparable (⚠) when the wait ran out, or ` +
      `when the load after it is above ${settings.highLoad} (a target's own run leaves it between about 1 and 2.5 on two cores; more ` +
      'means something else ran). Figures are medians over the comparable runs, with [min–max] across them; a target with no comparable run ' +
      'shows all its runs and ⚠.',
    '',
    '**Targets:**',
    '',
    ...report.targets.map((target) => `- ${target.name}: ${target.description}`),
    ...report.missing.map((target) => `- ${target.name}: **missing from this run**: ${target.reason}`),
    '',
    `## At ${settings.rate} requests/s (open loop)`,
    '',
    '| target | runs | answered/s | failures (of sent) | p50 ms | p90 ms | p99 ms | max ms | added p50 ms | added p99 ms | added p99 vs bare proxy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { key } of ran) {
    const target = summaries.get(key)!;
    const added = (pick: (summary: TargetSummary) => Spread) =>
      direct && key !== 'direct' ? signed(pick(target).median - pick(direct).median) : '—';
    const bareAdded = bare && direct ? bare.openP99.median - direct.openP99.median : Number.NaN;
    const vsBare =
      direct && key !== 'direct' && key !== 'bare-proxy'
        ? ratio((target.openP99.median - direct.openP99.median) / bareAdded)
        : '—';
    lines.push(
      `| ${nameOf(key)} | ${target.runs}/${target.allRuns} | ${withSpread(target.openThroughput, whole)} | ` +
        `${withSpread(target.openFailures, whole)} (${whole(target.openSent.median)}) | ${withSpread(target.openP50)} | ${withSpread(target.openP90)} | ` +
        `${withSpread(target.openP99)} | ${withSpread(target.openMax)} | ${added((summary) => summary.openP50)} | ` +
        `${added((summary) => summary.openP99)} | ${vsBare} |`,
    );
  }
  lines.push(
    '',
    'Added = this target minus direct (medians). "added p99 vs bare proxy" divides by the bare proxy\'s added p99.',
    '',
    `## Max throughput (closed loop, ${settings.concurrency} workers)`,
    '',
    '| target | answers/s | failures | p50 ms | p99 ms | vs bare proxy | vs Portkey | CPU µs per answer | stores CPU µs per answer |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const { key } of ran) {
    const target = summaries.get(key)!;
    const versus = versusOn(target, (summary) => summary.closedThroughput.median);
    lines.push(
      `| ${nameOf(key)} | ${withSpread(target.closedThroughput, whole)} | ${withSpread(target.closedFailures, whole)} | ` +
        `${withSpread(target.closedP50)} | ${withSpread(target.closedP99)} | ${versus(bare)} | ${versus(portkey)} | ` +
        `${withSpread(target.closedCpuUs, whole)} | ${withSpread(target.closedStoresCpuUs, whole)} |`,
    );
  }
  lines.push(
    '',
    "CPU per answer: user + system time of the target's processes (with the gateway's workers) during the closed loop, " +
      'over its answers; the stores are every Postgres, Redis and Consul process on the machine (only Switchboard uses them). ' +
      'Unlike throughput it does not count time spent waiting for a core, so it varies less on a busy machine.',
  );
  lines.push(
    '',
    `## Streaming (${settings.streamRate} streams/s)`,
    '',
    '| target | failed streams (of sent) | TTFB p50 ms | TTFB p99 ms | TTFB overhead p50 ms | whole stream p50 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const { key } of ran) {
    const target = summaries.get(key)!;
    const overhead = direct && key !== 'direct' ? signed(target.ttfbP50.median - direct.ttfbP50.median) : '—';
    lines.push(
      `| ${nameOf(key)} | ${withSpread(target.streamFailures, whole)} (${whole(target.streamSent.median)}) | ${withSpread(target.ttfbP50)} | ` +
        `${withSpread(target.ttfbP99)} | ${overhead} | ${withSpread(target.streamTotalP50)} |`,
    );
  }
  lines.push(
    '',
    '## Memory',
    '',
    'Resident set size of the target process and its children (a gateway with workers is several processes), read from ' +
      "/proc after each of the target's runs: now (VmRSS) and the peak since it started (VmHWM). Switchboard also needs an " +
      'instance-manager, Consul, Redis and Postgres, which are not counted; direct is the Go mock.',
    '',
    '| target | RSS MiB | peak RSS MiB | peak vs bare proxy | peak vs Portkey |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const { key } of ran) {
    const target = summaries.get(key)!;
    const versus = versusOn(target, (summary) => summary.peakMiB.median);
    lines.push(
      `| ${nameOf(key)} | ${withSpread(target.rssMiB, (value) => fixed(value, 0))} | ${withSpread(target.peakMiB, (value) => fixed(value, 0))} | ` +
        `${versus(bare)} | ${versus(portkey)} |`,
    );
  }

  lines.push('', '## Goals (Switchboard, 1 worker; same run)', '');
  const missingReason = (key: TargetKey) =>
    report.missing.find((target) => target.key === key)?.reason ?? `${names.get(key) ?? key} did not run`;
  for (const verdict of judgeGoals(summaries, settings.rate, missingReason)) {
    const word = verdict.met === undefined ? 'not judged' : verdict.met ? 'met' : 'NOT met';
    lines.push(`- ${verdict.goal}: **${word}** (${verdict.figure}).`);
  }
  const uncomparable = ran.filter(({ key }) => !summaries.get(key)!.comparable);
  if (uncomparable.length > 0)
    lines.push(
      '',
      `⚠ No comparable run for ${uncomparable.map(({ name }) => name).join(', ')}: the goals above use runs on a busy machine.`,
    );

  if (report.notes.length > 0) lines.push('', '## Notes', '', ...report.notes.map((note) => `- ${note}`));

  lines.push(
    '',
    '## Every run',
    '',
    '| round | target | load before → after | waited s | comparable | open p50 / p99 ms | open failures | closed answers/s | TTFB p50 ms | failed streams | peak RSS MiB |',
    '| ---: | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const run of report.runs) {
    lines.push(
      `| ${run.round} | ${names.get(run.target) ?? run.target} | ${fixed(run.loadBefore)} → ${fixed(run.loadAfter)} | ${whole(run.waitedSeconds)} | ` +
        `${run.comparable ? 'yes' : `no: ${run.note ?? ''}`} | ${fixed(run.open.latencyMs.p50)} / ${fixed(run.open.latencyMs.p99)} | ` +
        `${whole(run.open.failures)} | ${whole(run.closed.throughput)} | ${run.stream.ok > 0 ? fixed(run.stream.ttfbMs.p50) : 'n/a'} | ` +
        `${whole(run.stream.failed)} | ${fixed(run.memory.peakMiB, 0)} |`,
    );
  }

  const failures = errorLines(report.runs, names);
  if (failures.length > 0) lines.push('', '## Failures', '', ...failures);
  return `${lines.join('\n')}\n`;
}

/** Per target and phase: status codes and error texts over all runs. */
function errorLines(runs: RunRecord[], names: Map<TargetKey, string>): string[] {
  const lines: string[] = [];
  const byTarget = Map.groupBy(runs, (run) => run.target);
  for (const [key, targetRuns] of byTarget) {
    const name = names.get(key) ?? key;
    for (const phase of ['open', 'closed'] as const) {
      const failed = targetRuns.filter((run) => run[phase].failures > 0);
      if (failed.length === 0) continue;
      const codes = new Map<string, number>();
      const texts = new Set<string>();
      for (const run of failed) {
        for (const [code, count] of Object.entries(run[phase].statusCodes))
          if (!code.startsWith('2')) codes.set(code, (codes.get(code) ?? 0) + count);
        for (const text of run[phase].errors) texts.add(text);
      }
      const codeText = [...codes].map(([code, count]) => `${code === '0' ? 'no answer' : code} ×${count}`).join(', ');
      lines.push(`- ${name}, ${phase} loop: ${codeText}; ${[...texts].slice(0, 5).map(quote).join(', ')}`);
    }
    const streamFailed = targetRuns.filter((run) => run.stream.failed > 0);
    if (streamFailed.length > 0) {
      const kinds = new Map<string, number>();
      const samples = new Set<string>();
      for (const run of streamFailed) {
        for (const [kind, count] of Object.entries(run.stream.errors)) kinds.set(kind, (kinds.get(kind) ?? 0) + count);
        for (const sample of run.stream.errorSamples) samples.add(sample);
      }
      lines.push(
        `- ${name}, streaming: ${[...kinds].map(([kind, count]) => `${kind} ×${count}`).join(', ')}; ` +
          [...samples].slice(0, 3).map(quote).join(', '),
      );
    }
  }
  return lines;
}

function quote(text: string): string {
  return `\`${text.replaceAll('`', "'").replaceAll('\n', ' ').slice(0, 300)}\``;
}
