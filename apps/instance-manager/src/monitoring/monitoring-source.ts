import type { ActiveAlertView, MonitoringDashboard } from './dashboard.dto.js';

/**
 * Where the state of the fleet comes from, for those who judge it (the alert rules). The dashboard
 * service is the one implementation; the abstraction keeps the rules testable on built snapshots.
 */
export abstract class MonitoringSource {
  abstract assemble(): Promise<MonitoringDashboard>;
}

/** The alerts pending or firing now, for the dashboard (the alerts engine provides them). */
export abstract class ActiveAlertsSource {
  abstract active(): Promise<ActiveAlertView[]>;
}
