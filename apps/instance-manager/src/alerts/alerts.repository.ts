import { Injectable } from '@nestjs/common';
import { type Alert, type AlertDelivery, type AlertWebhook, type Prisma, PrismaService } from '@switchboard/database';
import type { DeliveryRecord } from './alert-deliveries.js';
import type { AlertRecord, AlertState } from './alert-lifecycle.js';

/** How long a resolved alert is still read back at a leader's start, for a resolved notice it may owe. */
const OWED_RESOLVED_LOOKBACK_MS = 24 * 3600_000;

export type StoredWebhook = AlertWebhook;
export type StoredDelivery = AlertDelivery & { webhook: { name: string } };

/** Alerts, their webhooks and deliveries in Postgres: the only class of the alerts that touches it. */
@Injectable()
export class AlertsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async saveAlert(alert: AlertRecord): Promise<void> {
    const data = {
      fingerprint: alert.fingerprint,
      alertname: alert.alertname,
      severity: alert.severity,
      labels: alert.labels as Prisma.InputJsonValue,
      summary: alert.summary,
      description: alert.description ?? null,
      value: alert.value ?? null,
      state: alert.state,
      startsAt: alert.startsAt,
      firedAt: alert.firedAt ?? null,
      endsAt: alert.endsAt ?? null,
    };
    await this.prisma.alert.upsert({ where: { id: alert.id }, create: { id: alert.id, ...data }, update: data });
  }

  async deleteAlert(id: string): Promise<void> {
    await this.prisma.alert.deleteMany({ where: { id } });
  }

  async saveDelivery(record: DeliveryRecord): Promise<void> {
    const data = {
      notifiedState: record.notifiedState,
      notifiedAt: record.notifiedAt,
      outcome: record.outcome,
      attempts: record.attempts,
      lastError: record.lastError ?? null,
    };
    await this.prisma.alertDelivery.upsert({
      where: { alertId_webhookId: { alertId: record.alertId, webhookId: record.webhookId } },
      create: { alertId: record.alertId, webhookId: record.webhookId, ...data },
      update: data,
    });
  }

  /** What a new leader continues from: open alerts, recently resolved ones, and their deliveries. */
  async loadForLeader(now: Date): Promise<{ alerts: AlertRecord[]; deliveries: DeliveryRecord[] }> {
    const rows = await this.prisma.alert.findMany({
      where: {
        OR: [
          { state: { in: ['pending', 'firing'] } },
          {
            state: 'resolved',
            endsAt: { gte: new Date(now.getTime() - OWED_RESOLVED_LOOKBACK_MS) },
            deliveries: { some: { OR: [{ notifiedState: 'firing' }, { outcome: 'sending' }] } },
          },
        ],
      },
      include: { deliveries: true },
    });
    return {
      alerts: rows.map(toAlertRecord),
      deliveries: rows.flatMap((row) => row.deliveries.map(toDeliveryRecord)),
    };
  }

  async listOpen(): Promise<(AlertRecord & { deliveries: StoredDelivery[] })[]> {
    const rows = await this.prisma.alert.findMany({
      where: { state: { in: ['pending', 'firing'] } },
      orderBy: { startsAt: 'desc' },
      include: { deliveries: { include: { webhook: { select: { name: true } } } } },
    });
    return rows.map((row) => ({ ...toAlertRecord(row), deliveries: row.deliveries }));
  }

  /** Resolved alerts, newest end first (served by the state, ends_at index). */
  async listResolved(limit: number): Promise<(AlertRecord & { deliveries: StoredDelivery[] })[]> {
    const rows = await this.prisma.alert.findMany({
      where: { state: 'resolved' },
      orderBy: { endsAt: 'desc' },
      take: limit,
      include: { deliveries: { include: { webhook: { select: { name: true } } } } },
    });
    return rows.map((row) => ({ ...toAlertRecord(row), deliveries: row.deliveries }));
  }

  // ---- webhooks ------------------------------------------------------------------------------

  createWebhook(data: { name: string; kind: string; urlCiphertext: string; target: string }): Promise<StoredWebhook> {
    return this.prisma.alertWebhook.create({ data });
  }

  listWebhooks(): Promise<StoredWebhook[]> {
    return this.prisma.alertWebhook.findMany({ orderBy: { createdAt: 'asc' } });
  }

  findWebhook(id: string): Promise<StoredWebhook | null> {
    return this.prisma.alertWebhook.findUnique({ where: { id } });
  }

  async deleteWebhook(id: string): Promise<boolean> {
    const { count } = await this.prisma.alertWebhook.deleteMany({ where: { id } });
    return count > 0;
  }

  async recordWebhookOutcome(id: string, at: Date, error: string | undefined): Promise<void> {
    await this.prisma.alertWebhook.updateMany({
      where: { id },
      data: error === undefined ? { lastDeliveryAt: at, lastError: null } : { lastError: error },
    });
  }
}

function toAlertRecord(row: Alert): AlertRecord {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    alertname: row.alertname,
    severity: row.severity,
    labels: row.labels as Record<string, string>,
    summary: row.summary,
    description: row.description ?? undefined,
    value: row.value ?? undefined,
    state: row.state as AlertState,
    startsAt: row.startsAt,
    firedAt: row.firedAt ?? undefined,
    endsAt: row.endsAt ?? undefined,
  };
}

function toDeliveryRecord(row: AlertDelivery): DeliveryRecord {
  return {
    alertId: row.alertId,
    webhookId: row.webhookId,
    notifiedState: row.notifiedState as DeliveryRecord['notifiedState'],
    notifiedAt: row.notifiedAt,
    outcome: row.outcome as DeliveryRecord['outcome'],
    attempts: row.attempts,
    lastError: row.lastError ?? undefined,
  };
}
