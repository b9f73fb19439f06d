import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointPattern } from './consul.client.js';

test('endpoint patterns keep names, keys and ids out of metric labels', () => {
  assert.equal(endpointPattern('/v1/kv/switchboard/config/routing-policy'), '/v1/kv/*');
  assert.equal(endpointPattern('/v1/health/service/ai-provider-openai'), '/v1/health/service/*');
  assert.equal(endpointPattern('/v1/agent/check/update/ai-provider-openai-eu-1%3Aprobe'), '/v1/agent/check/update/*');
  assert.equal(endpointPattern('/v1/session/renew/0b8f-uuid'), '/v1/session/renew/*');
  assert.equal(endpointPattern('/v1/status/leader'), '/v1/status/leader');
  assert.equal(endpointPattern('/v1/agent/service/register'), '/v1/agent/service/register');
});
