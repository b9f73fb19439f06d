import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { waitFor } from '../support/wait.js';

const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: 'ping' }] };

describe('api-gateway: circuit breakers across replicas', () => {
  let stack: GatewayStack;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [
        { name: 'flaky', provider: 'openai', models: ['gpt-4o'], priority: 0 },
        { name: 'steady', provider: 'openai', models: ['gpt-4o'], priority: 1 },
      ],
      gateways: 2,
      loadBalancer: true,
      managerEnv: { PROBE_INTERVAL_MS: '600000' },
      gatewayEnv: {
        CIRCUIT_FAILURE_THRESHOLD: '3',
        CIRCUIT_COOL_DOWN_MS: '1500',
        CIRCUIT_HALF_OPEN_TRIALS: '1',
        CIRCUIT_MINIMUM_REQUESTS: '1000',
      },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  const circuitOf = async (app = stack.gateway, name = 'flaky') => {
    const pool = (await stack.pools(app)).find((entry) => entry.pool === 'openai/gpt-4o')!;
    return pool.instances.find((instance) => instance.name === name)!.circuit;
  };

  it('opens after the configured consecutive failures, and the trip reaches the other replica within a second', async () => {
    // Server errors; the prober is slowed down in this stack, so only the gateways' circuits judge.
    await stack.simulator.updateKnobs('flaky', { error: { kind: 'server' } });
    const [first, second] = stack.gateways;
    for (let index = 0; index < 3; index += 1) {
      const response = await stack.chat(ask, {}, first);
      assert.equal(response.status, 200, 'each failed attempt was retried on the steady instance');
      assert.equal(response.headers.get('x-switchboard-instance'), 'steady');
      await response.arrayBuffer();
    }
    const openedAt = Date.now();
    assert.equal(await circuitOf(first), 'open');
    await waitFor(
      'the second replica to open its circuit',
      async () => (await circuitOf(second)) === 'open',
      1_000,
      20,
    );
    const propagationMs = Date.now() - openedAt;
    assert.ok(propagationMs < 1_000, `trip reached the other replica in ${propagationMs} ms`);
    assert.match(second!.logs, /Circuit of flaky \(openai\) is now open: opened by api-gateway/);
    // An open circuit takes no traffic: the next request goes straight to steady.
    const before = stack.served('flaky');
    const response = await stack.chat(ask, {}, second);
    assert.equal(response.headers.get('x-switchboard-attempts'), '1');
    assert.equal(stack.served('flaky'), before, 'the open instance was not called');
    const metrics = await (await fetch(`${first!.url}/metrics`)).text();
    assert.match(metrics, /switchboard_circuit_state\{[^}]*provider="openai",instance="flaky"[^}]*\} 2/);
  });

  it('half-opens after the cool-down, lets one trial through, and closes when it succeeds', async () => {
    const [first] = stack.gateways;
    await waitFor('the circuit to half-open', async () => (await circuitOf(first)) === 'half_open', 3_000, 50);
    // Still failing: the trial fails and the circuit opens again.
    const failed = await stack.chat(ask, {}, first);
    assert.equal(failed.status, 200);
    assert.equal(failed.headers.get('x-switchboard-attempts'), '2', 'the trial went to flaky and failed over');
    assert.equal(await circuitOf(first), 'open');
    await stack.simulator.updateKnobs('flaky', { error: null });
    await waitFor('the circuit to half-open again', async () => (await circuitOf(first)) === 'half_open', 3_000, 50);
    const trial = await stack.chat(ask, {}, first);
    assert.equal(trial.headers.get('x-switchboard-instance'), 'flaky');
    assert.equal(await circuitOf(first), 'closed');
  });

  it('shows the pools with health score, circuit state and in-flight on the load-balancer', async () => {
    const pools = await stack.pools(stack.loadBalancer!);
    const pool = pools.find((entry) => entry.pool === 'openai/gpt-4o')!;
    assert.equal(pool.instances.length, 2);
    for (const instance of pool.instances) {
      assert.equal(instance.status, 'passing');
      assert.ok(instance.healthScore > 0 && instance.healthScore <= 1);
      assert.equal(typeof instance.inFlight, 'number');
      assert.ok(['closed', 'open', 'half_open'].includes(instance.circuit));
    }
    const select = await fetch(`${stack.loadBalancer!.url}/select`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pool: 'openai/gpt-4o' }),
    });
    assert.equal(select.status, 200);
    assert.equal(((await select.json()) as { instance: { name: string } }).instance.name, 'flaky', 'priority 0 first');
  });
});
