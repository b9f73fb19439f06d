import { Injectable, Logger } from '@nestjs/common';
import { ConsulClient } from '@switchboard/consul';
import { isRecordNotFound, isUniqueViolation, type ProviderInstance } from '@switchboard/database';
import { type ProviderName, PROVIDERS, providerServiceName } from '@switchboard/providers';
import { AuditRepository } from '../audit/audit.repository.js';
import { instanceCheckId, instanceServiceId } from '../registration/consul-service.js';
import { CredentialCipher } from '../credentials/credential-cipher.js';
import { DuplicateInstanceNameError, InstanceNotFoundError, InvalidInstanceError } from './instance-errors.js';
import { InstanceProber, type ProbeReport } from '../health/instance-prober.js';
import { InstanceRegistry } from '../registration/instance-registry.js';
import { type InstanceView, toInstanceView } from './instance-view.js';
import { InstancesRepository } from './instances.repository.js';
import { HealthStore, type InstanceHealthMetrics } from '../health/health-store.js';
import { AppConfig, describeError, urlRefusal } from '@switchboard/kernel';

export interface InstanceInput {
  name: string;
  provider: ProviderName;
  baseUrl?: string;
  models: string[];
  /** The key itself (encrypted before it is stored) ... */
  apiKey?: string;
  /** ... or the name of the environment variable holding it. */
  apiKeyEnv?: string;
  region?: string | null;
  tags?: string[];
  weight?: number;
  priority?: number;
  enabled?: boolean;
  extraHeaders?: Record<string, string>;
  maxConcurrency?: number | null;
  rateLimitRpm?: number | null;
  requestTimeoutMs?: number;
  firstTokenTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export type InstanceUpdate = Partial<Omit<InstanceInput, 'provider'>>;

export interface ListQuery {
  provider?: ProviderName;
  enabled?: boolean;
  health?: 'passing' | 'warning' | 'critical' | 'unknown';
  page: number;
  pageSize: number;
}

export interface InstanceHealthView {
  instance: InstanceView;
  metrics: InstanceHealthMetrics | null;
  consul: { registered: boolean; status: string | null; output: string | null };
}

/**
 * Admin operations on provider instances: each change lands in Postgres first (the source of
 * truth), is written to the audit log without secrets, and is pushed to Consul at once (the
 * reconciler repairs anything that push misses).
 */
@Injectable()
export class InstancesService {
  private readonly logger = new Logger(InstancesService.name);

  constructor(
    private readonly repository: InstancesRepository,
    private readonly audit: AuditRepository,
    private readonly cipher: CredentialCipher,
    private readonly registry: InstanceRegistry,
    private readonly prober: InstanceProber,
    private readonly healthStore: HealthStore,
    private readonly consul: ConsulClient,
    private readonly config: AppConfig,
  ) {}

  async list(query: ListQuery): Promise<{ items: InstanceView[]; total: number; page: number; pageSize: number }> {
    let instances = await this.repository.findMany({ provider: query.provider, enabled: query.enabled });
    if (query.health) {
      const statuses = await Promise.all(
        instances.map(
          async (instance) => (await this.healthStore.read(instance.id).catch(() => undefined))?.status ?? 'unknown',
        ),
      );
      instances = instances.filter((_, position) => statuses[position] === query.health);
    }
    const start = (query.page - 1) * query.pageSize;
    return {
      items: instances.slice(start, start + query.pageSize).map(toInstanceView),
      total: instances.length,
      page: query.page,
      pageSize: query.pageSize,
    };
  }

  async get(id: string): Promise<InstanceView> {
    return toInstanceView(await this.require(id));
  }

  async create(input: InstanceInput, actor: string): Promise<InstanceView> {
    this.checkInput(input);
    const baseUrl = input.baseUrl ?? PROVIDERS[input.provider].defaultBaseUrl;
    let instance: ProviderInstance;
    try {
      instance = await this.repository.create({
        name: input.name,
        provider: input.provider,
        baseUrl,
        models: input.models,
        region: input.region ?? null,
        tags: input.tags ?? [],
        weight: input.weight,
        priority: input.priority,
        enabled: input.enabled,
        extraHeaders: input.extraHeaders ?? {},
        maxConcurrency: input.maxConcurrency ?? null,
        rateLimitRpm: input.rateLimitRpm ?? null,
        requestTimeoutMs: input.requestTimeoutMs,
        firstTokenTimeoutMs: input.firstTokenTimeoutMs,
        idleTimeoutMs: input.idleTimeoutMs,
        ...this.credentialFields(input),
      });
    } catch (error) {
      throw this.translate(error, input.name);
    }
    const view = toInstanceView(instance);
    await this.audit.record({
      actor,
      action: 'instance.create',
      targetType: 'provider_instance',
      targetId: instance.id,
      details: { after: view },
    });
    await this.sync(instance);
    return view;
  }

