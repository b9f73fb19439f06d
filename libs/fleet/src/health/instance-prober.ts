import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, describeError, redactSecrets } from '@switchboard/kernel';
import { MetricsService } from '@switchboard/kernel';
import type { ProviderInstance } from '@switchboard/database';
import { adapterFor, ProviderClient, ProviderError, type ProviderName } from '@switchboard/providers';
import { InstanceCredentials, providerTarget } from '../credentials/instance-credentials.js';
import { type HealthState, type HealthThresholds, INITIAL_HEALTH, nextHealth } from './health-state.js';
import { HEALTH_WINDOW, HealthStore, type InstanceHealthMetrics } from './health-store.js';
import { InstanceRegistry, type KnownCheck } from '../registration/instance-registry.js';
import { type ProbeFailure, probeOutput } from './check-output.js';
import { nextPublishedHealth } from './published-health.js';

export interface ProbeReport extends KnownCheck {
  instanceId: string;
  ok: boolean;
  latencyMs: number;
  metrics: InstanceHealthMetrics;
}

/** How a check output names the failures that are the instance account's fault. */
const ACCOUNT_FAULT_WORDS: Partial<Record<ProviderError['kind'], string>> = {
  auth: 'credentials rejected',
  permission: 'credentials rejected (no permission)',
  quota_exhausted: 'quota exhausted',
  destination_refused: 'destination refused',
};

interface Tracked extends HealthState, KnownCheck {
  probed: boolean;
  lastFailure?: ProbeFailure;
  /** Set by a probe of this process: the instance as its health series names it, and when it was probed. */
  probedHere?: { provider: string; name: string; at: number };
}

/** The value of switchboard_instance_health for each check status. */
const HEALTH_VALUE: Record<HealthState['status'], number> = { passing: 0, warning: 1, critical: 2 };

/**
 * Probes one instance with its adapter's non-billing probe and turns the result into its Consul
 * TTL check status (with a readable output) and its Redis health metrics.
 */
@Injectable()
export class InstanceProber {
  private readonly logger = new Logger(InstanceProber.name);
  private readonly tracked = new Map<string, Tracked>();
  private readonly thresholds: HealthThresholds;
  private readonly metricsTtlSeconds: number;
  /** How long a passing check still names the last failure: the span of the score's probe window. */
  private readonly rememberFailureMs: number;
  private readonly healthSeriesMaxAgeMs: number;

  constructor(
    private readonly client: ProviderClient,
    private readonly credentials: InstanceCredentials,
    private readonly registry: InstanceRegistry,
    private readonly store: HealthStore,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.thresholds = {
      warnAfterFailures: config.HEALTH_WARN_AFTER_FAILURES,
      criticalAfterFailures: Math.max(config.HEALTH_CRITICAL_AFTER_FAILURES, config.HEALTH_WARN_AFTER_FAILURES),
      recoverAfterSuccesses: config.HEALTH_RECOVER_AFTER_SUCCESSES,
    };
    // Metrics outlive a few missed probes, then vanish: stale health must not look fresh forever.
    this.metricsTtlSeconds = Math.max(60, Math.ceil((10 * config.PROBE_INTERVAL_MS) / 1000));
    this.rememberFailureMs = HEALTH_WINDOW * config.PROBE_INTERVAL_MS;
    // As long as Consul trusts a probe (the TTL of the instance's check). Past it, this replica no
    // longer probes the instance (demoted, instance disabled) and its last word must not keep an
    // alert firing, nor contradict the replica that probes now.
    this.healthSeriesMaxAgeMs = Math.max(10_000, 3 * config.PROBE_INTERVAL_MS);
    metrics.addCollector(() => this.exportHealth());
  }

