import { claudeAdapter } from './adapters/claude/claude.adapter.js';
import { openAIAdapter } from './adapters/openai/openai.adapter.js';
import { openAICompatibleAdapter } from './adapters/openai-compatible/openai-compatible.adapter.js';
import { perplexityAdapter } from './adapters/perplexity/perplexity.adapter.js';
import { zaiAdapter } from './adapters/zai/zai.adapter.js';
import type { ProviderAdapter } from './core/provider-adapter.js';

/**
 * The providers Switchboard speaks to, by name. Adding a provider is its adapter folder under
 * adapters/ and one line here: the ProviderName type, the admin API's validation, routing, Consul
 * service names and the simulator's list all read this table (the database stores the name as
 * text). The order is the one error messages list the names in, not a routing preference.
 */
const ADAPTERS = {
  openai: openAIAdapter,
  claude: claudeAdapter,
  zai: zaiAdapter,
  perplexity: perplexityAdapter,
  openai_compatible: openAICompatibleAdapter,
};

export type ProviderName = keyof typeof ADAPTERS;

export const PROVIDER_NAMES: readonly ProviderName[] = Object.freeze(Object.keys(ADAPTERS) as ProviderName[]);

/** Every provider's Consul service is named this plus the provider name (see providerServiceName). */
export const PROVIDER_SERVICE_PREFIX = 'ai-provider-';

/** Consul service names allow no underscore: openai_compatible becomes ai-provider-openai-compatible. */
export function providerServiceName(provider: ProviderName): string {
  return `${PROVIDER_SERVICE_PREFIX}${provider.replaceAll('_', '-')}`;
}

/** The provider a Consul service belongs to, or undefined when the name is not one of ours. */
export function providerOfServiceName(service: string): ProviderName | undefined {
  return PROVIDER_NAMES.find((provider) => providerServiceName(provider) === service);
}

export interface ProviderDefinition {
  readonly name: ProviderName;
  /** The Consul service its instances register under. */
  readonly serviceName: string;
  readonly adapter: ProviderAdapter;
  /** The provider's public endpoint, used when an instance names no base URL. */
  readonly defaultBaseUrl: string;
}

export const PROVIDERS: Readonly<Record<ProviderName, ProviderDefinition>> = Object.freeze(
  Object.fromEntries(
    PROVIDER_NAMES.map((name) => {
      const adapter = ADAPTERS[name] as ProviderAdapter;
      return [
        name,
        Object.freeze({
          name,
          serviceName: providerServiceName(name),
          adapter,
          defaultBaseUrl: adapter.defaultBaseUrl,
        }),
      ];
    }),
  ) as Record<ProviderName, ProviderDefinition>,
);

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && Object.hasOwn(PROVIDERS, value);
}

export function adapterFor(provider: ProviderName): ProviderAdapter {
  // Names come from the database as text: fail with the name rather than on an undefined adapter.
  if (!isProviderName(provider))
    throw new Error(`unknown provider ${JSON.stringify(provider)} (known: ${PROVIDER_NAMES.join(', ')})`);
  return PROVIDERS[provider].adapter;
}
