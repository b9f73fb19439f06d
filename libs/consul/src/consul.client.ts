import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher, request } from 'undici';
import { ConsulResponseError, ConsulUnavailableError } from './consul.errors.js';
import { ConsulTokenFile } from './consul-token-file.js';
import type {
  AgentService,
  AutopilotHealth,
  CheckStatus,
  IndexedResult,
  KvEntry,
  ServiceHealthEntry,
  ServiceRegistration,
  SessionOptions,
} from './consul.types.js';

export interface ConsulClientOptions {
  /** Base URL of the agent's HTTP API, e.g. http://127.0.0.1:8500 or https://consul:8501. */
  address: string;
  /** Sent as X-Consul-Token; never logged. */
  token?: string;
  /**
   * A file holding the token instead, read again when it changes or when Consul refuses the token
   * (403), so a rotated token is picked up without a restart. Takes the place of `token`.
   */
  tokenFile?: string;
  /** Added as ?dc= to catalog, health, KV and session requests. */
  datacenter?: string;
  /** PEM file with the CA that signed Consul's HTTPS certificate. */
  caFile?: string;
  /** Timeout of a non-blocking request. */
  requestTimeoutMs?: number;
  /** Told of every call (for metrics); never given a token or a value. */
  observer?: ConsulObserver;
}

export interface ConsulObserver {
  call(method: string, endpoint: string, outcome: string, seconds: number, blocking: boolean): void;
  registration(operation: 'register' | 'deregister'): void;
  watchRestart(endpoint: string, reason: 'error' | 'index_reset'): void;
}

/**
 * The endpoint of a path as a metric label: names, keys and ids replaced by `*`, so the label set
 * stays as small as the API Switchboard uses, whatever the fleet.
 */
export function endpointPattern(path: string): string {
  const known = [
    '/v1/kv/',
    '/v1/health/service/',
    '/v1/agent/check/update/',
    '/v1/agent/service/deregister/',
    '/v1/session/renew/',
    '/v1/session/destroy/',
    '/v1/session/info/',
  ];
  const prefix = known.find((candidate) => path.startsWith(candidate));
  return prefix ? `${prefix}*` : path;
}

export interface BlockingOptions {
  /** The X-Consul-Index of the previous answer; 0 for an immediate answer. */
  index?: number;
  /** Consul's wait, in seconds (Consul caps it at 600). */
  waitSeconds?: number;
  signal?: AbortSignal;
}

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Add ?dc= when a datacenter is configured. */
  scoped?: boolean;
}

interface RawResult {
  status: number;
  text: string;
  index: number;
  knownLeader: boolean;
}

type QueryValue = string | number | boolean | undefined;

/**
 * A typed client for the parts of the Consul HTTP API Switchboard uses, on a kept-alive undici
 * agent. Blocking queries get a client timeout longer than Consul's wait plus its jitter (wait/16),
 * so an idle watch is never mistaken for a dead agent.
 */
export class ConsulClient {
  private readonly dispatcher: Dispatcher;
  private readonly baseUrl: string;
  private readonly requestTimeoutMs: number;
  private readonly tokenFile: ConsulTokenFile | undefined;
  private readonly tokenListeners = new Set<() => void>();
  /**
   * What this client registered, by service ID. The agent syncs each registration to the catalog
   * with the token it was registered with, so after a token change they are registered again
   * (replayRegistrations) before the old token may be deleted.
   */
  private readonly registrations = new Map<string, { service: ServiceRegistration; replaceExistingChecks: boolean }>();

