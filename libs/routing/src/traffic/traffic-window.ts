/**
 * The rolling traffic window the gateways keep in Redis and the instance-manager reads: per
 * instance, attempt counts, failures, retries and latency histograms in 10-second slots over the
 * last 5 minutes, summed over every gateway replica (HINCRBY is additive, so replicas and workers
 * need no coordination). Pure layout and arithmetic here; the writer is TrafficRecorder, the
 * reader TrafficWindowReader.
 */

export const TRAFFIC_SLOT_SECONDS = 10;
export const TRAFFIC_WINDOW_SECONDS = 300;
/** Slots in the window, the one being filled included. */
export const TRAFFIC_SLOTS = TRAFFIC_WINDOW_SECONDS / TRAFFIC_SLOT_SECONDS;

const KEY_PREFIX = 'switchboard:traffic:';
/** Gateway replicas by the time of their last report (a sorted set), so a reader finds them without a scan. */
export const TRAFFIC_REPLICAS_KEY = `${KEY_PREFIX}replicas`;
/** A replica counts as reporting while its last report is younger than this many report intervals. */
export const REPLICA_STALE_AFTER_REPORTS = 3;

/** Upper bounds (ms) of the latency histogram buckets; one more bucket holds everything above. */
export const LATENCY_BOUNDS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000];
const BUCKETS = LATENCY_BOUNDS_MS.length + 1;

export function slotKey(slotStartSeconds: number): string {
  return `${KEY_PREFIX}slot:${slotStartSeconds}`;
}

export function liveKey(replicaId: string): string {
  return `${KEY_PREFIX}live:${replicaId}`;
}

export function slotStart(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TRAFFIC_SLOT_SECONDS) * TRAFFIC_SLOT_SECONDS;
}

/** Slot starts from the oldest still in the window to the current one. */
export function windowSlots(nowMs: number): number[] {
  const current = slotStart(nowMs);
  return Array.from(
    { length: TRAFFIC_SLOTS },
    (_, index) => current - (TRAFFIC_SLOTS - 1 - index) * TRAFFIC_SLOT_SECONDS,
  );
}

/** A slot key lives a little longer than the window, so a late reader still finds its oldest slot. */
export const SLOT_TTL_SECONDS = TRAFFIC_WINDOW_SECONDS + 2 * TRAFFIC_SLOT_SECONDS;

export function bucketOf(ms: number): number {
  for (let index = 0; index < LATENCY_BOUNDS_MS.length; index += 1) if (ms <= LATENCY_BOUNDS_MS[index]!) return index;
  return LATENCY_BOUNDS_MS.length;
}

/** One instance's traffic in one slot (or summed over many). */
export class InstanceTraffic {
  requests = 0;
  errors = 0;
  retries = 0;
  readonly latency = new Uint32Array(BUCKETS);
  readonly firstToken = new Uint32Array(BUCKETS);

  add(other: InstanceTraffic): void {
    this.requests += other.requests;
    this.errors += other.errors;
    this.retries += other.retries;
    for (let index = 0; index < BUCKETS; index += 1) {
      this.latency[index]! += other.latency[index]!;
      this.firstToken[index]! += other.firstToken[index]!;
    }
  }

  /** As Redis hash fields (`<instanceId>|req` …), only the non-zero ones: most buckets are empty. */
  fields(instanceId: string): [string, number][] {
    const fields: [string, number][] = [];
    if (this.requests) fields.push([`${instanceId}|req`, this.requests]);
    if (this.errors) fields.push([`${instanceId}|err`, this.errors]);
    if (this.retries) fields.push([`${instanceId}|retry`, this.retries]);
    for (let index = 0; index < BUCKETS; index += 1) {
      if (this.latency[index]) fields.push([`${instanceId}|lat${index}`, this.latency[index]!]);
      if (this.firstToken[index]) fields.push([`${instanceId}|ttft${index}`, this.firstToken[index]!]);
    }
    return fields;
  }

  /** Applies one field written by fields(); unknown fields are ignored (a newer writer's). */
  applyField(kind: string, value: number): void {
    if (kind === 'req') this.requests += value;
    else if (kind === 'err') this.errors += value;
    else if (kind === 'retry') this.retries += value;
    else if (kind.startsWith('ttft')) addToBucket(this.firstToken, kind.slice(4), value);
    else if (kind.startsWith('lat')) addToBucket(this.latency, kind.slice(3), value);
  }
}

