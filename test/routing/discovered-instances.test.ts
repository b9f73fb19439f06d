import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin } from '../support/instance-manager-env.js';
import { waitFor } from '../support/wait.js';

const SERVER_KEY = 'sim-key-self-registered';
const askLlama = { model: 'llama-3-70b', messages: [{ role: 'user', content: 'ping' }] };

/**
 * A model server that registers itself in Consul (as a vLLM host's own agent would) is routed to
 * from Consul alone, with its own health check, and can be adopted as a managed instance.
 */
describe('discovered model servers: routed from their own Consul registration', () => {
  let stack: GatewayStack;
  let call: ReturnType<typeof admin>;
  let serverUrl: URL;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [{ name: 'managed-a', provider: 'openai', models: ['gpt-4o'] }],
      gatewayEnv: {
        SWITCHBOARD_DISCOVERED_KEY_SELF_REGISTERED: SERVER_KEY,
        SWITCHBOARD_PROVIDER_KEY_MANAGED_SECRET: 'sk-managed-instance-key-never-to-leave',
      },
    });
    call = admin(stack.manager.url);
    const server = await stack.simulator.addInstance({
      id: 'vllm-1',
      provider: 'openai',
      apiKey: SERVER_KEY,
      models: ['llama-3-70b'],
    });
    serverUrl = new URL(server.baseUrl);
    const url = serverUrl;
    await stack.consul.registerService({
      ID: 'vllm-1',
      Name: 'ai-provider-openai',
      Address: url.hostname,
      Port: Number(url.port),
      Tags: ['self-registered'],
      Meta: {
        switchboard_models: 'llama-3-70b',
        switchboard_base_path: url.pathname,
        switchboard_api_key_env: 'SWITCHBOARD_DISCOVERED_KEY_SELF_REGISTERED',
      },
      Check: { CheckID: 'vllm-1:alive', Name: 'vllm alive', TTL: '120s', Status: 'passing' },
    });
    // A registration trying to have a managed instance's key sent to an address of its choosing.
    await stack.consul.registerService({
      ID: 'key-grabber',
      Name: 'ai-provider-openai',
      Address: '127.0.0.1',
      Port: 9,
      Meta: { switchboard_models: 'llama-3-70b', switchboard_api_key_env: 'SWITCHBOARD_PROVIDER_KEY_MANAGED_SECRET' },
      Check: { CheckID: 'key-grabber:alive', Name: 'alive', TTL: '120s', Status: 'passing' },
    });
    await stack.consul.registerService({
      ID: 'broken-meta',
      Name: 'ai-provider-openai',
      Address: '127.0.0.1',
      Port: 9,
      Meta: { switchboard_models: 'llama-3-70b', switchboard_weight: 'heavy' },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  const poolMembers = async () =>
    ((await stack.pools()).find((pool) => pool.pool === 'openai/llama-3-70b')?.instances ?? []).map(
      (instance) => `${instance.name}:${instance.usable}`,
    );

  it('routes to a self-registered server with the key its meta names, without an admin call', async () => {
    await waitFor('the gateway to discover vllm-1', async () => (await poolMembers()).includes('vllm-1:true'));
    assert.deepEqual(
      await poolMembers(),
      ['vllm-1:true'],
      'neither the service with broken meta nor the one naming a managed key is routed to',
    );
    const response = await stack.chat(askLlama);
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('x-switchboard-instance'), 'vllm-1');
    await response.arrayBuffer();
    assert.equal(stack.served('vllm-1'), 1);
    assert.match(stack.gateway.logs, /Discovered openai instances in Consul: vllm-1 \(llama-3-70b\)/);
    assert.match(stack.gateway.logs, /broken-meta: meta switchboard_weight must be an integer/);
    assert.match(
      stack.gateway.logs,
      /key-grabber gets no traffic from this app: meta switchboard_api_key_env names SWITCHBOARD_PROVIDER_KEY_MANAGED_SECRET, but a self-registered server may only use variables starting with SWITCHBOARD_DISCOVERED_KEY_/,
    );
    assert.ok(!stack.gateway.logs.includes(SERVER_KEY), 'the key never reaches the logs');
  });

  it('follows its own Consul check: critical takes it out of rotation, passing brings it back', async () => {
    await stack.consul.updateCheck('vllm-1:alive', 'critical', 'out of GPU memory');
    await waitFor('vllm-1 out of rotation', async () => (await poolMembers()).includes('vllm-1:false'));
    const refused = await stack.chat(askLlama);
    assert.equal(refused.status, 503);
    await refused.arrayBuffer();
    assert.equal(stack.served('vllm-1'), 1, 'no request reached the critical server');
    await stack.consul.updateCheck('vllm-1:alive', 'passing', 'ok');
    await waitFor('vllm-1 back in rotation', async () => (await poolMembers()).includes('vllm-1:true'));
  });

  it('is listed read-only by the admin API, with what is wrong with a broken registration', async () => {
    const listed = await call('GET', '/admin/instances/discovered');
    assert.equal(listed.status, 200, listed.text);
    const byId = new Map(
      (listed.body as { serviceId: string; problem?: string }[]).map((entry) => [entry.serviceId, entry]),
    );
    assert.deepEqual(byId.get('vllm-1'), {
      serviceId: 'vllm-1',
      provider: 'openai',
      status: 'passing',
      models: ['llama-3-70b'],
      baseUrl: `http://${serverUrl.host}${serverUrl.pathname.replace(/\/+$/, '')}`,
      weight: 100,
      priority: 0,
      apiKeyEnv: 'SWITCHBOARD_DISCOVERED_KEY_SELF_REGISTERED',
    });
    assert.match(byId.get('broken-meta')?.problem ?? '', /switchboard_weight/);
    assert.equal(byId.has('ai-provider-openai-managed-a'), false, 'managed instances are not "discovered"');
  });

  it('adopts one as a managed instance, after which only the managed one is routed to', async () => {
    const keyless = await call('POST', '/admin/instances/discovered/vllm-1/adopt', { name: 'vllm-adopted' });
    assert.equal(keyless.status, 400, "the key is the operator's to give, not Consul meta's");
    assert.match(keyless.body.message, /apiKey or apiKeyEnv is required/);
    const broken = await call('POST', '/admin/instances/discovered/broken-meta/adopt', { apiKey: SERVER_KEY });
    assert.equal(broken.status, 422);
    assert.match(broken.body.message, /switchboard_weight/);
    const adopted = await call('POST', '/admin/instances/discovered/vllm-1/adopt', {
      name: 'vllm-adopted',
      apiKey: SERVER_KEY,
    });
    assert.equal(adopted.status, 201, adopted.text);
    assert.equal(adopted.body.name, 'vllm-adopted');
    assert.deepEqual(adopted.body.models, ['llama-3-70b']);
    // Passing, not only usable: a new instance is usable while its health is unknown, and its Consul
    // check may still read critical for a moment after it is registered, before its first probe lands.
    await waitFor('the gateway to route to the adopted instance only, its check passing', async () => {
      const members = (await stack.pools()).find((pool) => pool.pool === 'openai/llama-3-70b')?.instances ?? [];
      return members.length === 1 && members[0]!.name === 'vllm-adopted' && members[0]!.status === 'passing';
    });
    const response = await stack.chat(askLlama);
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('x-switchboard-instance'), 'vllm-adopted');
    await response.arrayBuffer();
    const listed = await call('GET', '/admin/instances/discovered');
    const entry = (listed.body as { serviceId: string; adoptedAs?: string }[]).find(
      (item) => item.serviceId === 'vllm-1',
    );
    assert.equal(entry?.adoptedAs, 'vllm-adopted');
    const unknown = await call('POST', '/admin/instances/discovered/nothing-here/adopt', {});
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message, /GET \/admin\/instances\/discovered/);
  });
});