  constructor(private readonly options: ConsulClientOptions) {
    this.baseUrl = options.address.replace(/\/+$/, '');
    if (options.tokenFile) {
      this.tokenFile = new ConsulTokenFile(options.tokenFile, () => {
        for (const listener of this.tokenListeners) listener();
      });
      this.tokenFile.watch();
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    const ca = options.caFile ? readFileSync(options.caFile) : undefined;
    this.dispatcher = new Agent({
      keepAliveTimeout: 30_000,
      // Our own AbortSignal bounds every request; undici's defaults (300 s) must not cut a long wait.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: ca ? { ca } : undefined,
    });
  }

  get address(): string {
    return this.baseUrl;
  }

  async close(): Promise<void> {
    this.tokenFile?.close();
    await this.dispatcher.close();
  }

  /** The token is read from a file and may change while the app runs. */
  get usesTokenFile(): boolean {
    return this.tokenFile !== undefined;
  }

  /** Calls listener each time the token file holds a new token (it is already in use then). */
  onTokenChange(listener: () => void): void {
    this.tokenListeners.add(listener);
  }

  /**
   * Registers again, with the current token, every service this client registered that the agent
   * still holds; check statuses survive (the agent keeps them across a re-registration). A service
   * gone meanwhile (deregistered by a peer, or by DeregisterCriticalServiceAfter) stays gone, and the
   * agent's tags and meta win over this client's older copy, which a peer may have superseded.
   * Returns the IDs that failed, to be tried again.
   */
  async replayRegistrations(): Promise<{ replayed: number; failed: Array<{ serviceId: string; error: unknown }> }> {
    const failed: Array<{ serviceId: string; error: unknown }> = [];
    let replayed = 0;
    const current = await this.agentServices();
    for (const [serviceId, { service, replaceExistingChecks }] of [...this.registrations]) {
      const held = current[serviceId];
      if (!held) {
        this.registrations.delete(serviceId);
        continue;
      }
      try {
        await this.registerService(
          { ...service, Tags: held.Tags ?? service.Tags, Meta: held.Meta ?? service.Meta },
          { replaceExistingChecks },
        );
        replayed += 1;
      } catch (error) {
        failed.push({ serviceId, error });
      }
    }
    return { replayed, failed };
  }

  /**
   * The AccessorID of the token in use (/v1/acl/token/self, which needs no ACL rule): the public
   * name of a token, which operators match against `consul acl token list`.
   */
  async tokenAccessorId(): Promise<string> {
    return (await this.json<{ AccessorID: string }>('GET', '/v1/acl/token/self')).AccessorID;
  }

  /** Nest calls this at shutdown when the client is a provider. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  // ---- status -------------------------------------------------------------------------------

  /** The raft leader's address, or '' while there is none. */
  async leader(signal?: AbortSignal): Promise<string> {
    return this.json<string>('GET', '/v1/status/leader', { signal });
  }

  /** The raft peers' addresses. */
  async peers(signal?: AbortSignal): Promise<string[]> {
    return this.json<string[]>('GET', '/v1/status/peers', { signal });
  }

  /**
   * Autopilot's view of the servers (needs operator:read). Consul answers 429 when the cluster is
   * unhealthy, with the same body, so that status is accepted here.
   */
  async autopilotHealth(signal?: AbortSignal): Promise<AutopilotHealth> {
    const { text } = await this.raw('GET', '/v1/operator/autopilot/health', { signal }, [429]);
    return JSON.parse(text) as AutopilotHealth;
  }

  // ---- agent services and checks -------------------------------------------------------------

  /** Idempotent: registering the same ID again replaces the definition. */
  async registerService(
    service: ServiceRegistration,
    options: { replaceExistingChecks?: boolean } = {},
  ): Promise<void> {
    await this.send('PUT', '/v1/agent/service/register', {
      body: service,
      query: { 'replace-existing-checks': options.replaceExistingChecks ? 'true' : undefined },
    });
    this.options.observer?.registration('register');
    if (this.tokenFile)
      this.registrations.set(service.ID, { service, replaceExistingChecks: options.replaceExistingChecks === true });
  }

  /** Removing an ID the agent does not know is not an error: the goal state is reached. */
  async deregisterService(serviceId: string): Promise<void> {
    try {
      await this.send('PUT', `/v1/agent/service/deregister/${encodeURIComponent(serviceId)}`);
      this.options.observer?.registration('deregister');
    } catch (error) {
      if (!(error instanceof ConsulResponseError && error.status === 404)) throw error;
    }
    this.registrations.delete(serviceId);
  }

  async agentServices(): Promise<Record<string, AgentService>> {
    return this.json('GET', '/v1/agent/services');
  }

  /** Sets a TTL check's status with a human-readable output (Consul keeps the last 4 KB). */
  async updateCheck(checkId: string, status: CheckStatus, output = ''): Promise<void> {
    await this.send('PUT', `/v1/agent/check/update/${encodeURIComponent(checkId)}`, {
      body: { Status: status, Output: output },
    });
  }

  // ---- health and catalog ----------------------------------------------------------------------

  /** Instances of a service with their checks; supports blocking. */
  async healthService(
    name: string,
    options: BlockingOptions & { passing?: boolean; tag?: string } = {},
  ): Promise<IndexedResult<ServiceHealthEntry[]>> {
    return this.indexed('GET', `/v1/health/service/${encodeURIComponent(name)}`, options, {
      passing: options.passing ? 'true' : undefined,
      tag: options.tag,
    });
  }

  /** Service names with their tags; supports blocking. */
  async catalogServices(options: BlockingOptions = {}): Promise<IndexedResult<Record<string, string[]>>> {
    return this.indexed('GET', '/v1/catalog/services', options, {});
  }

  // ---- KV ------------------------------------------------------------------------------------

  async kvGet(key: string, options: BlockingOptions = {}): Promise<IndexedResult<KvEntry | undefined>> {
    const result = await this.indexedRaw('GET', `/v1/kv/${encodeKey(key)}`, options, {}, [404]);
    const entries = result.status === 404 ? [] : (JSON.parse(result.text) as RawKvEntry[]);
    return {
      body: entries[0] ? decodeKv(entries[0]) : undefined,
      index: result.index,
      knownLeader: result.knownLeader,
    };
  }

  /**
   * Writes a value. With `cas` the write happens only if the key's ModifyIndex still equals it
   * (0: only if the key does not exist); `acquire` / `release` take or give up a session lock.
   * Returns false when Consul refused (CAS conflict, lock held by another session).
   */
  async kvPut(
    key: string,
    value: string,
    options: { cas?: number; acquire?: string; release?: string; flags?: number } = {},
  ): Promise<boolean> {
    return this.json<boolean>('PUT', `/v1/kv/${encodeKey(key)}`, {
      scoped: true,
      body: value,
      query: { cas: options.cas, acquire: options.acquire, release: options.release, flags: options.flags },
    });
  }

  // ---- sessions -------------------------------------------------------------------------------

  async sessionCreate(options: SessionOptions = {}): Promise<string> {
    const { ID } = await this.json<{ ID: string }>('PUT', '/v1/session/create', { scoped: true, body: options });
    return ID;
  }

  /** Renews a TTL session; returns false when the session no longer exists (it was invalidated). */
  async sessionRenew(sessionId: string): Promise<boolean> {
    try {
      await this.send('PUT', `/v1/session/renew/${encodeURIComponent(sessionId)}`, { scoped: true });
      return true;
    } catch (error) {
      if (error instanceof ConsulResponseError && error.status === 404) return false;
      throw error;
    }
  }

  async sessionDestroy(sessionId: string): Promise<void> {
    await this.send('PUT', `/v1/session/destroy/${encodeURIComponent(sessionId)}`, { scoped: true });
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private async indexed<T>(
    method: string,
    path: string,
    options: BlockingOptions,
    query: Record<string, QueryValue>,
  ): Promise<IndexedResult<T>> {
    const result = await this.indexedRaw(method, path, options, query);
    return { body: JSON.parse(result.text) as T, index: result.index, knownLeader: result.knownLeader };
  }

  private indexedRaw(
    method: string,
    path: string,
    { index, waitSeconds, signal }: BlockingOptions,
    query: Record<string, QueryValue>,
    acceptedStatuses: number[] = [],
  ): Promise<RawResult> {
    const blocking = index !== undefined && index > 0;
    const wait = Math.min(Math.max(Math.round(waitSeconds ?? 30), 1), 600);
    return this.raw(
      method,
      path,
      {
        scoped: true,
        signal,
        query: { ...query, index: blocking ? index : undefined, wait: blocking ? `${wait}s` : undefined },
        // Consul adds up to wait/16 of jitter before answering an idle blocking query.
        timeoutMs: blocking ? Math.ceil(wait * 1000 * (1 + 1 / 16)) + this.requestTimeoutMs : undefined,
      },
      acceptedStatuses,
    );
  }

  private async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { text } = await this.raw(method, path, options);
    return JSON.parse(text) as T;
  }

  private async send(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    await this.raw(method, path, options);
  }

  private async raw(
    method: string,
    path: string,
    options: RequestOptions,
    acceptedStatuses: number[] = [],
  ): Promise<RawResult> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    if (options.scoped && this.options.datacenter) url.searchParams.set('dc', this.options.datacenter);

    const token = this.tokenFile?.current ?? this.options.token;
    const headers: Record<string, string> = {};
    if (token) headers['x-consul-token'] = token;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = typeof options.body === 'string' ? 'application/octet-stream' : 'application/json';
    }

