import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigValidationError, loadConfig } from './load-config.js';

const none = { database: false, redis: false };

describe('loadConfig', () => {
  it('applies defaults and the app port', () => {
    const config = loadConfig('intelligent-router', 8002, none, {});
    assert.equal(config.PORT, 8002);
    assert.equal(config.CONSUL_HTTP_ADDR, 'http://127.0.0.1:8500');
    assert.equal(config.CONSUL_REGISTER, true);
    assert.equal(config.serviceId, 'intelligent-router-127.0.0.1-8002');
  });

  it('converts numbers and booleans from strings', () => {
    const config = loadConfig('x', 1, none, { PORT: '9000', CONSUL_REGISTER: 'false', SHUTDOWN_GRACE_MS: '250' });
    assert.equal(config.PORT, 9000);
    assert.equal(config.CONSUL_REGISTER, false);
    assert.equal(config.SHUTDOWN_GRACE_MS, 250);
  });

  it('refuses a key prefix that would expose its own settings to instances', () => {
    assert.equal(loadConfig('x', 1, none, {}).INSTANCE_KEY_ENV_PREFIX, 'SWITCHBOARD_PROVIDER_KEY_');
    assert.equal(loadConfig('x', 1, none, {}).INSTANCE_URL_ALLOW_PRIVATE, true);
    assert.equal(
      loadConfig('x', 1, none, { INSTANCE_URL_ALLOW_PRIVATE: 'false' }).destinationPolicy.allowPrivate,
      false,
    );
    const error = captureError(() => loadConfig('x', 1, none, { INSTANCE_KEY_ENV_PREFIX: 'CREDENTIALS' }));
    assert.match(
      error.problems.join('\n'),
      /^INSTANCE_KEY_ENV_PREFIX CREDENTIALS would let instances read Switchboard's own CREDENTIALS_KEY/m,
    );
    const lower = captureError(() => loadConfig('x', 1, none, { INSTANCE_KEY_ENV_PREFIX: 'my_keys_' }));
    assert.match(
      lower.problems.join('\n'),
      /^INSTANCE_KEY_ENV_PREFIX must be the start of an environment variable name/m,
    );
  });

  it('takes the Consul token from a variable or a file, and refuses both at once', () => {
    assert.equal(
      loadConfig('x', 1, none, { CONSUL_HTTP_TOKEN_FILE: '/run/secrets/consul' }).CONSUL_HTTP_TOKEN_FILE,
      '/run/secrets/consul',
    );
    const error = captureError(() =>
      loadConfig('x', 1, none, { CONSUL_HTTP_TOKEN: 'a-token', CONSUL_HTTP_TOKEN_FILE: '/run/secrets/consul' }),
    );
    assert.match(error.problems.join('\n'), /CONSUL_HTTP_TOKEN and CONSUL_HTTP_TOKEN_FILE are both set/);
    assert.doesNotMatch(error.message, /a-token/);
  });

  it('reads Connect upstreams as service:port pairs and refuses ports outside 1-65535', () => {
    assert.deepEqual(loadConfig('x', 1, none, {}).connectUpstreams, []);
    assert.deepEqual(
      loadConfig('x', 1, none, { CONSUL_CONNECT_UPSTREAMS: 'postgres:15432,redis:65535' }).connectUpstreams,
      [
        { service: 'postgres', localPort: 15432 },
        { service: 'redis', localPort: 65535 },
      ],
    );
    for (const bad of ['postgres:0', 'redis:65536', 'redis:99999', 'postgres', 'postgres:15432,']) {
      const error = captureError(() => loadConfig('x', 1, none, { CONSUL_CONNECT_UPSTREAMS: bad }));
      assert.ok(error instanceof ConfigValidationError, bad);
      assert.match(error.message, /CONSUL_CONNECT_UPSTREAMS must be service:port pairs/);
    }
  });

  it('lists every bad or missing variable in one error, each by name', () => {
    const error = captureError(() =>
      loadConfig(
        'api-gateway',
        8000,
        { database: true, redis: true },
        {
          PORT: 'eighty',
          CONSUL_HTTP_ADDR: 'consul:8500',
          LOG_LEVEL: 'loud',
          DATABASE_URL: 'mysql://db/x',
        },
      ),
    );
    const text = error.problems.join('\n');
    for (const name of ['PORT', 'CONSUL_HTTP_ADDR', 'LOG_LEVEL', 'DATABASE_URL', 'REDIS_URL']) {
      assert.match(text, new RegExp(`^${name}`, 'm'), `${name} is named`);
    }
    assert.equal(error.problems.length, 5);
    assert.match(error.message, /^api-gateway: invalid configuration:/);
    assert.match(text, /REDIS_URL is required/);
  });

  it('does not require DATABASE_URL or REDIS_URL of an app that does not use them', () => {
    assert.doesNotThrow(() => loadConfig('intelligent-router', 8002, none, {}));
    assert.throws(
      () => loadConfig('instance-manager', 8001, { database: true, redis: false }, {}),
      /DATABASE_URL is required/,
    );
  });
});

function captureError(fn: () => unknown): ConfigValidationError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError);
    return error;
  }
  assert.fail('expected a ConfigValidationError');
}
