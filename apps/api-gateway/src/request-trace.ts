import { randomUUID } from 'node:crypto';
import type { ClientIdentity } from '@switchboard/fleet';
import type { Usage } from '@switchboard/providers';
import type { AttemptTally, RouteCandidate, TableInstance } from '@switchboard/routing';
import type { ClientFormat } from './client-format.js';

/**
 * What one chat request did, filled in as it goes (its attempts by the failover run itself), and
 * turned into its request log row when it ends, however it ends.
 */
export class RequestTrace implements AttemptTally {
  readonly id = randomUUID();
  readonly time = new Date();
  readonly started = performance.now();
  attempts = 0;
  fallbacks = 0;
  lastInstance?: TableInstance;
  lastCandidate?: RouteCandidate;
  identity?: ClientIdentity;
  route: string | null = null;
  requestedModel: string | null = null;
  stream = false;
  status = 200;
  errorKind: string | null = null;
  usage?: Usage;
  costUsd?: number;
  /** Set once the cost was counted against the key, so it is charged once. */
  charged = false;
  timeToFirstTokenMs: number | null = null;
  /** Only for keys that log bodies: the prompt as logged (redacted, cut). */
  prompt: string | null = null;
  /** Only for keys that log bodies: the answer's text as it streams, up to answerLimit characters. */
  private answerParts: string[] | undefined;
  private answerLength = 0;
  private answerLimit = 0;

  constructor(
    readonly format: ClientFormat,
    readonly requestId: string,
    readonly userAgent: string | null,
  ) {}

  /** Starts keeping the answer's text, at most `limit` characters of it (the rest is never logged). */
  keepAnswer(limit: number): void {
    this.answerParts = [];
    this.answerLimit = limit;
  }

  /** Adds answer text, when the answer is kept and below its limit. */
  appendAnswer(text: string): void {
    if (!this.answerParts || this.answerLength >= this.answerLimit) return;
    const kept = text.slice(0, this.answerLimit - this.answerLength);
    this.answerParts.push(kept);
    this.answerLength += kept.length;
  }

  /** The kept answer text; null when the answer is not kept. */
  get answer(): string | null {
    return this.answerParts?.join('') ?? null;
  }

  get elapsedMs(): number {
    return performance.now() - this.started;
  }
}
