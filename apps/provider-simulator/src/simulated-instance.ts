// One simulated provider instance: its own listener on 127.0.0.1 (so refusing connections
// really closes a port), its knobs, and a short log of what it received. The provider's wire
// format decides what the answers look like; this class decides when and whether they come.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { ProviderName } from '@switchboard/providers';
import { createClaudeFormat } from './claude.js';
import { pathOf, readBody, sendJson } from './http-util.js';
import { seededRandom } from '@switchboard/kernel';
import { applyKnobPatch, type ErrorKind, type ErrorKnob, type KnobPatch, type Knobs } from './knobs.js';
import { createOpenAiFormat } from './openai.js';
import { createPerplexityFormat } from './perplexity.js';
import { writeStream } from './sse.js';
import type { ErrorResponse, WireFormat } from './wire-format.js';
import { createZaiFormat } from './zai.js';
import { describeError } from '@switchboard/kernel';

export const HOST = '127.0.0.1';
const REQUEST_LOG_SIZE = 50;
const REDACTED_HEADERS = new Set(['authorization', 'x-api-key', 'api-key', 'proxy-authorization', 'x-goog-api-key']);
/** Error kinds a models probe reports; the others only make sense for a chat request. */
const PROBE_ERROR_KINDS = new Set<ErrorKind>(['auth', 'server', 'overloaded']);

export interface InstanceSpec {
  id: string;
  provider: ProviderName;
  port?: number;
  models?: string[];
  apiKey?: string;
  knobs?: Knobs;
}

export interface InstanceView {
  id: string;
  provider: ProviderName;
  port: number;
  baseUrl: string;
  models: string[];
  knobs: Knobs;
  listening: boolean;
  requestsServed: number;
  apiKeyRequired: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  time: string;
}

/** Every registered provider needs a case here: the compiler reports a missing one. */
export function createWireFormat(provider: ProviderName): WireFormat {
  switch (provider) {
    case 'openai':
    case 'openai_compatible':
      return createOpenAiFormat(provider);
    case 'claude':
      return createClaudeFormat();
    case 'zai':
      return createZaiFormat();
    case 'perplexity':
      return createPerplexityFormat();
  }
}

export class SimulatedInstance {
  readonly id: string;
  readonly provider: ProviderName;
  readonly models: string[];
  private readonly format: WireFormat;
  private readonly apiKey: string | undefined;
  private port: number;
  private server: Server | undefined;
  private knobs: Knobs = {};
  private chatRandom = seededRandom(1);
  private probeRandom = seededRandom(1);
  private served = 0;
  /** Chat requests only (probes excluded): what tests count when they ask who served traffic. */
  private chats = 0;
  private readonly log: RecordedRequest[] = [];
  private readonly shutdown = new AbortController();

  private constructor(spec: InstanceSpec) {
    this.id = spec.id;
    this.provider = spec.provider;
    this.format = createWireFormat(spec.provider);
    this.models = spec.models && spec.models.length > 0 ? [...spec.models] : [...this.format.defaultModels];
    this.apiKey = spec.apiKey;
    this.port = spec.port ?? 0;
  }

  static async start(spec: InstanceSpec): Promise<SimulatedInstance> {
    const instance = new SimulatedInstance(spec);
    instance.setKnobs(spec.knobs ?? {}, true);
    if (!instance.knobs.refuseConnections) await instance.listen();
    else if (instance.port === 0) {
      // A refusing instance still needs a fixed port to refuse on and to come back on later.
      await instance.listen();
      await instance.unlisten();
    }
    return instance;
  }

  get baseUrl(): string {
    return `http://${HOST}:${this.port}${this.format.basePath}`;
  }

  view(): InstanceView {
    return {
      id: this.id,
      provider: this.provider,
      port: this.port,
      baseUrl: this.baseUrl,
      models: [...this.models],
      knobs: structuredClone(this.knobs),
      listening: this.server !== undefined,
      requestsServed: this.served,
      apiKeyRequired: this.apiKey !== undefined,
    };
  }

  requests(): { served: number; chats: number; requests: RecordedRequest[] } {
    return { served: this.served, chats: this.chats, requests: [...this.log] };
  }

  /** Merges a knob patch (null clears a knob) and opens or closes the listener to match. */
  async updateKnobs(patch: KnobPatch): Promise<void> {
    this.setKnobs(applyKnobPatch(this.knobs, patch), 'seed' in patch || 'errorRate' in patch);
    await this.syncListener();
  }

  /** Knobs and counters back to defaults (no knobs, nothing served, listening). */
  async reset(): Promise<void> {
    this.setKnobs({}, true);
    this.served = 0;
    this.chats = 0;
    this.log.length = 0;
    await this.syncListener();
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    await this.unlisten();
  }

