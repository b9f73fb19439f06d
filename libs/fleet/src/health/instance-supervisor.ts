import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, describeError } from '@switchboard/kernel';
import { ConsulClient, ConsulRegistrationService, LeaderElection } from '@switchboard/consul';
import { InstanceProber } from './instance-prober.js';
import { InstanceRegistry } from '../registration/instance-registry.js';
import { InstancesRepository } from '../instances/instances.repository.js';
import type { ProviderInstance } from '@switchboard/database';

export const LEADER_LOCK_KEY = 'switchboard/locks/instance-manager/leader';
export const PROBE_CONCURRENCY = 16;

/**
 * The background work of the instance-manager, done by one replica at a time (the Consul lock
 * holder): probing every enabled instance on an interval, and bringing Consul in line with the
 * database (anti-entropy). When the leader dies, another replica takes over within the lock
 * session's TTL.
 */
@Injectable()
export class InstanceSupervisor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InstanceSupervisor.name);
  private readonly election: LeaderElection;
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  /** Bumped on every start and stop, so a round still running from an older term cannot reschedule. */
  private generation = 0;
  private lastProbeRoundAt: Date | undefined;
  private lastReconcileAt: Date | undefined;
  private lastReconcileError: string | undefined;
  /**
   * The enabled instances as last read from Postgres. Probing goes on from this list while Postgres
   * is away: the rows carry everything a probe needs (address, encrypted key), and a fleet that
   * stops being probed would expire to critical in Consul although every upstream is healthy.
   */
  private knownInstances: ProviderInstance[] | undefined;
  private instanceListError: string | undefined;

  constructor(
    consul: ConsulClient,
    private readonly config: AppConfig,
    private readonly instances: InstancesRepository,
    private readonly prober: InstanceProber,
    private readonly registry: InstanceRegistry,
    private readonly registration: ConsulRegistrationService,
  ) {
    this.election = new LeaderElection(consul, LEADER_LOCK_KEY, {
      holder: config.serviceId,
      onElected: () => this.startLoops(),
      onDemoted: () => this.stopLoops(),
      // Tied to this replica's readiness check: if the leader dies, Consul's HTTP check fails within
      // one check interval and the lock is free at once, rather than after the session TTL.
      serviceChecks: registration.enabled ? [registration.checkId] : undefined,
      onMissingCheck: () => void registration.verify(),
    });
  }

  onApplicationBootstrap(): void {
    // The session can only name the readiness check once the app is registered.
    if (this.registration.enabled) void this.registration.registered.then(() => this.election.start());
    else this.election.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopLoops();
    await this.election.stop();
  }

  /** Whether this replica holds the lock now: other leader-only work (alert evaluation) follows it. */
  get isLeader(): boolean {
    return this.election.isLeader;
  }

  get status() {
    return {
      leader: this.election.isLeader,
      holder: this.config.serviceId,
      probeIntervalMs: this.config.PROBE_INTERVAL_MS,
      lastProbeRoundAt: this.lastProbeRoundAt?.toISOString(),
      lastReconcileAt: this.lastReconcileAt?.toISOString(),
      lastReconcileError: this.lastReconcileError,
      instanceListError: this.instanceListError,
    };
  }

  /** Runs anti-entropy now (after an admin change), whoever the leader is: registration is idempotent. */
  async reconcileNow(): Promise<void> {
    const wanted = await this.enabledInstances();
    await this.registry.reconcile(wanted, (id) => this.prober.known(id));
    this.lastReconcileAt = new Date();
    this.lastReconcileError = undefined;
  }

  private startLoops(): void {
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    this.schedule(generation, () => this.reconcileRound(), 0, this.config.RECONCILE_INTERVAL_MS);
    this.schedule(generation, () => this.probeRound(generation), 0, this.config.PROBE_INTERVAL_MS);
  }

  private stopLoops(): void {
    this.running = false;
    this.generation += 1;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  /** Runs work now and then every interval after it finishes, so rounds never overlap. */
  private schedule(generation: number, work: () => Promise<void>, delayMs: number, intervalMs: number): void {
    const timer = setTimeout(async () => {
      this.timers = this.timers.filter((entry) => entry !== timer);
      if (generation !== this.generation) return;
      const started = Date.now();
      await work();
      if (generation === this.generation)
        this.schedule(generation, work, Math.max(0, intervalMs - (Date.now() - started)), intervalMs);
    }, delayMs);
    timer.unref();
    this.timers.push(timer);
  }

  private async reconcileRound(): Promise<void> {
    try {
      await this.reconcileNow();
    } catch (error) {
      const message = describeError(error);
      if (message !== this.lastReconcileError) this.logger.warn(`Reconcile failed: ${message}`);
      this.lastReconcileError = message;
    }
  }

  /** Reads the enabled instances and remembers them for probing through a database outage. */
  private async enabledInstances(): Promise<ProviderInstance[]> {
    const instances = await this.instances.findMany({ enabled: true });
    this.knownInstances = instances;
    if (this.instanceListError) this.logger.log('Instance list readable again; probing the current one');
    this.instanceListError = undefined;
    return instances;
  }

  /** The current list, or the last known one when Postgres fails (none before the first read). */
  private async probeList(): Promise<ProviderInstance[]> {
    try {
      return await this.enabledInstances();
    } catch (error) {
      if (!this.knownInstances) throw error;
      const message = describeError(error);
      if (!this.instanceListError)
        this.logger.warn(`Cannot read instances (${message}); probing the ${this.knownInstances.length} last known`);
      this.instanceListError = message;
      return this.knownInstances;
    }
  }

  private async probeRound(generation: number): Promise<void> {
    try {
      const queue = [...(await this.probeList())];
      // A pool of workers rather than lockstep batches: one slow upstream holds up one worker only.
      const worker = async () => {
        for (let instance = queue.shift(); instance && generation === this.generation; instance = queue.shift())
          await this.prober.probe(instance);
      };
      await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, worker));
      this.lastProbeRoundAt = new Date();
    } catch (error) {
      this.logger.warn(`Probe round failed: ${describeError(error)}`);
    }
  }
}
