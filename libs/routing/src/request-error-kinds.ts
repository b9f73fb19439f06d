import type { DomainErrorKind } from '@switchboard/kernel';
import type { ProviderErrorKind } from '@switchboard/providers';
import type { KeyRefusal } from './admission/key-refusal.js';

/** Every error_kind a request log row can hold. */
export type RequestErrorKind =
  | KeyRefusal
  | ProviderErrorKind
  | DomainErrorKind
  | 'cancelled'
  | 'model_not_found'
  | 'no_instance';

/** What each means; a kind added to any of the unions above does not compile until it is described here. */
const MEANINGS: Readonly<Record<RequestErrorKind, string>> = {
  daily_budget: "the key's daily spend limit was reached",
  monthly_budget: "the key's monthly spend limit was reached",
  tokens_per_minute: "the key's tokens per minute were used up",
  model_not_allowed: "the model or provider is outside the key's allow-lists",
  expired: 'the key had expired',
  unauthenticated: 'no key, or an unknown or revoked one',
  invalid_request: 'the request itself was wrong',
  forbidden: 'the caller may not do this',
  not_found: 'nothing by that name',
  conflict: 'the request contradicts what exists',
  rate_limited: "the key's requests per minute, or an upstream's rate limit",
  upstream: 'an upstream failed',
  unavailable: 'nothing could serve it then',
  upstream_timeout: 'an upstream did not answer in time',
  internal: 'a failure of the gateway itself',
  cancelled: 'the client went away before the answer was complete',
  model_not_found: 'no instance serves the model',
  no_instance: 'no healthy instance was left to try',
  auth: "an upstream refused the instance's credentials",
  permission: "an upstream refused the instance's account",
  bad_request: 'an upstream refused the request as malformed',
  context_length: "the prompt is longer than the model's context",
  quota_exhausted: "the instance's account quota or balance is spent",
  overloaded: 'the upstream was overloaded',
  server_error: 'the upstream failed on its side',
  timeout: 'the upstream did not answer in time',
  network: 'the upstream could not be reached',
  stream_cut: 'the stream ended before it was complete',
  malformed_upstream: 'the upstream answered something unreadable',
  destination_refused: "the instance's address is one the network policy refuses",
};

/** The error kinds the console offers as filters, refusals by the key's limits first. */
export const REQUEST_ERROR_KINDS: readonly { kind: RequestErrorKind; meaning: string }[] = Object.freeze(
  Object.entries(MEANINGS).map(([kind, meaning]) => ({ kind: kind as RequestErrorKind, meaning })),
);
