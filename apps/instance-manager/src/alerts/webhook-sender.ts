import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, backoffDelay, sleep } from '@switchboard/kernel';
import { guardedConnector } from '@switchboard/providers';
import { Agent, request } from 'undici';

/** What came of delivering one notification, with every attempt counted. */
export interface DeliveryOutcome {
  delivered: boolean;
  attempts: number;
  /** The last failure, in words that never contain the URL (it is the receiver's secret). */
  error?: string;
}

export interface DeliveryOptions {
  /** ALERT_WEBHOOK_MAX_ATTEMPTS unless given (a test notification tries once). */
  maxAttempts?: number;
  onFailedAttempt?: (outcome: DeliveryOutcome) => void;
}

/**
 * POSTs notifications to webhooks, each attempt with its own time limit, retried with backoff up
 * to ALERT_WEBHOOK_MAX_ATTEMPTS. Connections go through the same destination guard as calls to
 * provider instances, so a webhook cannot be pointed at the cloud metadata service.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly dispatcher: Agent;
  private readonly shutdown = new AbortController();

  constructor(private readonly config: AppConfig) {
    this.dispatcher = new Agent({
      connect: guardedConnector(config.destinationPolicy, { timeoutMs: config.ALERT_WEBHOOK_TIMEOUT_MS }),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.shutdown.abort();
    await this.dispatcher.close();
  }

  /** Sends until one attempt succeeds, the attempts run out, or `signal` (or shutdown) aborts. */
  async deliver(
    url: string,
    body: unknown,
    signal?: AbortSignal,
    options: DeliveryOptions = {},
  ): Promise<DeliveryOutcome> {
    const stop = signal ? AbortSignal.any([signal, this.shutdown.signal]) : this.shutdown.signal;
    const maxAttempts = options.maxAttempts ?? this.config.ALERT_WEBHOOK_MAX_ATTEMPTS;
    const base = this.config.ALERT_WEBHOOK_RETRY_BASE_MS;
    let error = 'not attempted';
    let attempts = 0;
    while (attempts < maxAttempts && !stop.aborted) {
      attempts += 1;
      error = (await this.attempt(url, body, stop)) ?? '';
      if (!error) return { delivered: true, attempts };
      options.onFailedAttempt?.({ delivered: false, attempts, error });
      if (attempts < maxAttempts) await sleep(backoffDelay(attempts - 1, { initialMs: base, maxMs: base * 32 }), stop);
    }
    // Stopped early (step-down, shutdown), the count says how many were made, not how many were allowed.
    return { delivered: false, attempts, error: stop.aborted ? `${error} (stopped)` : error };
  }

  /** One POST; undefined when the receiver answered 2xx, else why not. */
  private async attempt(url: string, body: unknown, stop: AbortSignal): Promise<string | undefined> {
    const timeoutMs = this.config.ALERT_WEBHOOK_TIMEOUT_MS;
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'switchboard-alerts/1' },
        body: JSON.stringify(body),
        dispatcher: this.dispatcher,
        signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      // The answer is read and dropped: a receiver's body may echo the URL or a token.
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) return undefined;
      return `the receiver answered HTTP ${response.statusCode}`;
    } catch (error) {
      return failureOf(error, timeoutMs);
    }
  }
}

/** A transport failure by its code or class, never its message: messages can quote the URL. */
function failureOf(error: unknown, timeoutMs: number): string {
  const { name, code, cause } = (error ?? {}) as { name?: string; code?: string; cause?: unknown };
  if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return `no answer within ${timeoutMs} ms (ALERT_WEBHOOK_TIMEOUT_MS)`;
  if (name === 'AbortError') return 'aborted';
  if (name === 'DestinationRefusedError' && error instanceof Error) return error.message.replace(/^baseUrl/, 'the URL');
  const causeCode = (cause as { code?: string } | undefined)?.code;
  return `the request failed (${code ?? causeCode ?? name ?? 'unknown error'})`;
}
