import type { Provider, Type } from '@nestjs/common';
import { ActiveAlertsSource } from '../monitoring/monitoring-source.js';
import { AlertBook } from './alert-book.js';
import { AlertEvaluator } from './alert-evaluator.js';
import { AlertNotifier } from './alert-notifier.js';
import { AlertWebhooksController } from './alert-webhooks.controller.js';
import { AlertWebhooksService } from './alert-webhooks.service.js';
import { AlertingThresholdsStore } from './alerting-thresholds.store.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';
import { WebhookSender } from './webhook-sender.js';

/**
 * Alerts with a lifecycle: rules over the monitoring dashboard, evaluated by the leader, kept in
 * Postgres, sent to webhooks. They live in the instance-manager's module rather than one of their
 * own because the evaluator reads the dashboard (MonitoringSource) and the dashboard reads the
 * active alerts back (ActiveAlertsSource): one module lets both be injected without a module cycle.
 * AlertsService never evaluates, so there is no cycle at run time either.
 */
export const ALERT_CONTROLLERS: Type[] = [AlertsController, AlertWebhooksController];

export const ALERT_PROVIDERS: Provider[] = [
  AlertBook,
  AlertEvaluator,
  AlertNotifier,
  AlertWebhooksService,
  AlertingThresholdsStore,
  AlertsRepository,
  AlertsService,
  WebhookSender,
  { provide: ActiveAlertsSource, useExisting: AlertsService },
];
