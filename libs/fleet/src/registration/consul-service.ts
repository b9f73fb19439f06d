import type { ServiceRegistration } from '@switchboard/consul';
import type { ProviderInstance } from '@switchboard/database';
import { type ProviderName, providerServiceName } from '@switchboard/providers';
import type { CheckStatus } from '../health/health-state.js';
import { HEALTH_META_KEYS, healthMeta, type PublishedHealth } from '../health/published-health.js';

/** Marks the Consul services Switchboard owns, so anti-entropy never touches anyone else's. */
export const MANAGED_META_KEY = 'switchboard_instance_id';

/** What this process last learnt of an instance's health, for (re-)registration. */
export interface KnownCheck {
  status: CheckStatus;
  /** The probe's output; the registry adds what Consul should say around it (draining). */
  output: string;
  /** What meta shows; absent until this process has probed the instance. */
  health?: PublishedHealth;
}

/** What a service ID is made of: instance names are unique, so the ID is too, and readable in the Consul UI. */
export type ServiceIdSource = Pick<ProviderInstance, 'name' | 'provider'>;

export function instanceServiceId(instance: ServiceIdSource): string {
  return `${providerServiceName(instance.provider as ProviderName)}-${instance.name}`;
}

export function instanceCheckId(instance: ServiceIdSource): string {
  return `${instanceServiceId(instance)}:probe`;
}

/**
 * An instance as a Consul service: models and region as tags, non-secret meta for routing and for
 * the operator (health as last published), and a TTL check the prober keeps alive. The check starts
 * in the known status: an agent that lost the check (a restart) would otherwise show it critical until
 * the next update (an agent that has it keeps its status and output). Nothing here may be secret:
 * Consul data is readable by anyone with catalog read.
 */
export function toConsulService(
  instance: ProviderInstance,
  checkTtl: string,
  deregisterCriticalAfter: string,
  known?: KnownCheck,
): ServiceRegistration {
  const url = new URL(instance.baseUrl);
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const tags = [
    ...instance.models.map((model) => `model:${model}`),
    ...(instance.region ? [`region:${instance.region}`] : []),
    ...instance.tags,
    ...(instance.draining ? ['draining'] : []),
  ];
  return {
    ID: instanceServiceId(instance),
    Name: providerServiceName(instance.provider as ProviderName),
    Address: url.hostname,
    Port: port,
    Tags: [...new Set(tags)],
    Meta: {
      [MANAGED_META_KEY]: instance.id,
      provider: instance.provider,
      instance_name: instance.name.slice(0, 500),
      // Consul caps a meta value at 512 characters.
      models: instance.models.join(',').slice(0, 512),
      weight: String(instance.weight),
      priority: String(instance.priority),
      base_url_host: url.host,
      region: instance.region ?? '',
      draining: String(instance.draining),
      ...healthMeta(known?.health),
    },
    Check: {
      CheckID: instanceCheckId(instance),
      Name: `${instance.provider} probe`,
      Notes: 'Passed, warned or failed by the instance-manager prober',
      TTL: checkTtl,
      ...(known ? { Status: known.status } : {}),
      DeregisterCriticalServiceAfter: deregisterCriticalAfter,
    },
  };
}

/**
 * True when Consul's copy of a service differs from what the database (and, for the health meta,
 * the prober) says it should be. Health meta this process does not know yet (a new leader before
 * its first probe) is left as Consul has it, so a failover does not re-register the whole fleet.
 */
export function serviceDiffers(
  wanted: ServiceRegistration,
  actual: {
    Service: string;
    Address: string;
    Port: number;
    Tags: string[] | null;
    Meta: Record<string, string> | null;
  },
): boolean {
  return (
    wanted.Name !== actual.Service ||
    wanted.Address !== actual.Address ||
    wanted.Port !== actual.Port ||
    JSON.stringify([...(wanted.Tags ?? [])].sort()) !== JSON.stringify([...(actual.Tags ?? [])].sort()) ||
    JSON.stringify(comparableMeta(wanted.Meta, wanted.Meta)) !==
      JSON.stringify(comparableMeta(actual.Meta, wanted.Meta))
  );
}

function comparableMeta(meta: Record<string, string> | null | undefined, wanted: Record<string, string> | undefined) {
  const knowsHealth = HEALTH_META_KEYS.some((key) => wanted?.[key] !== undefined);
  return Object.entries(meta ?? {})
    .filter(([key]) => knowsHealth || !(HEALTH_META_KEYS as readonly string[]).includes(key))
    .sort();
}
