import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderInstance } from '@switchboard/database';
import { serviceDiffers, toConsulService } from './consul-service.js';

const instance: ProviderInstance = {
  id: '6f1c1d1e-0000-4000-8000-000000000001',
  name: 'openai-eu-1',
  provider: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  models: ['gpt-4o'],
  region: 'eu-west',
  tags: [],
  weight: 100,
  priority: 0,
  enabled: true,
  draining: false,
  apiKeyCiphertext: 'v1:ciphertext',
  apiKeyEnv: null,
  apiKeyLast4: 'abcd',
  extraHeaders: {},
  maxConcurrency: null,
  rateLimitRpm: null,
  requestTimeoutMs: 120_000,
  firstTokenTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

const passing = {
  status: 'passing' as const,
  output: 'probe ok in 5 ms',
  health: { status: 'passing' as const, score: 0.9, at: 0 },
};

/** What Consul answers for a service registered from `definition`. */
function asConsulHasIt(definition: ReturnType<typeof toConsulService>) {
  return {
    Service: definition.Name,
    Address: definition.Address!,
    Port: definition.Port!,
    Tags: definition.Tags ?? null,
    Meta: definition.Meta ?? null,
  };
}

describe('toConsulService', () => {
  it('shows the published health in meta and starts the check in the known status', () => {
    const definition = toConsulService(instance, '30s', '10m', passing);
    assert.equal(definition.Meta?.health_score, '0.9');
    assert.equal(definition.Meta?.health_status, 'passing');
    assert.equal(definition.Check?.Status, 'passing', 'an agent that lost the check does not show it critical first');
  });

  it('claims no health it does not know', () => {
    const definition = toConsulService(instance, '30s', '10m');
    assert.equal(definition.Meta?.health_score, undefined);
    assert.equal(definition.Check?.Status, undefined);
  });

  it('keeps the credential out: only the host of the base URL and the key-free fields', () => {
    const text = JSON.stringify(toConsulService(instance, '30s', '10m', passing));
    for (const secret of ['ciphertext', 'abcd']) assert.ok(!text.includes(secret), secret);
  });
});

describe('serviceDiffers', () => {
  it('sees no difference once the published health is in Consul, so reconcile does not re-register it', () => {
    const wanted = toConsulService(instance, '30s', '10m', passing);
    assert.equal(serviceDiffers(wanted, asConsulHasIt(wanted)), false);
  });

  it('sees a moved score or a changed status', () => {
    const actual = asConsulHasIt(toConsulService(instance, '30s', '10m', passing));
    const lower = { ...passing, health: { ...passing.health, score: 0.7 } };
    const critical = {
      ...passing,
      status: 'critical' as const,
      health: { status: 'critical' as const, score: 0, at: 1 },
    };
    assert.equal(serviceDiffers(toConsulService(instance, '30s', '10m', lower), actual), true);
    assert.equal(serviceDiffers(toConsulService(instance, '30s', '10m', critical), actual), true);
  });

  it('leaves health meta alone while this process has not probed the instance (a new leader)', () => {
    const actual = asConsulHasIt(toConsulService(instance, '30s', '10m', passing));
    assert.equal(serviceDiffers(toConsulService(instance, '30s', '10m'), actual), false);
    assert.equal(
      serviceDiffers(toConsulService({ ...instance, weight: 5 }, '30s', '10m'), actual),
      true,
      'other meta still counts',
    );
  });
});
