export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface HealthThresholds {
  /** Consecutive failures that make the check warning. */
  warnAfterFailures: number;
  /** Consecutive failures that make it critical. */
  criticalAfterFailures: number;
  /** Consecutive successes that bring a warning or critical check back to passing. */
  recoverAfterSuccesses: number;
}

export interface HealthState {
  status: CheckStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

const SEVERITY: Record<CheckStatus, number> = { passing: 0, warning: 1, critical: 2 };

export const INITIAL_HEALTH: HealthState = { status: 'critical', consecutiveFailures: 0, consecutiveSuccesses: 0 };

/**
 * The check status after one probe. A new instance passes on its first good probe; one that
 * failed must succeed `recoverAfterSuccesses` times in a row, so a flapping upstream does not
 * bounce in and out of rotation.
 */
export function nextHealth(
  previous: HealthState,
  ok: boolean,
  thresholds: HealthThresholds,
  firstProbe: boolean,
): HealthState {
  if (ok) {
    const consecutiveSuccesses = previous.consecutiveSuccesses + 1;
    const recovered =
      firstProbe || previous.status === 'passing' || consecutiveSuccesses >= thresholds.recoverAfterSuccesses;
    return { status: recovered ? 'passing' : previous.status, consecutiveFailures: 0, consecutiveSuccesses };
  }
  const consecutiveFailures = previous.consecutiveFailures + 1;
  const byCount: CheckStatus =
    consecutiveFailures >= thresholds.criticalAfterFailures
      ? 'critical'
      : consecutiveFailures >= thresholds.warnAfterFailures
        ? 'warning'
        : 'passing';
  // A failure never makes things look better than they were.
  const status = SEVERITY[byCount] >= SEVERITY[previous.status] ? byCount : previous.status;
  return { status, consecutiveFailures, consecutiveSuccesses: 0 };
}

/**
 * A health score in [0, 1] for balancing: the success ratio of the recent probe window, scaled down
 * as latency grows (1 at 0 ms, 0.5 at 2 s), and 0 while the check is critical.
 */
export function healthScore(status: CheckStatus, successes: number, failures: number, latencyEwmaMs: number): number {
  if (status === 'critical') return 0;
  const total = successes + failures;
  const successRatio = total === 0 ? 0 : successes / total;
  const latencyFactor = 1 / (1 + Math.max(0, latencyEwmaMs) / 2000);
  return Math.round(successRatio * latencyFactor * 1000) / 1000;
}
