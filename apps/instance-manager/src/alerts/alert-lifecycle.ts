import { createHash, randomUUID } from 'node:crypto';
import type { AlertCondition } from './alert-rules.js';

export type AlertState = 'pending' | 'firing' | 'resolved';

/** An alert with its lifecycle, as held in memory by the leader and stored in Postgres. */
export interface AlertRecord {
  id: string;
  fingerprint: string;
  alertname: string;
  severity: string;
  labels: Record<string, string>;
  summary: string;
  description?: string;
  value?: number;
  state: AlertState;
  startsAt: Date;
  firedAt?: Date;
  endsAt?: Date;
}

/** What one evaluation changed. */
export interface AlertAdvance {
  /** Pending and firing alerts after this evaluation. */
  open: AlertRecord[];
  /** Alerts to store: new ones, and those whose state or figures changed. */
  changed: AlertRecord[];
  /** Firing alerts whose condition is gone: resolved now (also in `changed`). */
  resolved: AlertRecord[];
  /** Pending alerts whose condition went away before they fired: forgotten, not history. */
  dropped: AlertRecord[];
}

export interface AdvanceOptions {
  /**
   * Rules that cannot be judged this round (a source they read is unavailable): their open alerts
   * are carried over as they are, neither resolved nor advanced, and their conditions are ignored.
   */
  held?: ReadonlySet<string>;
  newId?: () => string;
}

/** Identifies a condition across evaluations: its rule and its labels, in a stable order. */
export function fingerprintOf(alertname: string, labels: Record<string, string>): string {
  const canonical = JSON.stringify([alertname, Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

const sameFigures = (alert: AlertRecord, condition: AlertCondition) =>
  alert.summary === condition.summary && alert.description === condition.description && alert.value === condition.value;

/**
 * One step of the alert state machine: a new condition is pending (or firing at once when its `for`
 * is 0), a pending one fires once it has held for `for`, and an open alert whose condition is gone
 * is resolved (firing) or dropped (pending); alerts of held rules stay as they are. Pure: time and
 * ids are passed in.
 */
export function advanceAlerts(
  open: readonly AlertRecord[],
  conditions: readonly AlertCondition[],
  now: Date,
  forMillis: (alertname: string) => number,
  { held = new Set(), newId = randomUUID }: AdvanceOptions = {},
): AlertAdvance {
  const byFingerprint = new Map(open.map((alert) => [alert.fingerprint, alert]));
  const seen = new Set<string>();
  const next: AlertRecord[] = [];
  const changed: AlertRecord[] = [];
  for (const condition of conditions) {
    if (held.has(condition.alertname)) continue;
    const fingerprint = fingerprintOf(condition.alertname, condition.labels);
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    const previous = byFingerprint.get(fingerprint);
    const base: AlertRecord = previous
      ? { ...previous, summary: condition.summary, description: condition.description, value: condition.value }
      : { id: newId(), fingerprint, ...condition, state: 'pending', startsAt: now };
    const due = now.getTime() - base.startsAt.getTime() >= forMillis(condition.alertname);
    const alert: AlertRecord = base.state === 'pending' && due ? { ...base, state: 'firing', firedAt: now } : base;
    next.push(alert);
    if (!previous || previous.state !== alert.state || !sameFigures(previous, condition)) changed.push(alert);
  }
  const resolved: AlertRecord[] = [];
  const dropped: AlertRecord[] = [];
  for (const alert of open) {
    if (seen.has(alert.fingerprint)) continue;
    if (held.has(alert.alertname)) next.push(alert);
    else if (alert.state === 'firing') resolved.push({ ...alert, state: 'resolved', endsAt: now });
    else dropped.push(alert);
  }
  return { open: next, changed: [...changed, ...resolved], resolved, dropped };
}
