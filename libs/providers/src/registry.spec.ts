import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adapterFor,
  isProviderName,
  PROVIDER_NAMES,
  PROVIDER_SERVICE_PREFIX,
  PROVIDERS,
  type ProviderName,
  providerOfServiceName,
  providerServiceName,
} from './registry.js';

describe('provider registry', () => {
  it('lists each provider once, in the same order as its table', () => {
    assert.ok(PROVIDER_NAMES.length > 0);
    assert.equal(new Set(PROVIDER_NAMES).size, PROVIDER_NAMES.length, 'names are unique');
    assert.deepEqual(Object.keys(PROVIDERS), [...PROVIDER_NAMES]);
  });

  it('gives every provider an adapter that answers to its name, and a usable default base URL', () => {
    for (const name of PROVIDER_NAMES) {
      const definition = PROVIDERS[name];
      assert.equal(definition.name, name);
      assert.equal(
        definition.adapter.provider,
        name,
        `${name}: the adapter reports the provider it is registered under`,
      );
      assert.equal(adapterFor(name), definition.adapter);
      assert.equal(typeof definition.adapter.buildChatRequest, 'function');
      assert.equal(definition.defaultBaseUrl, definition.adapter.defaultBaseUrl);
      assert.match(new URL(definition.defaultBaseUrl).protocol, /^https?:$/, `${name}: default base URL`);
    }
  });

  it('names each provider a distinct Consul service that parses back to the provider', () => {
    const services = PROVIDER_NAMES.map(providerServiceName);
    assert.equal(new Set(services).size, services.length, 'service names are unique');
    for (const name of PROVIDER_NAMES) {
      const service = providerServiceName(name);
      assert.equal(PROVIDERS[name].serviceName, service);
      assert.ok(service.startsWith(PROVIDER_SERVICE_PREFIX));
      assert.match(service, /^[a-z0-9-]+$/, `${service}: Consul service names allow no underscore`);
      assert.equal(providerOfServiceName(service), name);
    }
    assert.equal(providerServiceName('openai_compatible'), 'ai-provider-openai-compatible');
  });

  it('recognises no other service and no other name', () => {
    for (const service of [
      PROVIDER_SERVICE_PREFIX,
      'ai-provider-openai_compatible',
      'ai-provider-mistral',
      'consul',
      'openai',
    ]) {
      assert.equal(providerOfServiceName(service), undefined, service);
    }
    for (const value of ['mistral', 'OpenAI', '', 'toString', 'constructor', undefined, 42])
      assert.equal(isProviderName(value), false, String(value));
    assert.throws(() => adapterFor('mistral' as ProviderName), /unknown provider "mistral" \(known: openai, /);
  });
});
