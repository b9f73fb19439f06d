import type { CheckStatus } from './health-state.js';

/**
 * The health an instance's Consul meta shows (`health_status`, `health_score`). Meta changes only
 * by re-registering the service, and each re-registration wakes every blocking query on that
 * service, so it follows the live score in steps rather than probe by probe.
 */
export interface PublishedHealth {
  status: CheckStatus;
  /** The score rounded to one decimal, as shown. */
  score: number;
  /** When it was last changed (ms since the epoch). */
  at: number;
}

/** A score move smaller than this is not worth a re-registration. */
export const SCORE_STEP = 0.1;
/**
 * Score-only changes of one instance go to Consul at most this often: a jittery fleet of 500
 * instances then costs at most 500 / 30 s ≈ 17 registrations a second, however its latency swings.
 */
export const SCORE_MIN_INTERVAL_MS = 30_000;
/** Floating-point slack, so that 1.0 - 0.9 counts as a whole step. */
const EPSILON = 1e-9;

/**
 * What meta should show after a probe. A status change shows at once; a score change only once it
 * moves a whole step away from the shown value (so a score wobbling around 0.85 does not flip
 * between 0.8 and 0.9) and the shown value is older than `minIntervalMs`. Returns `published`
 * itself when nothing changes, so callers can tell by identity.
 */
export function nextPublishedHealth(
  published: PublishedHealth | undefined,
  status: CheckStatus,
  score: number,
  now: number,
  minIntervalMs = SCORE_MIN_INTERVAL_MS,
): PublishedHealth {
  const shown = { status, score: Math.round(score * 10) / 10, at: now };
  if (!published || published.status !== status) return shown;
  if (Math.abs(score - published.score) < SCORE_STEP - EPSILON) return published;
  return now - published.at >= minIntervalMs ? shown : published;
}

export const HEALTH_META_KEYS = ['health_status', 'health_score'] as const;

/** The meta entries for a published health; none while this process has not probed the instance. */
export function healthMeta(published: PublishedHealth | undefined): Record<string, string> {
  return published ? { health_status: published.status, health_score: published.score.toFixed(1) } : {};
}