  async update(id: string, input: InstanceUpdate, actor: string): Promise<InstanceView> {
    const before = await this.require(id);
    this.checkInput(input);
    // A stored key follows its instance to a new host only if the operator gives it again.
    if (
      input.baseUrl &&
      new URL(input.baseUrl).host !== new URL(before.baseUrl).host &&
      before.apiKeyCiphertext &&
      !input.apiKey &&
      !input.apiKeyEnv
    ) {
      throw new InvalidInstanceError(
        'apiKey',
        'baseUrl moves to another host: give the apiKey again, so a stored key is never sent to a host it was not entered for',
      );
    }
    let instance: ProviderInstance;
    try {
      instance = await this.repository.update(id, {
        name: input.name,
        baseUrl: input.baseUrl,
        models: input.models,
        region: input.region,
        tags: input.tags,
        weight: input.weight,
        priority: input.priority,
        enabled: input.enabled,
        extraHeaders: input.extraHeaders,
        maxConcurrency: input.maxConcurrency,
        rateLimitRpm: input.rateLimitRpm,
        requestTimeoutMs: input.requestTimeoutMs,
        firstTokenTimeoutMs: input.firstTokenTimeoutMs,
        idleTimeoutMs: input.idleTimeoutMs,
        ...(input.apiKey || input.apiKeyEnv ? this.credentialFields(input) : {}),
      });
    } catch (error) {
      throw this.translate(error, input.name ?? before.name);
    }
    const view = toInstanceView(instance);
    await this.audit.record({
      actor,
      action: 'instance.update',
      targetType: 'provider_instance',
      targetId: id,
      details: {
        before: toInstanceView(before),
        after: view,
        credentialChanged: Boolean(input.apiKey || input.apiKeyEnv),
      },
    });
    // A new name is a new service ID: the old registration goes at once, not at the next reconcile.
    if (instance.name !== before.name) await this.deregisterQuietly(before);
    await this.sync(instance);
    return view;
  }

  private async deregisterQuietly(instance: ProviderInstance): Promise<void> {
    try {
      await this.registry.deregister(instance);
    } catch (error) {
      this.logger.warn(`Consul deregistration of ${instance.name} deferred to the reconciler: ${describeError(error)}`);
    }
  }

  async remove(id: string, actor: string): Promise<void> {
    const instance = await this.require(id);
    await this.repository.delete(id);
    await this.audit.record({
      actor,
      action: 'instance.delete',
      targetType: 'provider_instance',
      targetId: id,
      details: { before: toInstanceView(instance) },
    });
    await this.deregisterQuietly(instance);
    this.prober.forget(id);
    await this.healthStore.forget(id);
  }

  async setState(id: string, change: 'enable' | 'disable' | 'drain' | 'undrain', actor: string): Promise<InstanceView> {
    await this.require(id);
    const data =
      change === 'enable'
        ? { enabled: true }
        : change === 'disable'
          ? { enabled: false }
          : { draining: change === 'drain' };
    const instance = await this.repository.update(id, data);
    await this.audit.record({
      actor,
      action: `instance.${change}`,
      targetType: 'provider_instance',
      targetId: id,
      details: data,
    });
    await this.sync(instance);
    return toInstanceView(instance);
  }

  async probeNow(id: string, actor: string): Promise<ProbeReport> {
    const instance = await this.require(id);
    const report = await this.prober.probe(instance);
    await this.audit.record({
      actor,
      action: 'instance.probe',
      targetType: 'provider_instance',
      targetId: id,
      details: { status: report.status, output: report.output },
    });
    return report;
  }

