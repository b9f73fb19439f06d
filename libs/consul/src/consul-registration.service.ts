import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { AppConfig, type BuildInfo, describeError, readBuildInfo } from '@switchboard/kernel';
import { backoffDelay, sleep } from '@switchboard/kernel';
import { ConsulClient } from './consul.client.js';
import { ConsulResponseError } from './consul.errors.js';
import type { ServiceRegistration } from './consul.types.js';

export const CONSUL_REGISTRATION_OPTIONS = Symbol('CONSUL_REGISTRATION_OPTIONS');

/**
 * Service meta naming the AccessorID of the token this app's registrations were last made with
 * (only with CONSUL_HTTP_TOKEN_FILE). An AccessorID is a token's public name, not its secret.
 */
export const TOKEN_ACCESSOR_META_KEY = 'switchboard_token_accessor';

export interface ConsulRegistrationOptions {
  tags?: string[];
  meta?: Record<string, string>;
  /** Path of the endpoint Consul's HTTP check calls. */
  checkPath?: string;
}

export type RegistrationState = 'disabled' | 'pending' | 'registered' | 'deregistered';

/**
 * Registers the running app in Consul once it listens, retrying with backoff while Consul is not
 * up yet, and deregisters it before the HTTP server closes, so Consul stops routing to it first.
 */
