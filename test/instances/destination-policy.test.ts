import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin } from '../support/instance-manager-env.js';
import { waitFor } from '../support/wait.js';

const API_KEY = 'sim-key-local-by-name';

/**
 * With INSTANCE_URL_ALLOW_PRIVATE=false, a host name that resolves to loopback stands for any name
 * an attacker points at a refused address: the admin API cannot see where a name leads, so the
 * refusal must happen when the name is resolved, in the prober and in the gateway.
 */
describe('destination policy: refused after DNS resolution', () => {
  let stack: GatewayStack;
  let call: ReturnType<typeof admin>;
  let simulatorPort = '';

  before(async () => {
    const strict = { INSTANCE_URL_ALLOW_PRIVATE: 'false' };
    stack = await GatewayStack.start({ instances: [], managerEnv: strict, gatewayEnv: strict });
    call = admin(stack.manager.url);
    const simulated = await stack.simulator.addInstance({ id: 'local-by-name', provider: 'openai', apiKey: API_KEY });
    simulatorPort = new URL(simulated.baseUrl).port;
  });

  after(async () => {
    await stack?.stop();
  });

  it('refuses a loopback address at the admin API when private destinations are off', async () => {
    const response = await call('POST', '/admin/instances', {
      name: 'local-by-address',
      provider: 'openai',
      baseUrl: `http://127.0.0.1:${simulatorPort}/v1`,
      models: ['gpt-4o'],
      apiKey: API_KEY,
    });
    assert.equal(response.status, 400, response.text);
    assert.match(
      response.body.message,
      /^baseUrl: points at a loopback address \(127\.0\.0\.1\), which is refused: .*INSTANCE_URL_ALLOW_PRIVATE=true/,
    );
  });

  it('marks an instance whose name resolves to a refused address critical, saying why, and never calls it', async () => {
    const created = await call('POST', '/admin/instances', {
      name: 'local-by-name',
      provider: 'openai',
      baseUrl: `http://localhost:${simulatorPort}/v1`,
      models: ['gpt-4o'],
      apiKey: API_KEY,
    });
    assert.equal(created.status, 201, 'a name passes the admin API: only its resolution tells');
    const id = created.body.id as string;

    const health = await waitFor(
      'the probe to refuse localhost',
      async () => {
        const view = (await call('GET', `/admin/instances/${id}/health`)).body;
        // A fresh registration starts critical with no output; the probe's verdict says why. Its
        // metrics reach Redis a moment apart from the Consul check: wait for both.
        return view.consul.status === 'critical' && view.consul.output && view.metrics?.status === 'critical'
          ? view
          : undefined;
      },
      15_000,
      100,
    );
    assert.match(
      health.consul.output,
      /destination refused: openai: baseUrl resolves to a loopback address \((127\.0\.0\.1|::1)\); refused: /,
    );
    assert.equal(health.metrics.status, 'critical');

    const probe = await call('POST', `/admin/instances/${id}/probe`);
    assert.equal(probe.body.status, 'critical', 'critical at once, not after a streak');
    assert.match(probe.body.output, /resolves to a loopback address/);

    stack.ids.set('local-by-name', id);
    await stack.waitUntilUsable(['local-by-name'], false);
    const chat = await stack.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(chat.status, 503, 'no usable instance: the gateway answers instead of calling it');
    const body = (await chat.json()) as { error?: { message?: string; type?: string } };
    assert.equal(typeof body.error?.message, 'string', `in the OpenAI error format: ${JSON.stringify(body)}`);
    assert.equal(stack.simulator.requests('local-by-name').served, 0, 'nothing reached the simulator');
  });
});
