import { Injectable } from '@nestjs/common';
import { InstanceSupervisor } from '@switchboard/fleet';
import type { ActiveAlertView } from '../monitoring/dashboard.dto.js';
import { ActiveAlertsSource } from '../monitoring/monitoring-source.js';
import { AlertBook } from './alert-book.js';
import type { DeliveryRecord } from './alert-deliveries.js';
import type { AlertRecord } from './alert-lifecycle.js';
import { AlertNotifier } from './alert-notifier.js';
import type { AlertsResponse, AlertView } from './alerts.dto.js';
import { AlertsRepository } from './alerts.repository.js';

/** A delivery as memory or Postgres holds it, with its webhook's name when known. */
interface DeliveryRow {
  webhookId: string;
  notifiedState: string;
  notifiedAt: Date;
  outcome: string;
  attempts: number;
  lastError?: string | null;
  webhook?: { name: string };
}

/**
 * The alerts as the API and the dashboard read them. The leader answers from memory (current even
 * while Postgres is away); other replicas read Postgres, which the leader keeps up to date. It
 * never evaluates anything, so the dashboard may call it while the evaluator reads the dashboard.
 */
@Injectable()
export class AlertsService extends ActiveAlertsSource {
  constructor(
    private readonly supervisor: InstanceSupervisor,
    private readonly book: AlertBook,
    private readonly notifier: AlertNotifier,
    private readonly repository: AlertsRepository,
  ) {
    super();
  }

  /** Pending and firing alerts for the monitoring dashboard, firing first, newest first. */
  async active(): Promise<ActiveAlertView[]> {
    const alerts = (await this.open()).sort(
      (a, b) => Number(b.state === 'firing') - Number(a.state === 'firing') || b.startsAt.localeCompare(a.startsAt),
    );
    return alerts.map(({ id, alertname, severity, state, summary, labels, startsAt, firedAt }) => ({
      id,
      alertname,
      severity,
      state,
      summary,
      labels,
      startsAt,
      ...(firedAt ? { firedAt } : {}),
    }));
  }

  async list(historyLimit: number): Promise<AlertsResponse> {
    const [active, history] = await Promise.all([this.open(), this.repository.listResolved(historyLimit)]);
    return { active, history: history.map((alert) => toAlertView(alert, alert.deliveries)) };
  }

  private async open(): Promise<AlertView[]> {
    if (this.supervisor.isLeader) {
      const names = new Map(this.notifier.knownWebhooks.map((webhook) => [webhook.id, webhook.name]));
      return this.book.openAlerts().map((alert) =>
        toAlertView(
          alert,
          this.book.deliveriesOf(alert.id).map((record) => ({ ...record, webhook: webhookName(names, record) })),
        ),
      );
    }
    return (await this.repository.listOpen()).map((alert) => toAlertView(alert, alert.deliveries));
  }
}

function webhookName(names: Map<string, string>, record: DeliveryRecord): { name: string } | undefined {
  const name = names.get(record.webhookId);
  return name === undefined ? undefined : { name };
}

export function toAlertView(alert: AlertRecord, deliveries: DeliveryRow[]): AlertView {
  return {
    id: alert.id,
    alertname: alert.alertname,
    severity: alert.severity,
    state: alert.state,
    summary: alert.summary,
    ...(alert.description ? { description: alert.description } : {}),
    labels: alert.labels,
    ...(alert.value === undefined ? {} : { value: alert.value }),
    startsAt: alert.startsAt.toISOString(),
    ...(alert.firedAt ? { firedAt: alert.firedAt.toISOString() } : {}),
    ...(alert.endsAt ? { endsAt: alert.endsAt.toISOString() } : {}),
    notifications: deliveries.map((record) => ({
      webhookId: record.webhookId,
      ...(record.webhook ? { webhook: record.webhook.name } : {}),
      state: record.notifiedState,
      notifiedAt: record.notifiedAt.toISOString(),
      outcome: record.outcome,
      attempts: record.attempts,
      ...(record.lastError ? { lastError: record.lastError } : {}),
    })),
  };
}