@Injectable()
export class ConsulRegistrationService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ConsulRegistrationService.name);
  private readonly stopping = new AbortController();
  private attempt: Promise<void> | undefined;
  private current: RegistrationState = 'pending';
  private lastError: string | undefined;
  private markRegistered!: () => void;
  private port: number | undefined;
  private verifier: NodeJS.Timeout | undefined;
  private verifying = false;
  private tokenAccessorId: string | undefined;
  private tokenAdoption: Promise<void> = Promise.resolve();
  /** Read once: the code a process runs does not change while it runs. */
  private readonly build: BuildInfo;
  /** Resolves once the app is registered (never, when registration is disabled). */
  readonly registered = new Promise<void>((resolve) => (this.markRegistered = resolve));

  constructor(
    private readonly consul: ConsulClient,
    private readonly config: AppConfig,
    @Inject(CONSUL_REGISTRATION_OPTIONS) private readonly options: ConsulRegistrationOptions,
  ) {
    if (!config.CONSUL_REGISTER) this.current = 'disabled';
    this.build = readBuildInfo(config.BUILD_ID);
    // Even without a registration of its own, the app may have registered others (provider instances).
    consul.onTokenChange(() => {
      this.tokenAdoption = this.tokenAdoption.then(() => this.adoptNewToken());
    });
  }

  get state(): { state: RegistrationState; serviceId: string; lastError?: string } {
    return { state: this.current, serviceId: this.config.serviceId, lastError: this.lastError };
  }

  /** The ID of this app's readiness check in Consul. */
  get checkId(): string {
    return `service:${this.config.serviceId}:ready`;
  }

  get enabled(): boolean {
    return this.current !== 'disabled';
  }

  /**
   * The definition sent to Consul: no secret goes in here. Meta says which code runs (version,
   * build, node), so a half-finished rollout shows in the Consul UI.
   */
  definition(port: number): ServiceRegistration {
    const { appName, SERVICE_ADDRESS: address } = this.config;
    const checkUrl = `http://${address.includes(':') ? `[${address}]` : address}:${port}${this.options.checkPath ?? '/health/ready'}`;
    return {
      ID: this.config.serviceId,
      Name: appName,
      Address: address,
      Port: port,
      Tags: ['switchboard', ...(this.options.tags ?? [])],
      Meta: {
        app: appName,
        ...this.build,
        ...this.options.meta,
        ...(this.tokenAccessorId ? { [TOKEN_ACCESSOR_META_KEY]: this.tokenAccessorId } : {}),
      },
      Check: {
        CheckID: this.checkId,
        Name: `${appName} readiness`,
        HTTP: checkUrl,
        Method: 'GET',
        Interval: this.config.CONSUL_CHECK_INTERVAL,
        Timeout: '2s',
        DeregisterCriticalServiceAfter: this.config.CONSUL_DEREGISTER_CRITICAL_AFTER,
      },
      ...this.connect(),
    };
  }

  /**
   * With CONSUL_CONNECT_UPSTREAMS, a sidecar service whose upstreams are the stores this app uses:
   * `consul connect proxy -sidecar-for <service id>` beside the app then carries that traffic over
   * mutual TLS, allowed or refused by Consul's intentions.
   */
  private connect(): Pick<ServiceRegistration, 'Connect'> {
    const upstreams = this.config.connectUpstreams;
    if (upstreams.length === 0) return {};
    return {
      Connect: {
        SidecarService: {
          ...(this.config.CONSUL_CONNECT_SIDECAR_PORT ? { Port: this.config.CONSUL_CONNECT_SIDECAR_PORT } : {}),
          Proxy: {
            Upstreams: upstreams.map(({ service, localPort }) => ({
              DestinationName: service,
              LocalBindAddress: '127.0.0.1',
              LocalBindPort: localPort,
            })),
          },
        },
      },
    };
  }

  /** Starts registering in the background; resolves at once. */
  start(port: number): void {
    if (this.current === 'disabled' || this.attempt) return;
    this.port = port;
    this.attempt = this.registerUntilDone(port);
    // Anti-entropy for our own registration: an agent restart, or a critical check held longer
    // than DeregisterCriticalServiceAfter, removes it; nothing else would put it back.
    this.verifier = setInterval(
      () => void this.verify(),
      Math.max(2_000, 5 * durationMs(this.config.CONSUL_CHECK_INTERVAL)),
    );
    this.verifier.unref();
  }

  /** Re-registers now if Consul has lost this app (also called when a session names a missing check). */
  async verify(): Promise<void> {
    if (this.current !== 'registered' || this.port === undefined || this.stopping.signal.aborted || this.verifying)
      return;
    this.verifying = true;
    try {
      const services = await this.consul.agentServices();
      if (services[this.config.serviceId]) return;
      this.logger.warn(`Consul no longer has ${this.config.serviceId}; registering it again`);
      await this.consul.registerService(this.definition(this.port), { replaceExistingChecks: true });
    } catch (error) {
      this.logger.debug(`Registration check failed: ${describeError(error)}`);
    } finally {
      this.verifying = false;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    if (this.verifier) clearInterval(this.verifier);
    await this.attempt;
    await this.tokenAdoption;
    if (this.current !== 'registered') return;
    try {
      await this.consul.deregisterService(this.config.serviceId);
      this.current = 'deregistered';
      this.logger.log(`Deregistered ${this.config.serviceId} from Consul`);
    } catch (error) {
      this.logger.warn(`Could not deregister ${this.config.serviceId} from Consul: ${describeError(error)}`);
    }
  }

  /**
   * A new token in CONSUL_HTTP_TOKEN_FILE. The agent syncs each registration to the catalog with the
   * token it was made with, and would be refused once the old token is deleted: so every
   * registration of this process is made again with the new token, and only then does this app's
   * own registration name the new AccessorID, the signal rotate_app_token.sh waits for.
   */
  private async adoptNewToken(): Promise<void> {
    for (let failures = 0; !this.stopping.signal.aborted; failures += 1) {
      try {
        const { replayed, failed } = await this.consul.replayRegistrations();
        if (failed.length > 0)
          throw new Error(
            `${failed.length} registration(s) not yet made with it (${failed.map(({ serviceId, error }) => `${serviceId}: ${describeError(error)}`).join('; ')})`,
          );
        await this.lookUpTokenAccessorId();
        if (this.current === 'registered' && this.port !== undefined)
          await this.consul.registerService(this.definition(this.port), { replaceExistingChecks: true });
        this.logger.log(
          `Consul token changed in CONSUL_HTTP_TOKEN_FILE (accessor ${this.tokenAccessorId ?? 'unknown'}); ${replayed} registration(s) made again with it`,
        );
        return;
      } catch (error) {
        const delay = backoffDelay(failures, { initialMs: 500, maxMs: 15_000 });
        this.logger.warn(`Adopting the new Consul token failed: ${describeError(error)}; retrying in ${delay} ms`);
        await sleep(delay, this.stopping.signal);
      }
    }
  }

  /**
   * Best effort: with ACLs off there is no token to name, and the registration must not wait for
   * one. An unreachable Consul throws, and the caller retries.
   */
  private async lookUpTokenAccessorId(): Promise<void> {
    if (!this.consul.usesTokenFile) return;
    try {
      this.tokenAccessorId = await this.consul.tokenAccessorId();
    } catch (error) {
      if (!(error instanceof ConsulResponseError)) throw error;
      this.tokenAccessorId = undefined;
      this.logger.debug(`Consul does not name the token in use: ${describeError(error)}`);
    }
  }

  private async registerUntilDone(port: number): Promise<void> {
    for (let failures = 0; !this.stopping.signal.aborted; failures += 1) {
      try {
        await this.lookUpTokenAccessorId();
        const service = this.definition(port);
        await this.consul.registerService(service, { replaceExistingChecks: true });
        this.current = 'registered';
        this.lastError = undefined;
        this.markRegistered();
        this.logger.log(`Registered ${service.ID} in Consul as ${service.Name} at ${service.Address}:${service.Port}`);
        return;
      } catch (error) {
        this.lastError = describeError(error);
        const delay = backoffDelay(failures, { initialMs: 500, maxMs: 15_000 });
        this.logger.warn(`Consul registration failed (${this.lastError}); retrying in ${delay} ms`);
        await sleep(delay, this.stopping.signal);
      }
    }
  }
}

/** A Consul duration such as 500ms, 5s or 1m, in milliseconds. */
function durationMs(duration: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (!match) return 5_000;
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
}
