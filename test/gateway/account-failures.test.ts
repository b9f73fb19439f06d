import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin } from '../support/instance-manager-env.js';
import { waitFor } from '../support/wait.js';

const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: 'who answers?' }] };

describe('an instance whose provider key is rejected', () => {
  let stack: GatewayStack;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [
        { name: 'openai-a', provider: 'openai', models: ['gpt-4o'] },
        { name: 'openai-b', provider: 'openai', models: ['gpt-4o'] },
        { name: 'openai-revoked', provider: 'openai', models: ['gpt-4o'] },
      ],
      // Probes rarely, so that live traffic meets the rejected key before any probe does.
      managerEnv: { PROBE_INTERVAL_MS: '60000' },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  it('costs no client request: traffic fails over and takes the instance out at once', async () => {
    const id = stack.ids.get('openai-revoked')!;
    // The provider no longer accepts the key the instance holds (a revoked or rotated key).
    const changed = await admin(stack.manager.url)('PATCH', `/admin/instances/${id}`, {
      apiKey: 'sk-revoked-key-0000000000',
    });
    assert.equal(changed.status, 200, changed.text);
    await waitFor(
      'the gateway to load the new key',
      async () => {
        const response = await stack.chat(ask);
        await response.arrayBuffer();
        assert.equal(response.status, 200, 'no client request fails while we wait either');
        const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
        return /switchboard_instance_account_failures_total\{[^}]*kind="auth"[^}]*source="traffic"[^}]*\} [1-9]/.test(
          metrics,
        );
      },
      15_000,
      50,
    );
    const statuses: number[] = [];
    for (let index = 0; index < 60; index += 1) {
      const response = await stack.chat(ask);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    assert.deepEqual(
      statuses.filter((status) => status !== 200),
      [],
    );
    const pool = (await stack.pools()).find((entry) => entry.pool === 'openai/gpt-4o')!;
    const revoked = pool.instances.find((instance) => instance.name === 'openai-revoked')!;
    assert.equal(revoked.circuit, 'open', 'one rejection opened its circuit');
  });

  it('a probe marks it critical with "credentials rejected" in its Consul check', async () => {
    const id = stack.ids.get('openai-revoked')!;
    const serviceId = 'ai-provider-openai-openai-revoked';
    const probe = await admin(stack.manager.url)('POST', `/admin/instances/${id}/probe`);
    assert.equal(probe.status, 200, probe.text);
    await waitFor(
      'the Consul check to say credentials rejected',
      async () => {
        const response = await fetch(`${stack.agent.address}/v1/health/checks/ai-provider-openai`);
        const checks = (await response.json()) as { ServiceID: string; Status: string; Output: string }[];
        const check = checks.find((entry) => entry.ServiceID === serviceId);
        return check?.Status === 'critical' && /credentials rejected \(HTTP 401\)/.test(check.Output);
      },
      10_000,
      100,
    );
  });
});
