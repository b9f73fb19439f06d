import { GatewayHttpError } from '../failover/failover-errors.js';

/**
 * Every way a client key's own limits refuse a request, in the one word the request log's
 * error_kind and the reason label of switchboard_key_limit_refused_total both use.
 */
export const KEY_REFUSALS = [
  'daily_budget',
  'monthly_budget',
  'tokens_per_minute',
  'model_not_allowed',
  'expired',
] as const;
export type KeyRefusal = (typeof KEY_REFUSALS)[number];

/**
 * A refusal by the key's tokens per minute (429) or expiry (401): rendered as its HTTP kind, logged
 * as its refusal. Budgets have BudgetExceededError (rendered as a spent quota), models ModelNotAllowedError.
 */
export class KeyLimitError extends GatewayHttpError {
  constructor(
    readonly refusal: Extract<KeyRefusal, 'tokens_per_minute' | 'expired'>,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(refusal === 'expired' ? 'unauthenticated' : 'rate_limited', message, headers);
    this.name = 'KeyLimitError';
  }
}
