import type { ClientApiKey } from '@switchboard/database';

/** What a client key may do, besides existing: every limit null (or empty) when it has none. */
export interface ClientKeyLimits {
  rateLimitRpm: number | null;
  /** Input plus output tokens per minute. */
  tokensPerMinute: number | null;
  /** USD per UTC day and per UTC month. */
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
  /** Glob patterns ("gpt-4o*", "openai/*", "*"); empty allows every model. */
  allowedModels: string[];
  allowedProviders: string[];
  expiresAt: Date | null;
  /** Prompt and answer bodies go to the request log (credentials redacted). */
  logBodies: boolean;
}

export const NO_LIMITS: ClientKeyLimits = {
  rateLimitRpm: null,
  tokensPerMinute: null,
  dailyBudgetUsd: null,
  monthlyBudgetUsd: null,
  allowedModels: [],
  allowedProviders: [],
  expiresAt: null,
  logBodies: false,
};

export function limitsOf(row: ClientApiKey): ClientKeyLimits {
  return {
    rateLimitRpm: row.rateLimitRpm,
    tokensPerMinute: row.tokensPerMinute,
    dailyBudgetUsd: row.dailyBudgetUsd?.toNumber() ?? null,
    monthlyBudgetUsd: row.monthlyBudgetUsd?.toNumber() ?? null,
    allowedModels: row.allowedModels,
    allowedProviders: row.allowedProviders,
    expiresAt: row.expiresAt,
    logBodies: row.logBodies,
  };
}
