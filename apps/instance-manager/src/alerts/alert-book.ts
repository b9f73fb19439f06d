import { Injectable, Logger } from '@nestjs/common';
import { Prisma } from '@switchboard/database';
import { describeError, withDeadline } from '@switchboard/kernel';
import { type DeliveryRecord, deliveryKey } from './alert-deliveries.js';
import type { AlertAdvance, AlertRecord } from './alert-lifecycle.js';
import { AlertsRepository } from './alerts.repository.js';

/**
 * The leader's alerts in memory, and their way to Postgres. Evaluation and notification work on
 * memory only; every change is queued and written in order (alerts before their deliveries), so
 * while Postgres is away evaluation goes on and the writes catch up when it is back.
 *
 * Written by the evaluator and the notifier on the leader; read by the API and the dashboard.
 */
@Injectable()
export class AlertBook {
  private readonly logger = new Logger(AlertBook.name);
  /** Pending and firing alerts, by fingerprint. */
  private open = new Map<string, AlertRecord>();
  /** Resolved alerts that may still owe a resolved notification, by id. */
  private settling = new Map<string, AlertRecord>();
  private deliveries = new Map<string, DeliveryRecord>();
  private unsavedAlerts = new Map<string, AlertRecord>();
  private unsavedDeletes = new Set<string>();
  private unsavedDeliveries = new Map<string, DeliveryRecord>();
  private flushing: Promise<void> = Promise.resolve();
  /** A flush waiting behind the one in progress, not started yet: later callers join it. */
  private waitingFlush: Promise<void> | undefined;
  /**
   * Bumped by reset(). A write started in an earlier term stops at its next row: a replica that
   * stepped down must not upsert its stale alerts after the new leader has read Postgres.
   */
  private epoch = 0;
  private loadedFromDatabase = false;
  private writeError: string | undefined;

  constructor(private readonly repository: AlertsRepository) {}

  /** Whether Postgres has been read since this replica became the leader. */
  get loaded(): boolean {
    return this.loadedFromDatabase;
  }

  /** Why the last write failed, while writes are queued in memory. */
  get persistenceError(): string | undefined {
    return this.writeError;
  }

  openAlerts(): AlertRecord[] {
    return [...this.open.values()];
  }

  /** Alerts that may be owed a notification: firing ones, and resolved ones not yet settled. */
  notifiable(): AlertRecord[] {
    return [...[...this.open.values()].filter((alert) => alert.state === 'firing'), ...this.settling.values()];
  }

  delivery(alertId: string, webhookId: string): DeliveryRecord | undefined {
    return this.deliveries.get(deliveryKey(alertId, webhookId));
  }

  deliveriesOf(alertId: string): DeliveryRecord[] {
    return [...this.deliveries.values()].filter((record) => record.alertId === alertId);
  }

  /**
   * Forgets everything and stops the writes in progress at their next row: on becoming the leader
   * (Postgres is read next) and on stepping down.
   */
  reset(): void {
    this.epoch += 1;
    for (const map of [this.open, this.settling, this.deliveries, this.unsavedAlerts, this.unsavedDeliveries])
      map.clear();
    this.unsavedDeletes.clear();
    this.loadedFromDatabase = false;
    this.writeError = undefined;
  }

  /**
   * Continues from Postgres. Alerts this replica raised while Postgres was unreadable take the
   * stored identity of the same condition, so an alert another leader fired is not fired again.
   * Returns false (and stays unloaded) when Postgres cannot be read within limitMs.
   */
  async load(now: Date, limitMs: number): Promise<boolean> {
    const epoch = this.epoch;
    let stored: Awaited<ReturnType<AlertsRepository['loadForLeader']>>;
    try {
      stored = await withDeadline(this.repository.loadForLeader(now), limitMs, 'reading the alerts');
    } catch (error) {
      this.noteWriteError(`cannot read alerts from Postgres (${describeError(error)})`);
      return false;
    }
    if (epoch !== this.epoch) return false;
    for (const record of stored.deliveries) {
      const key = deliveryKey(record.alertId, record.webhookId);
      if (!this.deliveries.has(key)) this.deliveries.set(key, record);
    }
    for (const alert of stored.alerts) {
      if (alert.state === 'resolved') this.settling.set(alert.id, alert);
      else this.adoptStored(alert);
    }
    this.loadedFromDatabase = true;
    return true;
  }

