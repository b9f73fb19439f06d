import type { Dispatcher } from 'undici';
import type { ResponseHeaders } from './provider-adapter.js';
import { toError } from './whole-answer.js';

export interface StreamedCall {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | undefined;
  /** Ends the call at any point (the stream's timers, the caller's abort); its reason is the failure. */
  signal: AbortSignal;
}

export interface AnswerHead {
  statusCode: number;
  headers: ResponseHeaders;
}

/** What a consumer that falls behind may leave unread before the upstream connection is paused. */
const PAUSE_AT_BYTES = 64 * 1024;

interface Waiter {
  resolve: (chunk: Buffer | null) => void;
  reject: (error: Error) => void;
}

/**
 * A streamed upstream answer on undici's dispatch API, read chunk by chunk by one consumer. The
 * chunks go from the connection to the consumer with no body stream in between: request()'s
 * Readable and its async iterator cost about 80 µs before the first byte and a little per chunk,
 * on every stream's time to first token. A consumer that falls behind pauses the connection.
 */
export class StreamedAnswer implements Dispatcher.DispatchHandler {
  /** The status and headers; rejects when the call fails before them. */
  readonly head: Promise<AnswerHead>;
  private resolveHead!: (head: AnswerHead) => void;
  private rejectHead!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private waiter: Waiter | undefined;
  private readonly onAbort = () => this.fail(toError(this.signal.reason));

  static start(dispatcher: Dispatcher, call: StreamedCall): StreamedAnswer {
    const answer = new StreamedAnswer(call.signal);
    if (answer.failure) return answer;
    try {
      dispatcher.dispatch(
        { origin: call.origin, path: call.path, method: call.method, headers: call.headers, body: call.body },
        answer,
      );
    } catch (error) {
      // Arguments undici refuses at once.
      answer.fail(toError(error));
    }
    return answer;
  }

  private constructor(private readonly signal: AbortSignal) {
    this.head = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    // It may fail before anyone awaits it (aborted while connecting): never an unhandled rejection.
    this.head.catch(() => undefined);
    if (signal.aborted) this.fail(toError(signal.reason));
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Bytes received and not yet read by the consumer. */
  get unread(): number {
    return this.queuedBytes;
  }

  /** The next chunk of the body, or null after the last; rejects once the call failed or was aborted. */
  next(): Promise<Buffer | null> {
    if (this.failure) return Promise.reject(this.failure);
    const chunk = this.queue.shift();
    if (chunk) {
      this.queuedBytes -= chunk.length;
      if (this.controller?.paused && this.queuedBytes < PAUSE_AT_BYTES / 2) this.controller.resume();
      return Promise.resolve(chunk);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The rest of the body as text (an error answer's). */
  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for (let chunk = await this.next(); chunk !== null; chunk = await this.next()) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The consumer is done: a call still running is aborted, its connection not left to finish. */
  close(): void {
    this.fail(new Error('the stream was closed before its end'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted while the request waited for a connection.
    if (this.failure) controller.abort(this.failure);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    this.resolveHead({ statusCode, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve(chunk);
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.queuedBytes >= PAUSE_AT_BYTES) controller.pause();
  }

  onResponseEnd(): void {
    if (this.failure) return;
    this.ended = true;
    this.signal.removeEventListener('abort', this.onAbort);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.fail(error);
  }

  /** The call failed or was ended: every waiter learns it, and the upstream request stops. */
  private fail(error: Error): void {
    if (this.failure || this.ended) return;
    this.failure = error;
    this.queue.length = 0;
    this.signal.removeEventListener('abort', this.onAbort);
    this.controller?.abort(error);
    this.rejectHead(error);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }
}
