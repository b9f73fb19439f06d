import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AppConfig } from '@switchboard/kernel';
import { CredentialCipher } from './credential-cipher.js';
import { InstanceCredentials, providerTarget } from './instance-credentials.js';

const ENV_KEY = 'SWITCHBOARD_PROVIDER_KEY_SPEC_INSTANCE';
const cipher = new CredentialCipher({ CREDENTIALS_KEY: '0f'.repeat(32) } as AppConfig);
const config = { INSTANCE_KEY_ENV_PREFIX: 'SWITCHBOARD_PROVIDER_KEY_' } as AppConfig;
const credentials = new InstanceCredentials(cipher, config);

describe('InstanceCredentials', () => {
  afterEach(() => {
    delete process.env[ENV_KEY];
  });

  it('decrypts a stored key, or reads the environment variable the instance names', () => {
    process.env[ENV_KEY] = 'sk-from-environment';
    assert.deepEqual(credentials.resolve({ apiKeyCiphertext: cipher.encrypt('sk-stored'), apiKeyEnv: null }), {
      apiKey: 'sk-stored',
    });
    assert.deepEqual(credentials.resolve({ apiKeyCiphertext: null, apiKeyEnv: ENV_KEY }), {
      apiKey: 'sk-from-environment',
    });
  });

  it('says what to check when there is no usable key, without throwing', () => {
    const otherKey = new CredentialCipher({ CREDENTIALS_KEY: '1e'.repeat(32) } as AppConfig);
    const reason =
      credentials.resolve({ id: 'instance-1', apiKeyCiphertext: otherKey.encrypt('sk-x'), apiKeyEnv: null }).reason ??
      '';
    assert.match(reason, /cannot be decrypted with this CREDENTIALS_KEY: it was stored with another one/);
    assert.match(reason, /PATCH \/admin\/instances\/instance-1 \{"apiKey"/);
    assert.match(reason, /restart npm start, which stores their keys again/);
    assert.ok(!reason.includes('sk-x'));
    const unconfigured = new InstanceCredentials(new CredentialCipher({} as AppConfig), config);
    assert.match(
      unconfigured.resolve({ apiKeyCiphertext: cipher.encrypt('sk-x'), apiKeyEnv: null }).reason ?? '',
      /CREDENTIALS_KEY is not configured/,
    );
    assert.match(
      credentials.resolve({ apiKeyCiphertext: null, apiKeyEnv: ENV_KEY }).reason ?? '',
      new RegExp(`environment variable ${ENV_KEY} is not set`),
    );
    process.env[ENV_KEY] = '';
    assert.match(credentials.resolve({ apiKeyCiphertext: null, apiKeyEnv: ENV_KEY }).reason ?? '', /is not set/);
    assert.match(
      credentials.resolve({ apiKeyCiphertext: null, apiKeyEnv: null }).reason ?? '',
      /no API key configured \(give the instance an apiKey or apiKeyEnv\)/,
    );
  });

  it('reads no variable without the key prefix, even one a row named before the rule', () => {
    process.env.SWITCHBOARD_SPEC_UNPREFIXED = 'sk-should-stay-home';
    try {
      const resolved = credentials.resolve({ apiKeyCiphertext: null, apiKeyEnv: 'SWITCHBOARD_SPEC_UNPREFIXED' });
      assert.equal(resolved.apiKey, undefined);
      assert.match(resolved.reason ?? '', /must start with SWITCHBOARD_PROVIDER_KEY_ \(INSTANCE_KEY_ENV_PREFIX\)/);
    } finally {
      delete process.env.SWITCHBOARD_SPEC_UNPREFIXED;
    }
  });

  it('builds the target an instance is called at', () => {
    assert.deepEqual(
      providerTarget({ baseUrl: 'https://api.example', extraHeaders: { 'openai-project': 'p1' } }, 'sk-1'),
      {
        baseUrl: 'https://api.example',
        apiKey: 'sk-1',
        headers: { 'openai-project': 'p1' },
      },
    );
  });
});
