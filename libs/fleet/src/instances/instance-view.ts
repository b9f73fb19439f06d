import type { ProviderInstance } from '@switchboard/database';
import { maskSecret } from '../credentials/credential-cipher.js';

/** What the admin API shows of an instance: everything but the secret, which is masked. */
export interface InstanceView {
  id: string;
  name: string;
  provider: string;
  baseUrl: string;
  models: string[];
  region: string | null;
  tags: string[];
  weight: number;
  priority: number;
  enabled: boolean;
  draining: boolean;
  apiKey: { source: 'stored' | 'environment' | 'none'; masked: string | null; environmentVariable: string | null };
  extraHeaders: Record<string, string>;
  maxConcurrency: number | null;
  rateLimitRpm: number | null;
  timeouts: { requestMs: number; firstTokenMs: number; idleMs: number };
  createdAt: string;
  updatedAt: string;
}

export function toInstanceView(instance: ProviderInstance): InstanceView {
  return {
    id: instance.id,
    name: instance.name,
    provider: instance.provider,
    baseUrl: instance.baseUrl,
    models: instance.models,
    region: instance.region,
    tags: instance.tags,
    weight: instance.weight,
    priority: instance.priority,
    enabled: instance.enabled,
    draining: instance.draining,
    apiKey: {
      source: instance.apiKeyCiphertext ? 'stored' : instance.apiKeyEnv ? 'environment' : 'none',
      masked: instance.apiKeyCiphertext ? maskSecret(instance.apiKeyLast4) : null,
      environmentVariable: instance.apiKeyEnv,
    },
    extraHeaders: (instance.extraHeaders ?? {}) as Record<string, string>,
    maxConcurrency: instance.maxConcurrency,
    rateLimitRpm: instance.rateLimitRpm,
    timeouts: {
      requestMs: instance.requestTimeoutMs,
      firstTokenMs: instance.firstTokenTimeoutMs,
      idleMs: instance.idleTimeoutMs,
    },
    createdAt: instance.createdAt.toISOString(),
    updatedAt: instance.updatedAt.toISOString(),
  };
}