  /** Current health: the shared metrics in Redis and the check as Consul sees it. */
  async health(id: string): Promise<InstanceHealthView> {
    const instance = await this.require(id);
    const metrics = (await this.healthStore.read(id).catch(() => undefined)) ?? null;
    let consul: InstanceHealthView['consul'] = { registered: false, status: null, output: null };
    try {
      const entries = (await this.consul.healthService(providerServiceName(instance.provider as ProviderName))).body;
      const entry = entries.find((candidate) => candidate.Service.ID === instanceServiceId(instance));
      const check = entry?.Checks.find((candidate) => candidate.CheckID === instanceCheckId(instance));
      consul = { registered: Boolean(entry), status: check?.Status ?? null, output: check?.Output ?? null };
    } catch (error) {
      consul = {
        registered: false,
        status: null,
        output: `Consul unreachable: ${describeError(error)}`,
      };
    }
    return { instance: toInstanceView(instance), metrics, consul };
  }

  async require(id: string): Promise<ProviderInstance> {
    const instance = /^[0-9a-f-]{36}$/i.test(id) ? await this.repository.findById(id) : null;
    if (!instance) throw new InstanceNotFoundError(id);
    return instance;
  }

  /** Pushes one instance's wanted state to Consul now; failures are left to the reconciler. */
  private async sync(instance: ProviderInstance): Promise<void> {
    try {
      if (instance.enabled) await this.registry.register(instance, this.prober.known(instance.id));
      else await this.registry.deregister(instance);
    } catch (error) {
      this.logger.warn(`Consul update of ${instance.name} deferred to the reconciler: ${describeError(error)}`);
    }
  }

  /** What the DTO cannot know: where baseUrl may point, and which variables may hold a key. */
  private checkInput(input: InstanceUpdate): void {
    if (input.baseUrl !== undefined) checkBaseUrl(input.baseUrl, this.config);
    checkCredentialInput(input, this.config.INSTANCE_KEY_ENV_PREFIX);
  }

  private credentialFields(input: Pick<InstanceInput, 'apiKey' | 'apiKeyEnv'>) {
    if (input.apiKey)
      return {
        apiKeyCiphertext: this.cipher.encrypt(input.apiKey),
        apiKeyLast4: input.apiKey.slice(-4),
        apiKeyEnv: null,
      };
    if (input.apiKeyEnv) return { apiKeyEnv: input.apiKeyEnv, apiKeyCiphertext: null, apiKeyLast4: null };
    return {};
  }

  private translate(error: unknown, name: string): unknown {
    if (isUniqueViolation(error)) return new DuplicateInstanceNameError(name);
    if (isRecordNotFound(error)) return new InstanceNotFoundError(name);
    return error;
  }
}

/**
 * The prober and the gateway send requests, provider keys included, to baseUrl: it must not reach
 * the cloud's metadata service or the host itself (see kernel's destination policy).
 */
function checkBaseUrl(baseUrl: string, config: AppConfig): void {
  const refusal = urlRefusal(baseUrl, config.destinationPolicy);
  if (refusal) throw new InvalidInstanceError('baseUrl', refusal);
}

/**
 * apiKeyEnv names a variable of the apps' own environment, whose value is sent to baseUrl as the
 * key: only variables with the configured prefix qualify, so no other secret of the apps (admin
 * token, credentials key, database or cloud credentials) can be named.
 */
function checkCredentialInput(
  input: Pick<InstanceInput, 'apiKey' | 'apiKeyEnv' | 'extraHeaders'>,
  keyEnvPrefix: string,
): void {
  if (input.apiKey && input.apiKeyEnv)
    throw new InvalidInstanceError('apiKey', 'give either apiKey or apiKeyEnv, not both');
  if (input.apiKeyEnv && !input.apiKeyEnv.startsWith(keyEnvPrefix)) {
    throw new InvalidInstanceError(
      'apiKeyEnv',
      `${input.apiKeyEnv} does not start with ${keyEnvPrefix}: provider keys are read only from variables named ${keyEnvPrefix}<NAME> (the prefix is the INSTANCE_KEY_ENV_PREFIX setting)`,
    );
  }
  for (const [name, value] of Object.entries(input.extraHeaders ?? {})) {
    if (typeof value !== 'string')
      throw new InvalidInstanceError(`extraHeaders.${name}`, 'header values must be strings');
    if (CREDENTIAL_HEADERS.test(name)) {
      throw new InvalidInstanceError(
        `extraHeaders.${name}`,
        'credentials do not go in extraHeaders (they would be shown and audited in clear): use apiKey or apiKeyEnv',
      );
    }
  }
}

const CREDENTIAL_HEADERS =
  /^(authorization|proxy-authorization|x-api-key|api-key|cookie|x-goog-api-key|.*token.*|.*secret.*)$/i;
