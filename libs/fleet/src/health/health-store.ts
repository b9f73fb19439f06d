import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@switchboard/redis';
import { type CheckStatus, healthScore } from './health-state.js';
import { describeError } from '@switchboard/kernel';

/** Redis key layout, shared with every reader of instance health (the gateway among them). */
export const HEALTH_KEY_PREFIX = 'switchboard:health:';
export const HEALTH_EVENTS_CHANNEL = 'switchboard:health-events';
/** How many recent probes the success/failure window holds. */
export const HEALTH_WINDOW = 20;
const EWMA_WEIGHT = 0.3;

export interface ProbeOutcome {
  instanceId: string;
  provider: string;
  ok: boolean;
  latencyMs: number;
  error?: string;
  status: CheckStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  at: number;
}

export interface InstanceHealthMetrics {
  instanceId: string;
  provider: string;
  status: CheckStatus;
  score: number;
  latencyEwmaMs: number;
  windowSuccesses: number;
  windowFailures: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastProbeAt: string;
  lastOutcome: 'success' | 'failure';
  lastError?: string;
}

/** What a gateway receives on HEALTH_EVENTS_CHANNEL after each probe. */
export interface HealthEvent extends InstanceHealthMetrics {
  type: 'health';
}

interface Local {
  ewma: number | undefined;
  window: boolean[];
}

/**
 * Per-instance health metrics in Redis, written by the probing leader in one pipeline per probe
 * (hash + expiry + publish), so readers across replicas see the same numbers. The EWMA and the
 * window are kept in memory by the writer and seeded from Redis when it takes over.
 */
@Injectable()
export class HealthStore {
  private readonly logger = new Logger(HealthStore.name);
  private readonly local = new Map<string, Local>();

  constructor(private readonly redis: RedisService) {}

  /** Records one probe; never throws (Redis down means the metrics are stale, not the probe lost). */
  async record(outcome: ProbeOutcome, ttlSeconds: number): Promise<InstanceHealthMetrics> {
    const state = await this.localState(outcome.instanceId);
    state.ewma =
      state.ewma === undefined ? outcome.latencyMs : EWMA_WEIGHT * outcome.latencyMs + (1 - EWMA_WEIGHT) * state.ewma;
    state.window.push(outcome.ok);
    if (state.window.length > HEALTH_WINDOW) state.window.shift();
    const successes = state.window.filter(Boolean).length;
    const metrics: InstanceHealthMetrics = {
      instanceId: outcome.instanceId,
      provider: outcome.provider,
      status: outcome.status,
      score: healthScore(outcome.status, successes, state.window.length - successes, state.ewma),
      latencyEwmaMs: Math.round(state.ewma * 10) / 10,
      windowSuccesses: successes,
      windowFailures: state.window.length - successes,
      consecutiveFailures: outcome.consecutiveFailures,
      consecutiveSuccesses: outcome.consecutiveSuccesses,
      lastProbeAt: new Date(outcome.at).toISOString(),
      lastOutcome: outcome.ok ? 'success' : 'failure',
      ...(outcome.error ? { lastError: outcome.error } : {}),
    };
    if (!this.redis.available) return metrics;
    const key = HEALTH_KEY_PREFIX + outcome.instanceId;
    const fields: Record<string, string> = Object.fromEntries(
      Object.entries(metrics).map(([field, value]) => [field, String(value)]),
    );
    fields.window = state.window.map((ok) => (ok ? '1' : '0')).join('');
    try {
      const pipeline = this.redis.client.multi();
      pipeline.del(key);
      pipeline.hset(key, fields);
      pipeline.expire(key, ttlSeconds);
      pipeline.publish(HEALTH_EVENTS_CHANNEL, JSON.stringify({ type: 'health', ...metrics } satisfies HealthEvent));
      await pipeline.exec();
    } catch (error) {
      this.logger.warn(`Could not write health of ${outcome.instanceId} to Redis: ${describeError(error)}`);
    }
    return metrics;
  }

  /** The metrics of one instance as Redis holds them (undefined when none, expired, or Redis down). */
  async read(instanceId: string): Promise<InstanceHealthMetrics | undefined> {
    if (!this.redis.available) return undefined;
    return parseHealth(await this.redis.client.hgetall(HEALTH_KEY_PREFIX + instanceId));
  }

  /** Many instances' metrics in one round trip (the dashboard's); throws when Redis cannot be read. */
  async readMany(instanceIds: string[]): Promise<Map<string, InstanceHealthMetrics>> {
    const pipeline = this.redis.client.pipeline();
    for (const instanceId of instanceIds) pipeline.hgetall(HEALTH_KEY_PREFIX + instanceId);
    const results = (await pipeline.exec()) ?? [];
    const found = new Map<string, InstanceHealthMetrics>();
    results.forEach(([error, hash], index) => {
      if (error) throw error;
      const metrics = parseHealth(hash as Record<string, string>);
      if (metrics) found.set(instanceIds[index]!, metrics);
    });
    return found;
  }

  /** Forgets an instance (deleted): its metrics go at once rather than at expiry. */
  async forget(instanceId: string): Promise<void> {
    this.local.delete(instanceId);
    if (this.redis.available) await this.redis.client.del(HEALTH_KEY_PREFIX + instanceId).catch(() => undefined);
  }

  private async localState(instanceId: string): Promise<Local> {
    let state = this.local.get(instanceId);
    if (state) return state;
    state = { ewma: undefined, window: [] };
    // A new leader continues the numbers the previous one left.
    if (this.redis.available) {
      try {
        const [ewma, window] = await this.redis.client.hmget(HEALTH_KEY_PREFIX + instanceId, 'latencyEwmaMs', 'window');
        if (ewma) state.ewma = Number(ewma);
        if (window) state.window = [...window].map((bit) => bit === '1');
      } catch {
        // Start afresh.
      }
    }
    this.local.set(instanceId, state);
    return state;
  }
}

function parseHealth(hash: Record<string, string>): InstanceHealthMetrics | undefined {
  if (!hash.instanceId) return undefined;
  return {
    instanceId: hash.instanceId,
    provider: hash.provider ?? '',
    status: (hash.status ?? 'critical') as CheckStatus,
    score: Number(hash.score),
    latencyEwmaMs: Number(hash.latencyEwmaMs),
    windowSuccesses: Number(hash.windowSuccesses),
    windowFailures: Number(hash.windowFailures),
    consecutiveFailures: Number(hash.consecutiveFailures),
    consecutiveSuccesses: Number(hash.consecutiveSuccesses),
    lastProbeAt: hash.lastProbeAt ?? '',
    lastOutcome: hash.lastOutcome === 'success' ? 'success' : 'failure',
    ...(hash.lastError ? { lastError: hash.lastError } : {}),
  };
}