function addToBucket(histogram: Uint32Array, index: string, value: number): void {
  const bucket = Number(index);
  if (Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKETS) histogram[bucket]! += value;
}

/** Fallback fields name both providers: `fb|<from>|<to>`. */
export function fallbackField(from: string, to: string): string {
  return `fb|${from}|${to}`;
}

/** One slot read back: traffic per instance id, and fallback counts by "from|to". */
export interface SlotTraffic {
  instances: Map<string, InstanceTraffic>;
  fallbacks: Map<string, number>;
}

export function parseSlot(hash: Record<string, string>): SlotTraffic {
  const slot: SlotTraffic = { instances: new Map(), fallbacks: new Map() };
  for (const [field, raw] of Object.entries(hash)) {
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (field.startsWith('fb|')) {
      const pair = field.slice(3);
      slot.fallbacks.set(pair, (slot.fallbacks.get(pair) ?? 0) + value);
      continue;
    }
    const separator = field.lastIndexOf('|');
    if (separator <= 0) continue;
    const instanceId = field.slice(0, separator);
    let traffic = slot.instances.get(instanceId);
    if (!traffic) {
      traffic = new InstanceTraffic();
      slot.instances.set(instanceId, traffic);
    }
    traffic.applyField(field.slice(separator + 1), value);
  }
  return slot;
}

/**
 * A quantile of a bucketed histogram, interpolated linearly inside the bucket it falls in (as
 * Prometheus' histogram_quantile does); undefined when the histogram is empty. Values above the
 * last bound report that bound: we know no more than "slower than that".
 */
export function histogramQuantile(histogram: Uint32Array, quantile: number): number | undefined {
  let total = 0;
  for (const count of histogram) total += count;
  if (total === 0) return undefined;
  const rank = quantile * total;
  let below = 0;
  for (let index = 0; index < histogram.length; index += 1) {
    const count = histogram[index]!;
    if (count > 0 && below + count >= rank) {
      if (index >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
      const lower = index === 0 ? 0 : LATENCY_BOUNDS_MS[index - 1]!;
      const upper = LATENCY_BOUNDS_MS[index]!;
      return Math.round((lower + ((upper - lower) * (rank - below)) / count) * 100) / 100;
    }
    below += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}

/**
 * What one gateway replica holds right now, for the instances where it is not idle: attempts in
 * flight, and a circuit that is not closed (with since when and the failure that opened it).
 */
export interface ReplicaLive {
  replicaId: string;
  inFlight: Map<string, number>;
  circuits: Map<string, { state: 'open' | 'half_open'; sinceMs: number; reason?: string }>;
}

export function liveFields(live: ReplicaLive): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [instanceId, count] of live.inFlight) if (count > 0) fields[`${instanceId}|inflight`] = String(count);
  for (const [instanceId, circuit] of live.circuits)
    fields[`${instanceId}|circuit`] = JSON.stringify({
      state: circuit.state,
      since: circuit.sinceMs,
      reason: circuit.reason,
    });
  return fields;
}

export function parseLive(replicaId: string, hash: Record<string, string>): ReplicaLive {
  const live: ReplicaLive = { replicaId, inFlight: new Map(), circuits: new Map() };
  for (const [field, raw] of Object.entries(hash)) {
    const separator = field.lastIndexOf('|');
    if (separator <= 0) continue;
    const instanceId = field.slice(0, separator);
    const kind = field.slice(separator + 1);
    if (kind === 'inflight') live.inFlight.set(instanceId, Number(raw) || 0);
    else if (kind === 'circuit') {
      try {
        const parsed = JSON.parse(raw) as { state?: string; since?: number; reason?: string };
        if (parsed.state === 'open' || parsed.state === 'half_open')
          live.circuits.set(instanceId, {
            state: parsed.state,
            sinceMs: Number(parsed.since) || 0,
            reason: parsed.reason,
          });
      } catch {
        // A malformed field is one replica's glitch: skip it rather than lose the whole view.
      }
    }
  }
  return live;
}
