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
  /** Only for keys that log bodies: the prompt, and the answer's text as it streams. */
  prompt: string | null = null;
  answerParts: string[] | undefined;

  constructor(
    readonly format: ClientFormat,
    readonly requestId: string,
    readonly userAgent: string | null,
  ) {}

  get elapsedMs(): number {
    return performance.now() - this.started;
  }
}
