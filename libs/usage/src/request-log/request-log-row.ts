/** One chat request as the request log keeps it (a row of request_log). */
export interface RequestLogRow {
  /** Made by the gateway; with `time` the row's key, so a batch written twice is kept once. */
  id: string;
  /** When the request arrived. */
  time: Date;
  requestId: string;
  keyId: string;
  format: 'openai' | 'anthropic';
  /** The route's kind: explicit, model, auto or auto:<tier>; null when refused before routing. */
  route: string | null;
  stream: boolean;
  requestedModel: string | null;
  servedProvider: string | null;
  servedModel: string | null;
  instanceId: string | null;
  instanceName: string | null;
  attempts: number;
  /** Moves to another provider within the request. */
  fallbacks: number;
  /** The HTTP status the client got (200 for a stream that failed after it started, with errorKind). */
  status: number;
  errorKind: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedTokens: number | null;
  reasoningTokens: number | null;
  /** USD; null when unknown (no usage reported, or no price for the model). */
  costUsd: number | null;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  userAgent: string | null;
  /** Only for keys that log bodies, credentials redacted. */
  prompt: string | null;
  answer: string | null;
}
