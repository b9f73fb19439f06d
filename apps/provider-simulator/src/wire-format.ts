// The contract between a simulated instance (HTTP, knobs, logging) and one provider's wire
// format (paths, auth, bodies, stream frames, error shapes).
import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderName } from '@switchboard/providers';
import type { ErrorKnob, Knobs } from './knobs.js';
import type { StreamFrame } from './sse.js';

export interface ErrorResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ChatContext {
  knobs: Knobs;
  models: readonly string[];
  /** The request's number on its instance (1, 2, …): seeds ids deterministically. */
  serial: number;
  /** Unix seconds, one value per request so every chunk of a stream agrees. */
  created: number;
  requestId: string;
}

export type ChatOutcome =
  | { type: 'error'; error: ErrorResponse }
  | { type: 'json'; body: unknown }
  | { type: 'stream'; frames: StreamFrame[] };

export interface WireFormat {
  readonly provider: ProviderName;
  /** Prefix of every path, the part a client puts in its base URL (e.g. `/v1`). */
  readonly basePath: string;
  /** Full path of the chat endpoint. */
  readonly chatPath: string;
  /** Full path of the models list used as a health probe; absent when the provider has none. */
  readonly modelsPath?: string;
  readonly defaultModels: readonly string[];
  /** Response header carrying the request id, as the provider names it. */
  readonly requestIdHeader: string;
  /** A 401 in the provider's shape when the key is missing or wrong, else undefined. */
  authenticate(headers: IncomingHttpHeaders, apiKey: string | undefined, requestId: string): ErrorResponse | undefined;
  /** Provider-specific required headers (Claude's anthropic-version), checked after auth. */
  checkHeaders(headers: IncomingHttpHeaders, requestId: string): ErrorResponse | undefined;
  renderError(error: ErrorKnob, requestId: string): ErrorResponse;
  notFound(method: string, path: string, requestId: string): ErrorResponse;
  invalidJson(requestId: string): ErrorResponse;
  modelsBody(models: readonly string[], created: number): unknown;
  chat(body: unknown, context: ChatContext): ChatOutcome;
}

/** The bearer token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return match?.[1]?.trim() || undefined;
}

/** Masks a key the way providers echo it in 401 messages (first and last few characters). */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}
