import { TEST_ADMIN_TOKEN } from './instance-manager-env.js';

export interface Readiness {
  status: 'up' | 'degraded' | 'down';
  /** Each dependency's check: shown to operators only (the admin token). */
  details?: Record<string, { status: string; message?: string }>;
}

/** An app's /health/ready, as an operator (with the admin token: every dependency) or as anyone. */
export async function readiness(appUrl: string, asOperator = true): Promise<{ http: number; body: Readiness }> {
  const response = await fetch(`${appUrl}/health/ready`, {
    headers: asOperator ? { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } : {},
  });
  return { http: response.status, body: (await response.json()) as Readiness };
}
