import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '@switchboard/database';
import { AuditRepository, CredentialCipher } from '@switchboard/fleet';
import { AppConfig, DomainError, urlRefusal } from '@switchboard/kernel';
import { AlertBook } from './alert-book.js';
import { AlertNotifier } from './alert-notifier.js';
import type { WebhookKind } from './alert-payloads.js';
import type { WebhookTestResult, WebhookView } from './alerts.dto.js';
import { AlertsRepository, type StoredWebhook } from './alerts.repository.js';

export class InvalidWebhookError extends DomainError {
  readonly kind = 'invalid_request';

  constructor(
    override readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'InvalidWebhookError';
  }
}

export class WebhookNotFoundError extends DomainError {
  readonly kind = 'not_found';

  constructor(id: string) {
    super(`no alert webhook with id ${id}: GET /admin/alerts/webhooks lists them`);
    this.name = 'WebhookNotFoundError';
  }
}

export class DuplicateWebhookNameError extends DomainError {
  readonly kind = 'conflict';

  constructor(name: string) {
    super(`an alert webhook named ${name} exists already: choose another name, or delete that one first`);
    this.name = 'DuplicateWebhookNameError';
  }
}

/** What an operator may see of a webhook URL: scheme and host, never the path that holds its token. */
export function webhookTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/** Alert webhooks for the admin API: created (URL checked, then encrypted), listed, deleted, tested; audited. */
@Injectable()
export class AlertWebhooksService {
  constructor(
    private readonly config: AppConfig,
    private readonly repository: AlertsRepository,
    private readonly cipher: CredentialCipher,
    private readonly audit: AuditRepository,
    private readonly notifier: AlertNotifier,
    private readonly book: AlertBook,
  ) {}

  async list(): Promise<WebhookView[]> {
    return (await this.repository.listWebhooks()).map(toWebhookView);
  }

  async create(input: { name: string; kind: WebhookKind; url: string }, actor: string): Promise<WebhookView> {
    // The same destination policy as provider instances: the leader POSTs alert details there.
    const refusal = urlRefusal(input.url, this.config.destinationPolicy);
    if (refusal)
      throw new InvalidWebhookError('url', refusal.replace('put the key in apiKey or apiKeyEnv', 'remove it'));
    const target = webhookTarget(input.url);
    let stored: StoredWebhook;
    try {
      stored = await this.repository.createWebhook({
        name: input.name,
        kind: input.kind,
        urlCiphertext: this.cipher.encrypt(input.url),
        target,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateWebhookNameError(input.name);
      throw error;
    }
    await this.audit.record({
      actor,
      action: 'alert_webhook.create',
      targetType: 'alert_webhook',
      targetId: stored.id,
      details: { name: stored.name, kind: stored.kind, target },
    });
    return toWebhookView(stored);
  }

  async remove(id: string, actor: string): Promise<void> {
    const stored = await this.find(id);
    await this.repository.deleteWebhook(id);
    this.notifier.forgetWebhook(id);
    this.book.forgetWebhook(id);
    await this.audit.record({
      actor,
      action: 'alert_webhook.delete',
      targetType: 'alert_webhook',
      targetId: id,
      details: { name: stored.name, kind: stored.kind, target: stored.target },
    });
  }

  /** Sends a made-up firing alert once, from whichever replica is asked, and says how it went. */
  async test(id: string, actor: string): Promise<WebhookTestResult> {
    const stored = await this.find(id);
    const now = new Date();
    const outcome = await this.notifier.sendOnce(
      {
        id: stored.id,
        name: stored.name,
        kind: stored.kind as WebhookKind,
        url: this.cipher.decrypt(stored.urlCiphertext),
      },
      {
        status: 'firing',
        receiver: stored.name,
        alert: {
          id: randomUUID(),
          fingerprint: 'test',
          alertname: 'SwitchboardTestNotification',
          severity: 'info',
          labels: { webhook: stored.name },
          summary: `A test notification to webhook ${stored.name}, asked for by ${actor}`,
          state: 'firing',
          startsAt: now,
          firedAt: now,
        },
      },
    );
    await this.audit.record({
      actor,
      action: 'alert_webhook.test',
      targetType: 'alert_webhook',
      targetId: id,
      details: { name: stored.name, delivered: outcome.delivered, ...(outcome.error ? { error: outcome.error } : {}) },
    });
    return outcome;
  }

  private async find(id: string): Promise<StoredWebhook> {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
    const stored = uuid ? await this.repository.findWebhook(id) : null;
    if (!stored) throw new WebhookNotFoundError(id);
    return stored;
  }
}

function toWebhookView(webhook: StoredWebhook): WebhookView {
  return {
    id: webhook.id,
    name: webhook.name,
    kind: webhook.kind,
    target: webhook.target,
    enabled: webhook.enabled,
    ...(webhook.lastDeliveryAt ? { lastDeliveryAt: webhook.lastDeliveryAt.toISOString() } : {}),
    ...(webhook.lastError ? { lastError: webhook.lastError } : {}),
  };
}
