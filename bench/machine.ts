// What the benchmark reads about the machine: its facts, the load average (to wait for a quiet
// machine and to judge whether a run is comparable), and the memory and CPU time of a process tree.
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { cpus, release, totalmem, type } from 'node:os';

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  node: string;
  os: string;
  memoryGiB: number;
}

export function machineFacts(): MachineFacts {
  const cores = cpus();
  return {
    cores: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${type()} ${release()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** The 1-minute load average (the kernel updates it every 5 s). */
export async function loadAverage(): Promise<number> {
  return Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
}

export interface QuietWait {
  /** The 1-minute load average when the wait ended. */
  load: number;
  waitedSeconds: number;
  /** False when the cap ran out before the load fell below the threshold. */
  quiet: boolean;
}

/**
 * Waits until the 1-minute load average is below `threshold`, for at most `capSeconds`, printing
 * a progress line every 10 s. Our own previous target's load takes some 30-60 s to decay.
 */
export async function waitForQuiet(
  threshold: number,
  capSeconds: number,
  progress: (line: string) => void,
  signal: AbortSignal,
): Promise<QuietWait> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const load = await loadAverage();
    const waitedSeconds = (Date.now() - started) / 1000;
    if (load < threshold) return { load, waitedSeconds, quiet: true };
    if (waitedSeconds >= capSeconds) return { load, waitedSeconds, quiet: false };
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      progress(
        `waiting for a quiet machine: load ${load.toFixed(2)}, want < ${threshold} (${Math.round(waitedSeconds)} of at most ${capSeconds} s)`,
      );
    }
    await delay(1_000, undefined, { signal });
  }
}

export interface ProcessMemory {
  /** Resident set size now, MiB, summed over the process and its descendants. */
  rssMiB: number;
  /** Peak resident set size (VmHWM), MiB, summed likewise. */
  peakMiB: number;
  processes: number;
}

async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may contain spaces; the fields after it do not.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function statusKiB(pid: number, field: string): Promise<number> {
  try {
    const match = (await readFile(`/proc/${pid}/status`, 'utf8')).match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** `pid` and every process below it (a gateway with workers is several processes). */
export async function processTree(pid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = await parentOf(Number(entry));
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    tree.push(next);
    pending.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** Memory of `pid` and every process below it. */
export async function processTreeMemory(pid: number): Promise<ProcessMemory> {
  const tree = await processTree(pid);
  let rss = 0;
  let peak = 0;
  for (const member of tree) {
    rss += await statusKiB(member, 'VmRSS');
    peak += await statusKiB(member, 'VmHWM');
  }
  return { rssMiB: rss / 1024, peakMiB: peak / 1024, processes: tree.length };
}

/** The processes whose command name is one of `names` (the stores: postgres, redis-server, consul). */
export async function processesNamed(names: readonly string[]): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes((await readFile(`/proc/${entry}/comm`, 'utf8')).trim())) found.push(Number(entry));
    } catch {
      // Gone since the directory was read.
    }
  }
  return found;
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) each process has used so far, ms; a process that is gone reads 0. */
export async function cpuTimesMs(pids: readonly number[]): Promise<Map<number, number>> {
  const times = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the state.
      times.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
    } catch {
      times.set(pid, 0);
    }
  }
  return times;
}

/** CPU ms used between two readings, over the processes of the second (one started in between counts whole). */
export function cpuUsedMs(before: Map<number, number>, after: Map<number, number>): number {
  let used = 0;
  for (const [pid, ms] of after) used += Math.max(0, ms - (before.get(pid) ?? 0));
  return used;
}
