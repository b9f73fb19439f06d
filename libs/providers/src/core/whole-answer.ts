import type { Dispatcher } from 'undici';
import type { ResponseHeaders } from './provider-adapter.js';

/** An upstream answer read whole into memory. */
export interface WholeAnswer {
  statusCode: number;
  headers: ResponseHeaders;
  text: string;
}

export interface WholeCall {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | undefined;
  /** The caller's abort (a client that went away): passed on as its reason. */
  signal: AbortSignal | undefined;
  /** The whole call, body included; past it the call fails with a TimeoutError. */
  timeoutMs: number;
}

/**
 * One call whose answer is read whole (non-stream chat, probes), on undici's dispatch API: no
 * body stream, async resource or AbortController per request, which request() costs and a
 * non-stream answer does not need (a few per cent of the gateway's CPU at thousands of requests/s).
 */
export function callForWholeAnswer(dispatcher: Dispatcher, call: WholeCall): Promise<WholeAnswer> {
  return new Promise((resolve, reject) => {
    const collector = new WholeAnswerCollector(resolve, reject, call.signal, call.timeoutMs);
    if (collector.settled) return;
    try {
      dispatcher.dispatch(
        { origin: call.origin, path: call.path, method: call.method, headers: call.headers, body: call.body },
        collector,
      );
    } catch (error) {
      // Arguments undici refuses at once: settle here, so the timer and the caller's listener go too.
      collector.onResponseError(undefined, error as Error);
    }
  });
}

/** Where a base URL and a path send a request: origin and path apart, as dispatch takes them. */
export function locate(baseUrl: string, path: string): { origin: string; path: string } {
  let base = bases.get(baseUrl);
  if (!base) {
    const url = new URL(baseUrl);
    base = { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') + url.search };
    if (bases.size >= MAX_BASES) bases.clear();
    bases.set(baseUrl, base);
  }
  return { origin: base.origin, path: base.prefix + path };
}

/** Parsed base URLs: a fleet has a handful, and parsing one per request showed in profiles. */
const bases = new Map<string, { origin: string; prefix: string }>();
const MAX_BASES = 10_000;

class WholeAnswerCollector implements Dispatcher.DispatchHandler {
  settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private statusCode = 0;
  private headers: ResponseHeaders = {};
  private readonly chunks: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort = () => this.abort(toError(this.signal!.reason));

  constructor(
    private readonly resolve: (answer: WholeAnswer) => void,
    private readonly reject: (error: unknown) => void,
    private readonly signal: AbortSignal | undefined,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(
      () => this.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
    if (signal?.aborted) this.abort(toError(signal.reason));
    else signal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted while the request waited for a connection.
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    this.statusCode = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settle()) return;
    const text =
      this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.resolve({ statusCode: this.statusCode, headers: this.headers, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (!this.settle()) this.reject(error);
  }

  private abort(reason: Error): void {
    this.abortReason ??= reason;
    if (this.settle()) return;
    this.reject(reason);
    this.controller?.abort(reason);
  }

  /** Marks the call settled and lets go of its timer and listener; true when it already was. */
  private settle(): boolean {
    if (this.settled) return true;
    this.settled = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onCallerAbort);
    return false;
  }
}

/** An abort reason or thrown value as an Error (a reason may be anything). */
export function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason ?? 'aborted'));
}