    const blocking = options.query?.index !== undefined;
    const started = performance.now();
    const observe = (outcome: string) =>
      this.options.observer?.call(
        method,
        endpointPattern(url.pathname),
        outcome,
        (performance.now() - started) / 1000,
        blocking,
      );
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.requestTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
        dispatcher: this.dispatcher,
      });
      text = await response.body.text();
    } catch (error) {
      // The caller's own abort is not an outage: let it through as an AbortError.
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      observe('unavailable');
      if (blocking) this.options.observer?.watchRestart(endpointPattern(url.pathname), 'error');
      throw new ConsulUnavailableError(method, url.pathname, error);
    }
    // The token was deleted or narrowed: if the file meanwhile holds a new one (the poll has not
    // seen it yet), this request goes again with it instead of failing.
    if (response.statusCode === 403 && this.tokenFile?.reload())
      return this.raw(method, path, options, acceptedStatuses);
    if ((response.statusCode < 200 || response.statusCode >= 300) && !acceptedStatuses.includes(response.statusCode)) {
      observe(`http_${Math.floor(response.statusCode / 100)}xx`);
      if (blocking) this.options.observer?.watchRestart(endpointPattern(url.pathname), 'error');
      throw new ConsulResponseError(response.statusCode, method, url.pathname, text);
    }
    observe('ok');
    const index = Number(header(response.headers, 'x-consul-index') ?? 0);
    // The same test a watch makes before following the index back (BlockingWatch.run).
    if (blocking && index < Number(options.query?.index))
      this.options.observer?.watchRestart(endpointPattern(url.pathname), 'index_reset');
    return {
      status: response.statusCode,
      text,
      index,
      knownLeader: header(response.headers, 'x-consul-knownleader') !== 'false',
    };
  }
}

interface RawKvEntry extends Omit<KvEntry, 'Value'> {
  Value: string | null;
}

function decodeKv(entry: RawKvEntry): KvEntry {
  return { ...entry, Value: entry.Value === null ? null : Buffer.from(entry.Value, 'base64').toString('utf8') };
}

/** Keys keep their slashes; every segment is escaped on its own. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
