import type { DestinationPolicy } from '@switchboard/kernel';
import { Agent } from 'undici';
import type { ChatRequest } from '../model/chat-request.js';
import type { ChatResponse, StreamEvent } from '../model/chat-response.js';
import { baseUrlOf, type ProviderAdapter, type ProviderTarget, type UpstreamRequest } from './provider-adapter.js';
import { DestinationRefusedError, guardedConnector } from './destination-guard.js';
import { ProviderError, type ProviderErrorKind } from './provider-error.js';
import { SseParser } from './sse-parser.js';
import { StreamedAnswer } from './streamed-answer.js';
import { callForWholeAnswer, locate, type WholeAnswer } from './whole-answer.js';

export interface ProviderClientOptions {
  /** Kept-alive connections per upstream origin. */
  connectionsPerOrigin?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Where instances may be called; loopback and private addresses are allowed unless it says otherwise. */
  destinationPolicy?: DestinationPolicy;
}

export interface ChatCallOptions {
  signal?: AbortSignal;
  /** The whole call, body included (a timeout that stopped at the headers would let a slow body hang). */
  timeoutMs?: number;
}

export interface StreamCallOptions {
  signal?: AbortSignal;
  /** From sending the request to the first content (text, reasoning or tool call). */
  firstTokenTimeoutMs?: number;
  /** The longest silence allowed between two chunks once the stream flows. */
  idleTimeoutMs?: number;
}

export interface ProbeResult {
  status: number;
  latencyMs: number;
}

const CONTENT_EVENTS = new Set<StreamEvent['type']>(['text', 'reasoning', 'tool_call_start', 'finish']);

/**
 * The generic half of every provider call: HTTP over kept-alive undici pools, SSE parsing,
 * first-token and idle timeouts, aborts, and transport failures mapped into the error taxonomy.
 * Everything provider-specific comes from the adapter; nothing here names a provider.
 */
export class ProviderClient {
  private readonly dispatcher: Agent;

