import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InstanceSupervisor } from '@switchboard/fleet';
import { AppConfig, describeError, MetricsService } from '@switchboard/kernel';
import { MonitoringSource } from '../monitoring/monitoring-source.js';
import { AlertBook } from './alert-book.js';
import { advanceAlerts } from './alert-lifecycle.js';
import { AlertNotifier } from './alert-notifier.js';
import { evaluateRules, rulesMissingSources } from './alert-rules.js';
import { ALERT_NAMES, ALERT_RULES, type AlertName } from './alerting-thresholds.js';
import { AlertingThresholdsStore } from './alerting-thresholds.store.js';

/**
 * How long a round waits on each Postgres read (alerts on taking over, the webhooks). Prisma has
 * no query timeout, and a partitioned Postgres (packets dropped) would hold every round until TCP
 * gives up; past this the round goes on with what it knows. Writes are never waited for.
 */
const POSTGRES_READ_LIMIT_MS = 3_000;

/**
 * How long stepping down waits for the write in progress: the one row being written lands before
 * this replica forgets its alerts, but a hung Postgres does not hold the replica.
 */
const STEP_DOWN_WRITE_LIMIT_MS = 5_000;

/**
 * Evaluates the alert rules every ALERT_EVAL_INTERVAL_MS on the instance-manager leader (the
 * InstanceSupervisor's lock holder, so there is one election, not two). Every replica runs the
 * timer; only the leader evaluates. On becoming the leader it continues from Postgres.
 */
@Injectable()
export class AlertEvaluator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AlertEvaluator.name);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private leading = false;
  private sourceError: string | undefined;
  /** The rules held last round for want of a source, to log when that changes. */
  private heldRules = '';
  private lastEvaluationAt: Date | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly supervisor: InstanceSupervisor,
    private readonly source: MonitoringSource,
    private readonly thresholds: AlertingThresholdsStore,
    private readonly book: AlertBook,
    private readonly notifier: AlertNotifier,
    private readonly metrics: MetricsService,
  ) {}

  get status() {
    return {
      leader: this.leading,
      lastEvaluationAt: this.lastEvaluationAt?.toISOString(),
      sourceError: this.sourceError,
      persistenceError: this.book.persistenceError,
    };
  }

  onApplicationBootstrap(): void {
    this.metrics.addCollector(() => this.exportFiring());
    this.schedule(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.notifier.stopAll();
  }

  /** Runs a round now and the next one an interval after it started, so rounds never overlap. */
  private schedule(delayMs: number): void {
    this.timer = setTimeout(async () => {
      const started = Date.now();
      try {
        await this.round(new Date());
      } catch (error) {
        this.logger.error(`Alert evaluation failed: ${describeError(error)}`);
      }
      if (!this.stopped) this.schedule(Math.max(0, this.config.ALERT_EVAL_INTERVAL_MS - (Date.now() - started)));
    }, delayMs);
    this.timer.unref();
  }

  private async round(now: Date): Promise<void> {
    if (!this.supervisor.isLeader) {
      if (this.leading) await this.stepDown();
      return;
    }
    if (!this.leading) this.takeOver();
    if (!this.book.loaded) await this.book.load(now, POSTGRES_READ_LIMIT_MS);
    await this.notifier.refreshWebhooks(POSTGRES_READ_LIMIT_MS);
    const dashboard = await this.readDashboard();
    if (!dashboard) return;
    const { thresholds } = this.thresholds;
    const forMillis = (alertname: string) => thresholds.rules[alertname as AlertName].forSeconds * 1000;
    const held = rulesMissingSources(dashboard);
    this.noteHeldRules(held, dashboard.sources.unavailable);
    const conditions = evaluateRules(dashboard, thresholds, now);
    const advance = advanceAlerts(this.book.openAlerts(), conditions, now, forMillis, { held });
    this.book.apply(advance);
    for (const alert of advance.changed)
      if (alert.startsAt === now || alert.firedAt === now || alert.state === 'resolved')
        this.logger.log(`Alert ${alert.alertname} ${JSON.stringify(alert.labels)} is ${alert.state}`);
    // Not awaited: the book writes in order and keeps what Postgres has not taken, so a slow or
    // partitioned Postgres delays the rows, never the round (nor the notifications).
    void this.book.flush();
    const repeatMillis = thresholds.repeatIntervalSeconds * 1000;
    this.notifier.dispatch(now, repeatMillis);
    this.book.settle((alert) => this.notifier.owes(alert, now, repeatMillis));
    this.lastEvaluationAt = now;
  }

  private async readDashboard() {
    try {
      const dashboard = await this.source.assemble();
      if (this.sourceError) this.logger.log('The monitoring view is readable again; evaluating alerts');
      this.sourceError = undefined;
      return dashboard;
    } catch (error) {
      // Without a view nothing can be said: alerts keep their state rather than all resolving.
      if (!this.sourceError)
        this.logger.warn(`Cannot assemble the monitoring view (${describeError(error)}); alerts keep their state`);
      this.sourceError = describeError(error);
      return undefined;
    }
  }

  private noteHeldRules(held: ReadonlySet<string>, unavailable: readonly string[]): void {
    const names = [...held].join(', ');
    if (names === this.heldRules) return;
    if (names)
      this.logger.warn(
        `${names} keep their alerts as they are while a source is unavailable (${unavailable.join('; ')})`,
      );
    else this.logger.log('Every alert rule is judged again: its sources are readable');
    this.heldRules = names;
  }

  private takeOver(): void {
    this.leading = true;
    this.book.reset();
    this.logger.log('This replica leads: evaluating alerts, continuing from Postgres');
  }

  /**
   * Stops sending and writing: reset() stops the flush in progress at its next row, and the row
   * being written is waited for (bounded), so this replica's writes are over before its next round.
   */
  private async stepDown(): Promise<void> {
    this.leading = false;
    this.notifier.stopAll();
    this.book.reset();
    if (!(await this.book.writesSettled(STEP_DOWN_WRITE_LIMIT_MS)))
      this.logger.warn(`A write of alerts to Postgres still hangs after ${STEP_DOWN_WRITE_LIMIT_MS} ms; stepping down`);
    this.logger.log('This replica no longer leads: alert evaluation stops here');
  }

  /** Every rule's series is exported (0 when quiet, and always 0 off the leader), so absence means no data. */
  private exportFiring(): void {
    const gauge = this.metrics.alertsActive;
    gauge.reset();
    for (const alertname of ALERT_NAMES) gauge.set({ alertname, severity: ALERT_RULES[alertname] }, 0);
    if (!this.leading) return;
    for (const alert of this.book.openAlerts())
      if (alert.state === 'firing') gauge.inc({ alertname: alert.alertname, severity: alert.severity });
  }
}