  private setKnobs(knobs: Knobs, reseed: boolean): void {
    this.knobs = knobs;
    // A new seed or rate starts the failure sequence over, so a test can predict it.
    if (reseed) {
      this.chatRandom = seededRandom(knobs.seed ?? 1);
      this.probeRandom = seededRandom(knobs.seed ?? 1);
    }
  }

  private async syncListener(): Promise<void> {
    if (this.knobs.refuseConnections && this.server) {
      await this.unlisten();
      // Let clients see the FIN on their pooled sockets before the caller sends the next
      // request; otherwise that request fails as a reset connection instead of ECONNREFUSED.
      await this.wait(25);
    } else if (!this.knobs.refuseConnections && !this.server && !this.shutdown.signal.aborted) await this.listen();
  }

  private async listen(): Promise<void> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        const message = describeError(error);
        if (!response.headersSent) sendJson(response, 500, { error: { message: `simulator failure: ${message}` } });
        else response.destroy();
      });
    });
    // Long keep-alive so a benchmark client reuses its connections; no request timeout so a
    // hung or stalled answer stays open until the client gives up.
    server.keepAliveTimeout = 65_000;
    server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async unlisten(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Open connections (kept-alive, hung, stalled) go too, so the next attempt is refused.
    server.closeAllConnections();
    await closed;
  }

  private record(request: IncomingMessage, path: string, body: unknown): void {
    if (this.log.length === REQUEST_LOG_SIZE) this.log.shift();
    this.log.push({
      method: request.method ?? 'GET',
      path,
      headers: redact(request.headers),
      body,
      time: new Date().toISOString(),
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const serial = ++this.served;
    const path = pathOf(request);
    const raw = await readBody(request);
    let body: unknown;
    let bodyIsJson = true;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        bodyIsJson = false;
      }
    }
    this.record(request, path, body);

    const knobs = this.knobs;
    // Accept and never answer: the socket stays open until the client or stop() closes it.
    if (knobs.hangBeforeHeaders) return;
    if (knobs.latencyMs !== undefined && knobs.latencyMs > 0 && !(await this.wait(knobs.latencyMs))) return;

    const format = this.format;
    const requestId = `req_sim${this.id.replace(/[^A-Za-z0-9]/g, '')}${serial.toString(36).padStart(8, '0')}`;
    const headers = { [format.requestIdHeader]: requestId };
    const send = (answer: ErrorResponse, extra: Record<string, string> = {}) =>
      sendJson(response, answer.status, answer.body, { ...headers, ...answer.headers, ...extra });

    const method = request.method ?? 'GET';
    const route =
      method === 'POST' && path === format.chatPath
        ? 'chat'
        : method === 'GET' && path === format.modelsPath
          ? 'models'
          : undefined;
    if (!route) return send(format.notFound(method, path, requestId));
    if (route === 'chat') this.chats += 1;

    const denied =
      format.authenticate(request.headers, this.apiKey, requestId) ?? format.checkHeaders(request.headers, requestId);
    if (denied) return send(denied);

    const injected = this.injectedError(route, knobs);
    if (injected) {
      const retryAfter: Record<string, string> =
        injected.retryAfterSeconds !== undefined ? { 'retry-after': String(injected.retryAfterSeconds) } : {};
      return send(format.renderError(injected, requestId), retryAfter);
    }

    const created = Math.floor(Date.now() / 1000);
    if (route === 'models') return sendJson(response, 200, format.modelsBody(this.models, created), headers);
    if (!bodyIsJson) return send(format.invalidJson(requestId));

    const outcome = format.chat(body, { knobs, models: this.models, serial, created, requestId });
    if (outcome.type === 'error') return send(outcome.error);
    if (outcome.type === 'json') return sendJson(response, 200, outcome.body, headers);
    await writeStream(response, outcome.frames, knobs, headers, this.shutdown.signal);
  }

  /** The error the knobs inject into this request, if any. */
  private injectedError(route: 'chat' | 'models', knobs: Knobs): ErrorKnob | undefined {
    if (knobs.error === undefined && knobs.errorRate === undefined) return undefined;
    // errorRate alone fails requests with a plain server error.
    const error: ErrorKnob = knobs.error ?? { kind: 'server' };
    if (route === 'models' && !PROBE_ERROR_KINDS.has(error.kind)) return undefined;
    if (knobs.errorRate !== undefined) {
      // Probes draw from their own sequence so that probing does not shift which chat requests fail.
      const draw = route === 'chat' ? this.chatRandom() : this.probeRandom();
      if (draw >= knobs.errorRate) return undefined;
    }
    return error;
  }

  /** Waits, unless the instance stops first; resolves false when it stopped. */
  private async wait(ms: number): Promise<boolean> {
    try {
      await delay(ms, undefined, { signal: this.shutdown.signal });
      return true;
    } catch {
      return false;
    }
  }
}

function redact(headers: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const copy: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) copy[name] = REDACTED_HEADERS.has(name) ? '[redacted]' : value;
  return copy;
}