  async probe(instance: ProviderInstance): Promise<ProbeReport> {
    const previous = this.tracked.get(instance.id) ?? (await this.seed(instance.id));
    const adapter = adapterFor(instance.provider as ProviderName);
    let ok = false;
    let latencyMs = 0;
    let error: string | undefined;
    let accountFault: ProviderError | undefined;
    let apiKey: string | undefined;
    const started = performance.now();
    try {
      const credential = this.credentials.resolve(instance);
      if (credential.apiKey === undefined) throw new Error(credential.reason);
      apiKey = credential.apiKey;
      const result = await this.client.probe(adapter, providerTarget(instance, credential.apiKey), {
        timeoutMs: this.config.PROBE_TIMEOUT_MS,
      });
      ok = true;
      latencyMs = result.latencyMs;
    } catch (failure) {
      latencyMs = performance.now() - started;
      if (failure instanceof ProviderError && failure.accountFault) accountFault = failure;
      error =
        failure instanceof ProviderError
          ? `${ACCOUNT_FAULT_WORDS[failure.kind] ?? failure.kind}${failure.status ? ` (HTTP ${failure.status})` : ''}: ${failure.message}`
          : // ProviderErrors are redacted where they are made; anything else is redacted here, before Consul.
            redactSecrets(describeError(failure), [apiKey]);
    }
    let state = nextHealth(previous, ok, this.thresholds, !previous.probed);
    if (accountFault) {
      // A rejected key fails every request the same way: critical now, not after a streak.
      state = { ...state, status: 'critical' };
      this.metrics.accountFailures.inc({ provider: instance.provider, kind: accountFault.kind, source: 'probe' });
    }
    this.metrics.probeDuration.observe(
      { provider: instance.provider, outcome: ok ? 'success' : 'failure' },
      latencyMs / 1000,
    );
    if (previous.status !== state.status || !previous.probed)
      this.metrics.instanceStatusChanges.inc({ provider: instance.provider, status: state.status });
    const rounded = Math.round(latencyMs);
    const now = Date.now();
    const lastFailure = error ? { at: now, error } : previous.lastFailure;
    const output = probeOutput(
      { ok, latencyMs: rounded, consecutiveFailures: state.consecutiveFailures, error },
      lastFailure,
      now,
      this.rememberFailureMs,
    );
    const tracked: Tracked = {
      ...state,
      probed: true,
      output,
      lastFailure,
      health: previous.health,
      probedHere: { provider: instance.provider, name: instance.name, at: now },
    };
    this.tracked.set(instance.id, tracked);
    if (previous.status !== state.status && previous.probed) {
      this.logger.log(`${instance.name} (${instance.provider}) is now ${state.status}: ${output}`);
    }
    try {
      await this.registry.updateCheck(instance, { status: state.status, output });
    } catch (failure) {
      // Consul away or the service not registered yet: the reconciler registers it with this status.
      this.logger.debug(`Could not update the Consul check of ${instance.name}: ${describeError(failure)}`);
    }
    const metrics = await this.store.record(
      {
        instanceId: instance.id,
        provider: instance.provider,
        ok,
        latencyMs: rounded,
        error,
        status: state.status,
        consecutiveFailures: state.consecutiveFailures,
        consecutiveSuccesses: state.consecutiveSuccesses,
        at: now,
      },
      this.metricsTtlSeconds,
    );
    // Meta follows from the same score Redis holds; the reconciler re-registers when it moved.
    tracked.health = nextPublishedHealth(previous.health, state.status, metrics.score, now);
    return {
      instanceId: instance.id,
      ok,
      latencyMs: rounded,
      status: state.status,
      output,
      health: tracked.health,
      metrics,
    };
  }

  /**
   * Where a new leader (or a follower's probe-now) starts: the state the previous prober left in
   * Redis, so a failover neither forgets a failing streak nor condemns a healthy instance at once.
   */
  private async seed(instanceId: string): Promise<Tracked> {
    const stored = await this.store.read(instanceId).catch(() => undefined);
    if (!stored) return { ...INITIAL_HEALTH, probed: false, output: '' };
    return {
      status: stored.status,
      consecutiveFailures: stored.consecutiveFailures,
      consecutiveSuccesses: stored.consecutiveSuccesses,
      probed: true,
      output: stored.lastError ? `last probe failed: ${stored.lastError}` : 'last probe ok',
    };
  }

  /** The last check status this process computed, for (re-)registration. */
  known(instanceId: string): KnownCheck | undefined {
    const tracked = this.tracked.get(instanceId);
    return tracked?.probed ? { status: tracked.status, output: tracked.output, health: tracked.health } : undefined;
  }

  forget(instanceId: string): void {
    this.tracked.delete(instanceId);
  }

  /** Sets switchboard_instance_health from the instances this replica probed recently, and only those. */
  private exportHealth(): void {
    this.metrics.instanceHealth.reset();
    const oldest = Date.now() - this.healthSeriesMaxAgeMs;
    for (const { status, probedHere } of this.tracked.values())
      if (probedHere && probedHere.at >= oldest)
        this.metrics.instanceHealth.set(
          { provider: probedHere.provider, instance: probedHere.name },
          HEALTH_VALUE[status],
        );
  }
}
