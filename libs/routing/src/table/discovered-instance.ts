import type { ServiceHealthEntry } from '@switchboard/consul';
import type { ProviderName } from '@switchboard/providers';
import type { CatalogInstance } from './instance-table.js';

/**
 * Model servers that register themselves in Consul (a vLLM or Ollama host's own agent, an
 * orchestrator, an egress proxy) as `ai-provider-<provider>` with `switchboard_models` in their
 * meta. Switchboard routes to them with their own Consul health, with no admin API call and no
 * probing of its own. The meta keys are the whole contract.
 */
export const DISCOVERY_META = {
  models: 'switchboard_models',
  basePath: 'switchboard_base_path',
  scheme: 'switchboard_scheme',
  weight: 'switchboard_weight',
  priority: 'switchboard_priority',
  apiKeyEnv: 'switchboard_api_key_env',
} as const;

/** Ids of discovered instances say where they come from, and never collide with managed (UUID) ids. */
export const DISCOVERED_ID_PREFIX = 'consul:';

/** Timeouts of a discovered instance: the managed instances' defaults (prisma/schema.prisma). */
const DEFAULT_TIMEOUTS = { requestMs: 120_000, firstTokenMs: 30_000, idleMs: 30_000 };

export interface DiscoveredInstance {
  row: CatalogInstance;
  /** The environment variable its key is read from; none for a server that wants no key. */
  apiKeyEnv?: string;
}

export type Discovery = { instance: DiscoveredInstance } | { problem: string };

/** Whether a Consul entry offers itself for discovery (the managed ones carry the instance-id meta instead). */
export function offersDiscovery(entry: ServiceHealthEntry, managedMetaKey: string): boolean {
  const meta = entry.Service.Meta ?? {};
  return meta[DISCOVERY_META.models] !== undefined && meta[managedMetaKey] === undefined;
}

/** Reads a self-registered service's meta into a catalog row, or says what is wrong with it. */
export function discoveredInstance(entry: ServiceHealthEntry, provider: ProviderName): Discovery {
  const service = entry.Service;
  const meta = service.Meta ?? {};
  const where = `Consul service ${service.ID}`;
  const models = (meta[DISCOVERY_META.models] ?? '')
    .split(',')
    .map((model) => model.trim())
    .filter(Boolean);
  if (models.length === 0) return { problem: `${where}: meta ${DISCOVERY_META.models} lists no model` };
  const basePath = meta[DISCOVERY_META.basePath] ?? '/v1';
  if (!basePath.startsWith('/')) return { problem: `${where}: meta ${DISCOVERY_META.basePath} must start with /` };
  const scheme = meta[DISCOVERY_META.scheme] ?? 'http';
  if (scheme !== 'http' && scheme !== 'https')
    return { problem: `${where}: meta ${DISCOVERY_META.scheme} must be http or https` };
  const weight = integerMeta(meta[DISCOVERY_META.weight], 100, 0, 10_000);
  const priority = integerMeta(meta[DISCOVERY_META.priority], 0, 0, 1000);
  if (weight === undefined) return { problem: `${where}: meta ${DISCOVERY_META.weight} must be an integer 0-10000` };
  if (priority === undefined) return { problem: `${where}: meta ${DISCOVERY_META.priority} must be an integer 0-1000` };
  const host = service.Address || entry.Node.Address;
  if (!host || !service.Port) return { problem: `${where}: no address and port to call` };
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    instance: {
      row: {
        id: `${DISCOVERED_ID_PREFIX}${service.ID}`,
        name: service.ID,
        provider,
        models,
        baseUrl: `${scheme}://${hostInUrl}:${service.Port}${basePath.replace(/\/+$/, '')}`,
        weight,
        priority,
        draining: (service.Tags ?? []).includes('draining'),
        maxConcurrency: null,
        rateLimitRpm: null,
        timeouts: DEFAULT_TIMEOUTS,
        discovered: true,
      },
      apiKeyEnv: meta[DISCOVERY_META.apiKeyEnv] || undefined,
    },
  };
}

function integerMeta(raw: string | undefined, fallback: number, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  return Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

/** Why a discovered server may not use the key variable its meta names, or undefined when it may. */
export function discoveredKeyProblem(
  apiKeyEnv: string,
  prefixes: { DISCOVERED_KEY_ENV_PREFIX: string; INSTANCE_KEY_ENV_PREFIX: string },
): string | undefined {
  const { DISCOVERED_KEY_ENV_PREFIX: discovered, INSTANCE_KEY_ENV_PREFIX: managed } = prefixes;
  if (!apiKeyEnv.startsWith(discovered))
    return `meta ${DISCOVERY_META.apiKeyEnv} names ${apiKeyEnv}, but a self-registered server may only use variables starting with ${discovered} (DISCOVERED_KEY_ENV_PREFIX)`;
  if (apiKeyEnv.startsWith(managed))
    return `meta ${DISCOVERY_META.apiKeyEnv} names ${apiKeyEnv}, a managed instance's key variable (INSTANCE_KEY_ENV_PREFIX ${managed}); give the server a key of its own under ${discovered}`;
  return undefined;
}