  private adoptStored(alert: AlertRecord): void {
    const mine = this.open.get(alert.fingerprint);
    if (!mine) {
      this.open.set(alert.fingerprint, alert);
      return;
    }
    if (mine.id === alert.id) return;
    const merged: AlertRecord = {
      ...mine,
      id: alert.id,
      startsAt: new Date(Math.min(alert.startsAt.getTime(), mine.startsAt.getTime())),
      firedAt: alert.firedAt ?? mine.firedAt,
      state: alert.state === 'firing' ? 'firing' : mine.state,
    };
    for (const record of this.deliveriesOf(mine.id)) {
      this.deliveries.delete(deliveryKey(mine.id, record.webhookId));
      const key = deliveryKey(alert.id, record.webhookId);
      if (!this.deliveries.has(key)) this.queueDelivery({ ...record, alertId: alert.id });
      this.unsavedDeliveries.delete(deliveryKey(mine.id, record.webhookId));
    }
    this.open.set(alert.fingerprint, merged);
    this.unsavedAlerts.delete(mine.id);
    this.unsavedDeletes.add(mine.id);
    this.unsavedAlerts.set(merged.id, merged);
  }

  /** Takes one evaluation's result into memory and queues its writes. */
  apply(advance: AlertAdvance): void {
    this.open = new Map(advance.open.map((alert) => [alert.fingerprint, alert]));
    for (const alert of advance.changed) this.unsavedAlerts.set(alert.id, alert);
    for (const alert of advance.resolved) this.settling.set(alert.id, alert);
    for (const alert of advance.dropped) {
      this.unsavedAlerts.delete(alert.id);
      this.unsavedDeletes.add(alert.id);
    }
  }

  /** Records a delivery's new state and writes it (with anything queued before it). */
  async recordDelivery(record: DeliveryRecord): Promise<void> {
    this.queueDelivery(record);
    await this.flush();
  }

  private queueDelivery(record: DeliveryRecord): void {
    const key = deliveryKey(record.alertId, record.webhookId);
    this.deliveries.set(key, record);
    this.unsavedDeliveries.set(key, record);
  }

  /** Drops resolved alerts that owe nothing more; their rows stay in Postgres as history. */
  settle(owesNotification: (alert: AlertRecord) => boolean): void {
    for (const [id, alert] of this.settling) {
      if (owesNotification(alert) || this.unsavedAlerts.has(id)) continue;
      this.settling.delete(id);
      for (const record of this.deliveriesOf(id)) this.deliveries.delete(deliveryKey(id, record.webhookId));
    }
  }

  forgetWebhook(webhookId: string): void {
    for (const [key, record] of this.deliveries)
      if (record.webhookId === webhookId) {
        this.deliveries.delete(key);
        this.unsavedDeliveries.delete(key);
      }
  }

  /**
   * Writes what is queued, in order; what fails stays queued for the next flush. Never throws.
   * While a write hangs, callers share the one flush waiting behind it (it writes whatever is
   * queued when it starts), so a long outage does not pile up a flush per round.
   */
  flush(): Promise<void> {
    if (this.waitingFlush) return this.waitingFlush;
    const next = this.flushing.then(() => {
      this.waitingFlush = undefined;
      return this.writeQueued();
    });
    this.waitingFlush = next;
    this.flushing = next;
    return next;
  }

  /**
   * Waits for the flush in progress (and the one queued behind it) to end, at most limitMs.
   * Returns whether they ended: a hung Postgres must not hold the caller.
   */
  async writesSettled(limitMs: number): Promise<boolean> {
    try {
      await withDeadline(this.flushing, limitMs, 'writing the alerts');
      return true;
    } catch {
      return false;
    }
  }

  private async writeQueued(): Promise<void> {
    const epoch = this.epoch;
    const current = () => epoch === this.epoch;
    try {
      for (const [id, alert] of [...this.unsavedAlerts]) {
        if (!current()) return;
        await this.repository.saveAlert(alert);
        if (this.unsavedAlerts.get(id) === alert) this.unsavedAlerts.delete(id);
      }
      for (const id of [...this.unsavedDeletes]) {
        if (!current()) return;
        await this.repository.deleteAlert(id);
        this.unsavedDeletes.delete(id);
      }
      for (const [key, record] of [...this.unsavedDeliveries]) {
        if (!current()) return;
        await this.saveDelivery(record);
        if (this.unsavedDeliveries.get(key) === record) this.unsavedDeliveries.delete(key);
      }
      if (!current()) return;
      if (this.writeError) this.logger.log('Alerts are written to Postgres again; the queued changes caught up');
      this.writeError = undefined;
    } catch (error) {
      if (current()) this.noteWriteError(`cannot write alerts to Postgres (${describeError(error)})`);
    }
  }

  /** A delivery to a webhook deleted meanwhile has no row to refer to: it is dropped, not retried forever. */
  private async saveDelivery(record: DeliveryRecord): Promise<void> {
    try {
      await this.repository.saveDelivery(record);
    } catch (error) {
      const missingReference = error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003';
      if (!missingReference) throw error;
      this.logger.warn(`Dropped the delivery record of alert ${record.alertId}: ${describeError(error)}`);
    }
  }

  private noteWriteError(message: string): void {
    if (!this.writeError) this.logger.warn(`${message}; evaluating in memory and retrying`);
    this.writeError = message;
  }
}
