import type { AlertRecord } from './alert-lifecycle.js';

/** The last notification of one alert to one webhook. */
export interface DeliveryRecord {
  alertId: string;
  webhookId: string;
  /** The alert state that notification told. */
  notifiedState: 'firing' | 'resolved';
  /** When it was claimed, just before the first attempt: the repeat interval counts from here. */
  notifiedAt: Date;
  /** sending: attempts go on (or a leader stopped during them); failed: every attempt failed. */
  outcome: 'sending' | 'delivered' | 'failed';
  attempts: number;
  lastError?: string;
}

export const deliveryKey = (alertId: string, webhookId: string) => `${alertId}/${webhookId}`;

/**
 * Which notification an alert owes a webhook now, if any. Firing: the first one, then one per
 * repeat interval; resolved: one, only when firing was told. A notification left `sending` by a
 * leader that stopped is sent again unless this process is still sending it. Pure.
 */
export function notificationDue(
  alert: AlertRecord,
  last: DeliveryRecord | undefined,
  now: Date,
  repeatMillis: number,
  inFlight: boolean,
): 'firing' | 'resolved' | undefined {
  if (inFlight || alert.state === 'pending') return undefined;
  const interrupted = last?.outcome === 'sending';
  if (alert.state === 'firing') {
    if (last?.notifiedState !== 'firing' || interrupted) return 'firing';
    return now.getTime() - last.notifiedAt.getTime() >= repeatMillis ? 'firing' : undefined;
  }
  if (last?.notifiedState === 'firing') return 'resolved';
  return last?.notifiedState === 'resolved' && interrupted ? 'resolved' : undefined;
}
