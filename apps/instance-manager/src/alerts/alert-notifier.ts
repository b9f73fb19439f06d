import { Injectable, Logger } from '@nestjs/common';
import { CredentialCipher } from '@switchboard/fleet';
import { describeError, withDeadline } from '@switchboard/kernel';
import { AlertBook } from './alert-book.js';
import { type DeliveryRecord, deliveryKey, notificationDue } from './alert-deliveries.js';
import type { AlertRecord } from './alert-lifecycle.js';
import { type Notification, payloadFor, type WebhookKind } from './alert-payloads.js';
import { AlertsRepository } from './alerts.repository.js';
import { type DeliveryOutcome, WebhookSender } from './webhook-sender.js';

/** A webhook with its URL decrypted: held in memory on the leader only, never logged or returned. */
export interface ReadyWebhook {
  id: string;
  name: string;
  kind: WebhookKind;
  url: string;
}

/**
 * Sends what the alerts owe each webhook. A notification is claimed (recorded as `sending`, with
 * its time) before the first attempt, so a leader that takes over does not send it again within
 * the repeat interval. Deliveries run in the background: a slow or failing receiver never holds
 * up evaluation.
 */
@Injectable()
export class AlertNotifier {
  private readonly logger = new Logger(AlertNotifier.name);
  private webhooks: ReadyWebhook[] = [];
  private webhookListError: string | undefined;
  private readonly inFlight = new Map<string, AbortController>();

  constructor(
    private readonly book: AlertBook,
    private readonly repository: AlertsRepository,
    private readonly cipher: CredentialCipher,
    private readonly sender: WebhookSender,
  ) {}

  /** The webhooks as last read; kept through a Postgres outage so notifications still go out. */
  get knownWebhooks(): readonly ReadyWebhook[] {
    return this.webhooks;
  }

  /** Reads the webhooks again; past limitMs (a hung Postgres) or on failure the last known stay. */
  async refreshWebhooks(limitMs: number): Promise<void> {
    try {
      const stored = await withDeadline(this.repository.listWebhooks(), limitMs, 'reading the alert webhooks');
      this.webhooks = stored.filter((webhook) => webhook.enabled).flatMap((webhook) => this.ready(webhook));
      this.webhookListError = undefined;
    } catch (error) {
      if (!this.webhookListError)
        this.logger.warn(`Cannot read the alert webhooks (${describeError(error)}); using the last known`);
      this.webhookListError = describeError(error);
    }
  }

  private ready(webhook: { id: string; name: string; kind: string; urlCiphertext: string }): ReadyWebhook[] {
    try {
      const url = this.cipher.decrypt(webhook.urlCiphertext);
      return [{ id: webhook.id, name: webhook.name, kind: webhook.kind as WebhookKind, url }];
    } catch (error) {
      this.logger.warn(`Alert webhook ${webhook.name} is skipped: ${describeError(error)}`);
      return [];
    }
  }

  /** Starts every notification that is due now; returns without waiting for them. */
  dispatch(now: Date, repeatMillis: number): void {
    for (const alert of this.book.notifiable())
      for (const webhook of this.webhooks) {
        const key = deliveryKey(alert.id, webhook.id);
        const due = notificationDue(
          alert,
          this.book.delivery(alert.id, webhook.id),
          now,
          repeatMillis,
          this.inFlight.has(key),
        );
        if (due) this.start(alert, webhook, due, now);
      }
  }

  /** Whether the alert still owes (or is sending) a notification to any webhook. */
  owes(alert: AlertRecord, now: Date, repeatMillis: number): boolean {
    return this.webhooks.some((webhook) => {
      const key = deliveryKey(alert.id, webhook.id);
      if (this.inFlight.has(key)) return true;
      return notificationDue(alert, this.book.delivery(alert.id, webhook.id), now, repeatMillis, false) !== undefined;
    });
  }

  /** Abandons deliveries in progress: on stepping down, the next leader sends what is left `sending`. */
  stopAll(): void {
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
  }

  forgetWebhook(webhookId: string): void {
    this.webhooks = this.webhooks.filter((webhook) => webhook.id !== webhookId);
    for (const [key, controller] of this.inFlight)
      if (key.endsWith(`/${webhookId}`)) {
        controller.abort();
        this.inFlight.delete(key);
      }
  }

  /** One notification now, outside the lifecycle (the test endpoint): a single attempt, its outcome returned. */
  async sendOnce(webhook: ReadyWebhook, notification: Notification): Promise<DeliveryOutcome> {
    const outcome = await this.sender.deliver(webhook.url, payloadFor(webhook.kind, notification), undefined, {
      maxAttempts: 1,
    });
    await this.noteWebhookOutcome(webhook.id, outcome);
    return outcome;
  }

  private start(alert: AlertRecord, webhook: ReadyWebhook, status: 'firing' | 'resolved', now: Date): void {
    const key = deliveryKey(alert.id, webhook.id);
    const controller = new AbortController();
    this.inFlight.set(key, controller);
    void this.run(alert, webhook, status, now, controller)
      .catch((error: unknown) => this.logger.error(`Delivery to ${webhook.name} failed: ${describeError(error)}`))
      .finally(() => {
        if (this.inFlight.get(key) === controller) this.inFlight.delete(key);
      });
  }

  private async run(
    alert: AlertRecord,
    webhook: ReadyWebhook,
    status: 'firing' | 'resolved',
    now: Date,
    controller: AbortController,
  ): Promise<void> {
    const claim: DeliveryRecord = {
      alertId: alert.id,
      webhookId: webhook.id,
      notifiedState: status,
      notifiedAt: now,
      outcome: 'sending',
      attempts: 0,
    };
    await this.book.recordDelivery(claim);
    const payload = payloadFor(webhook.kind, { alert, status, receiver: webhook.name });
    const outcome = await this.sender.deliver(webhook.url, payload, controller.signal, {
      onFailedAttempt: (failed) =>
        this.logger.warn(
          `Alert ${alert.alertname} to webhook ${webhook.name}: attempt ${failed.attempts} failed: ${failed.error}`,
        ),
    });
    // A leader that stepped down leaves the claim `sending`: its successor sends it.
    if (controller.signal.aborted) return;
    await this.book.recordDelivery({
      ...claim,
      outcome: outcome.delivered ? 'delivered' : 'failed',
      attempts: outcome.attempts,
      lastError: outcome.error,
    });
    await this.noteWebhookOutcome(webhook.id, outcome);
  }

  private async noteWebhookOutcome(webhookId: string, outcome: DeliveryOutcome): Promise<void> {
    try {
      await this.repository.recordWebhookOutcome(webhookId, new Date(), outcome.delivered ? undefined : outcome.error);
    } catch (error) {
      this.logger.debug(`Could not record the outcome of webhook ${webhookId}: ${describeError(error)}`);
    }
  }
}