  constructor(options: ProviderClientOptions = {}) {
    this.dispatcher = new Agent({
      connections: options.connectionsPerOrigin ?? 64,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      // Every new connection is checked against the destination policy after DNS: an instance URL
      // must never reach the cloud's metadata service, whatever name it was given.
      connect: guardedConnector(options.destinationPolicy ?? { allowPrivate: true }, {
        timeoutMs: options.connectTimeoutMs ?? 5_000,
      }),
      // Our own timers bound every call; undici's 300 s defaults would only hide hangs.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  async chat(
    adapter: ProviderAdapter,
    target: ProviderTarget,
    chat: ChatRequest,
    options: ChatCallOptions = {},
  ): Promise<ChatResponse> {
    const upstream = adapter.buildChatRequest({ ...chat, stream: false }, target);
    const timeoutMs = options.timeoutMs ?? 120_000;
    try {
      const response = await this.callWhole(adapter, target, upstream, options.signal, timeoutMs);
      const text = response.text;
      if (response.statusCode < 200 || response.statusCode >= 300)
        throw adapter.parseError(response.statusCode, response.headers, text);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ProviderError({
          provider: adapter.provider,
          kind: 'malformed_upstream',
          status: response.statusCode,
          message: `${adapter.provider} answered with a body that is not JSON: ${text.slice(0, 120)}`,
        });
      }
      // Parsed whatever the client's format: usage, the log and failover on an error hidden in a
      // 2xx body all need it; the text is kept for an OpenAI client when it needs no translation.
      const answer = adapter.parseChatResponse(body);
      if (adapter.answersAsOpenAI) answer.openAIBody = text;
      return answer;
    } catch (error) {
      throw toProviderError(adapter, error, options.signal, { phase: 'response', timeoutMs, secret: target.apiKey });
    }
  }

  /**
   * The normalised events of a streamed answer. Throws a ProviderError when the upstream fails,
   * stalls or closes early; breaking out of the loop aborts the upstream request.
   */
  async *stream(
    adapter: ProviderAdapter,
    target: ProviderTarget,
    chat: ChatRequest,
    options: StreamCallOptions = {},
  ): AsyncGenerator<StreamEvent> {
    const upstream = adapter.buildChatRequest({ ...chat, stream: true }, target);
    const controller = new AbortController();
    const unfollow = followCaller(options.signal, controller);
    const signal = controller.signal;
    const firstTokenTimeoutMs = options.firstTokenTimeoutMs ?? 30_000;
    const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    let phase: 'first_token' | 'idle' = 'first_token';
    const expire = () => controller.abort(new TimeoutMarker());
    // The first-token clock runs from the request to the first content: pings and keep-alive
    // comments do not restart it. After that, the idle clock runs only while we wait on the
    // upstream, never while the consumer (a slow client) is handling what we yielded.
    let timer = setTimeout(expire, firstTokenTimeoutMs);
    let answer: StreamedAnswer | undefined;
    let answered = false;
    try {
      answer = this.callStreamed(adapter, target, upstream, signal);
      const { statusCode, headers } = await answer.head;
      answered = true;
      if (statusCode < 200 || statusCode >= 300) throw adapter.parseError(statusCode, headers, await answer.text());
      const parser = new SseParser();
      const state = adapter.newStreamState();
      const convert = (events: ReturnType<SseParser['push']>) =>
        events.flatMap((event) => adapter.parseStreamEvent(event, state));
      for (let chunk = await answer.next(); chunk !== null; chunk = await answer.next()) {
        const events = convert(parser.push(chunk));
        if (phase === 'first_token' && events.some((event) => CONTENT_EVENTS.has(event.type))) phase = 'idle';
        if (phase === 'idle') clearTimeout(timer);
        for (const event of events) yield event;
        if (phase === 'idle') timer = setTimeout(expire, idleTimeoutMs);
      }
      for (const event of [...convert(parser.flush()), ...adapter.finishStream(state)]) yield event;
    } catch (error) {
      const timeoutMs = phase === 'first_token' ? firstTokenTimeoutMs : idleTimeoutMs;
      const timedOut = controller.signal.reason instanceof TimeoutMarker;
      throw toProviderError(adapter, error, options.signal, {
        phase: answered ? (phase === 'first_token' ? 'first_token' : 'stream') : 'response',
        timeoutMs,
        timedOut,
        streaming: true,
        secret: target.apiKey,
      });
    } finally {
      clearTimeout(timer);
      // Reached on completion, on error, and when the consumer stops early (client gone).
      if (!controller.signal.aborted) controller.abort();
      answer?.close();
      unfollow();
    }
  }

  /** Runs the adapter's non-billing probe; throws a ProviderError when it says unhealthy. */
  async probe(
    adapter: ProviderAdapter,
    target: ProviderTarget,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ProbeResult> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const started = performance.now();
    try {
      const upstream = adapter.buildProbeRequest(target);
      const response = await this.callWhole(adapter, target, upstream, options.signal, timeoutMs);
      if (!adapter.probeAccepts(response.statusCode))
        throw adapter.parseError(response.statusCode, response.headers, response.text);
      return { status: response.statusCode, latencyMs: performance.now() - started };
    } catch (error) {
      throw toProviderError(adapter, error, options.signal, { phase: 'response', timeoutMs, secret: target.apiKey });
    }
  }

  /** A call whose answer is read whole, bounded by `timeoutMs` and the caller's signal. */
  private callWhole(
    adapter: ProviderAdapter,
    target: ProviderTarget,
    upstream: UpstreamRequest,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<WholeAnswer> {
    const { origin, path } = locate(baseUrlOf(adapter, target), upstream.path);
    return callForWholeAnswer(this.dispatcher, {
      origin,
      path,
      method: upstream.method,
      headers: upstream.headers,
      body: upstream.body === undefined ? undefined : JSON.stringify(upstream.body),
      signal,
      timeoutMs,
    });
  }

  /** A call whose answer is read as it arrives, until `signal` ends it. */
  private callStreamed(
    adapter: ProviderAdapter,
    target: ProviderTarget,
    upstream: UpstreamRequest,
    signal: AbortSignal,
  ): StreamedAnswer {
    const { origin, path } = locate(baseUrlOf(adapter, target), upstream.path);
    return StreamedAnswer.start(this.dispatcher, {
      origin,
      path,
      method: upstream.method,
      headers: upstream.headers,
      body: upstream.body === undefined ? undefined : JSON.stringify(upstream.body),
      signal,
    });
  }
}

/** The reason our own stream timers abort with, told apart from the caller's abort. */
class TimeoutMarker extends Error {
  constructor() {
    super('timeout');
  }
}

/**
 * Aborts `own` when the caller's signal aborts; returns the undo. Not AbortSignal.any: in Node 24
 * it keeps every signal combined with a timeout alive until the timer fires (120 s by default),
 * which at 1000 requests/s held ~10^5 timers and signals in memory and lengthened GC pauses.
 */
function followCaller(caller: AbortSignal | undefined, own: AbortController): () => void {
  if (!caller) return () => undefined;
  if (caller.aborted) {
    own.abort(caller.reason);
    return () => undefined;
  }
  const forward = () => own.abort(caller.reason);
  caller.addEventListener('abort', forward, { once: true });
  return () => caller.removeEventListener('abort', forward);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * Transport failures into the taxonomy. The caller's own abort (a client that went away) is
 * passed through as is: it is not the provider's fault and must not count against the instance.
 */
function toProviderError(
  adapter: ProviderAdapter,
  error: unknown,
  callerSignal: AbortSignal | undefined,
  context: {
    phase: 'response' | 'first_token' | 'stream';
    timeoutMs: number;
    timedOut?: boolean;
    streaming?: boolean;
    /** The instance's key, redacted from whatever the upstream said. */
    secret?: string;
  },
): unknown {
  if (error instanceof ProviderError) return error.withoutSecret(context.secret);
  if (callerSignal?.aborted) return callerSignal.reason ?? error;
  const provider = adapter.provider;
  const cause = error instanceof Error ? error : new Error(String(error));
  const code = (cause as { code?: string }).code ?? '';
  const timedOut =
    context.timedOut ||
    cause.name === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT';
  let kind: ProviderErrorKind;
  let message: string;
  if (cause instanceof DestinationRefusedError) {
    // Not a transport hiccup: the instance's configuration points somewhere it must never go.
    kind = 'destination_refused';
    message = cause.message;
  } else if (timedOut) {
    kind = 'timeout';
    message =
      context.phase === 'first_token' || (context.streaming && context.phase === 'response')
        ? `${provider} sent no first token within ${context.timeoutMs} ms`
        : context.phase === 'stream'
          ? `${provider} stream was idle for ${context.timeoutMs} ms`
          : `${provider} did not answer within ${context.timeoutMs} ms`;
  } else if (context.phase !== 'response' && (NETWORK_CODES.has(code) || cause.name === 'AbortError')) {
    kind = 'stream_cut';
    message = `${provider} stream broke off: ${cause.message}`;
  } else if (NETWORK_CODES.has(code) || code.startsWith('UND_ERR')) {
    kind = 'network';
    message = `${provider} unreachable: ${cause.message}${code ? ` (${code})` : ''}`;
  } else {
    kind = 'network';
    message = `${provider} call failed: ${cause.message}`;
  }
  return new ProviderError({ provider, kind, status: 0, message, cause }).withoutSecret(context.secret);
}
