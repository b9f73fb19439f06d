import type { AlertRecord } from './alert-lifecycle.js';

export type WebhookKind = 'json' | 'slack';
export const WEBHOOK_KINDS: readonly WebhookKind[] = ['json', 'slack'];

/** What Alertmanager writes for "not ended yet"; receivers built for it expect this value. */
const NO_END = '0001-01-01T00:00:00Z';

/** One notification: an alert and the state it tells (a test notification is a made-up alert). */
export interface Notification {
  alert: AlertRecord;
  status: 'firing' | 'resolved';
  receiver: string;
}

/** Alertmanager's webhook body (version 4), one alert per notification. */
export interface AlertmanagerBody {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

/** A Slack incoming-webhook body. */
export interface SlackBody {
  text: string;
  blocks: { type: 'section'; text: { type: 'mrkdwn'; text: string } }[];
}

function annotationsOf(alert: AlertRecord): Record<string, string> {
  return {
    summary: alert.summary,
    ...(alert.description ? { description: alert.description } : {}),
    ...(alert.value === undefined ? {} : { value: String(alert.value) }),
  };
}

/**
 * The generic JSON body, shaped like Alertmanager's webhook (version 4) so receivers written for
 * it work unchanged: one alert per notification, grouped by its alertname.
 */
export function alertmanagerPayload({ alert, status, receiver }: Notification): AlertmanagerBody {
  const labels = { alertname: alert.alertname, severity: alert.severity, ...alert.labels };
  const annotations = annotationsOf(alert);
  return {
    version: '4',
    groupKey: `{}:{alertname="${alert.alertname}"}`,
    truncatedAlerts: 0,
    status,
    receiver,
    groupLabels: { alertname: alert.alertname },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: '',
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: alert.startsAt.toISOString(),
        endsAt: status === 'resolved' && alert.endsAt ? alert.endsAt.toISOString() : NO_END,
        generatorURL: '',
        fingerprint: alert.fingerprint,
      },
    ],
  };
}

/** Slack reads &, < and > as markup (<!channel> pings everyone): text from the system is escaped. */
const slackEscape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Slack caps a section's text at 3000 characters. */
const SLACK_SECTION_LIMIT = 3000;

/** A Slack incoming-webhook body: `text` (the notification and fallback) plus one mrkdwn section. */
export function slackPayload({ alert, status }: Notification): SlackBody {
  const marker = status === 'resolved' ? '[RESOLVED]' : `[FIRING ${alert.severity.toUpperCase()}]`;
  const text = `${marker} ${alert.alertname}: ${alert.summary}`;
  const labels = Object.entries(alert.labels)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const lines = [
    `*${slackEscape(marker)} ${slackEscape(alert.alertname)}*`,
    slackEscape(alert.summary),
    ...(alert.description ? [slackEscape(alert.description)] : []),
    ...(labels ? [`_${slackEscape(labels)}_`] : []),
    `since ${alert.startsAt.toISOString()}${status === 'resolved' && alert.endsAt ? `, resolved ${alert.endsAt.toISOString()}` : ''}`,
  ];
  return {
    text: slackEscape(text),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, SLACK_SECTION_LIMIT) } }],
  };
}

export function payloadFor(kind: WebhookKind, notification: Notification): AlertmanagerBody | SlackBody {
  return kind === 'slack' ? slackPayload(notification) : alertmanagerPayload(notification);
}
