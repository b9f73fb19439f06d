// The control API over HTTP: create, list, tune, reset, inspect and delete instances, and
// reject bad input with a 400 that names the offending field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readSimulatorEnvironment } from '../../apps/provider-simulator/src/environment.js';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';

interface ControlError {
  error: { message: string; field?: string };
}

describe('provider simulator control API', () => {
  let simulator: ProviderSimulator;
  let control: string;

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${control}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : {
            headers: { 'content-type': 'application/json' },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    control = simulator.controlUrl;
  });

  after(async () => {
    await simulator?.stop();
  });

  it('serves /health', async () => {
    const { status, body } = await call('GET', '/health');
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'ok', instances: 0 });
  });

  it('creates an instance on its own port and answers with its base URL', async () => {
    const { status, body } = await call('POST', '/instances', {
      id: 'ctl-openai',
      provider: 'openai',
      models: ['gpt-4o-mini'],
      apiKey: 'sk-ctl',
      knobs: { latencyMs: 5 },
    });
    assert.equal(status, 201);
    const view = body as {
      id: string;
      provider: string;
      port: number;
      baseUrl: string;
      models: string[];
      knobs: unknown;
    };
    assert.equal(view.id, 'ctl-openai');
    assert.equal(view.provider, 'openai');
    assert.ok(view.port > 0 && view.port !== simulator.controlPort);
    assert.equal(view.baseUrl, `http://127.0.0.1:${view.port}/v1`);
    assert.deepEqual(view.models, ['gpt-4o-mini']);
    assert.deepEqual(view.knobs, { latencyMs: 5 });

    const models = await fetch(`${view.baseUrl}/models`, { headers: { authorization: 'Bearer sk-ctl' } });
    assert.equal(models.status, 200);
  });

  it('gives every provider its documented base path', async () => {
    const expected: Record<string, string> = {
      claude: '',
      zai: '/api/paas/v4',
      perplexity: '',
      openai_compatible: '/v1',
    };
    for (const [provider, basePath] of Object.entries(expected)) {
      const { status, body } = await call('POST', '/instances', { id: `ctl-${provider}`, provider });
      assert.equal(status, 201);
      const view = body as { port: number; baseUrl: string };
      assert.equal(view.baseUrl, `http://127.0.0.1:${view.port}${basePath}`);
    }
    const list = (await call('GET', '/instances')).body as { instances: { id: string }[] };
    assert.deepEqual(list.instances.map((instance) => instance.id).sort(), [
      'ctl-claude',
      'ctl-openai',
      'ctl-openai_compatible',
      'ctl-perplexity',
      'ctl-zai',
    ]);
    for (const provider of Object.keys(expected))
      assert.equal((await call('DELETE', `/instances/ctl-${provider}`)).status, 204);
  });

  it('merges knob patches; null clears a knob', async () => {
    let view = (
      await call('PATCH', '/instances/ctl-openai/knobs', {
        ttftMs: 10,
        error: { kind: 'rate_limit', retryAfterSeconds: 3 },
      })
    ).body as { knobs: unknown };
    assert.deepEqual(view.knobs, { latencyMs: 5, ttftMs: 10, error: { kind: 'rate_limit', retryAfterSeconds: 3 } });
    view = (await call('PATCH', '/instances/ctl-openai/knobs', { latencyMs: null, error: null })).body as {
      knobs: unknown;
    };
    assert.deepEqual(view.knobs, { ttftMs: 10 });
    assert.deepEqual(((await call('GET', '/instances/ctl-openai')).body as { knobs: unknown }).knobs, { ttftMs: 10 });
  });

  it('records the last requests with auth headers redacted, and counts them', async () => {
    const view = (await call('GET', '/instances/ctl-openai')).body as { baseUrl: string };
    for (let index = 0; index < 52; index++) {
      await fetch(`${view.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-ctl', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `message ${index}` }] }),
      });
    }
    const { body } = await call('GET', '/instances/ctl-openai/requests');
    const log = body as {
      served: number;
      requests: {
        method: string;
        path: string;
        headers: Record<string, string>;
        body: { messages: { content: string }[] };
        time: string;
      }[];
    };
    assert.ok(log.served >= 53, `served ${log.served}`);
    assert.equal(log.requests.length, 50);
    const last = log.requests.at(-1)!;
    assert.equal(last.method, 'POST');
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.headers.authorization, '[redacted]');
    assert.equal(last.body.messages[0]!.content, 'message 51');
    assert.ok(!Number.isNaN(Date.parse(last.time)));
    assert.ok(!JSON.stringify(log).includes('sk-ctl'), 'the key never appears in the log');
  });

  it('reset puts knobs and counters back to defaults', async () => {
    const view = (await call('POST', '/instances/ctl-openai/reset')).body as { knobs: unknown; requestsServed: number };
    assert.deepEqual(view.knobs, {});
    assert.equal(view.requestsServed, 0);
    assert.deepEqual((await call('GET', '/instances/ctl-openai/requests')).body, { served: 0, chats: 0, requests: [] });
  });

  const badInputs: { name: string; method: string; path: string; body: unknown; field: string }[] = [
    { name: 'a missing id', method: 'POST', path: '/instances', body: { provider: 'openai' }, field: 'id' },
    {
      name: 'an unknown provider',
      method: 'POST',
      path: '/instances',
      body: { id: 'x', provider: 'gemini' },
      field: 'provider',
    },
    {
      name: 'a port out of range',
      method: 'POST',
      path: '/instances',
      body: { id: 'x', provider: 'openai', port: 70000 },
      field: 'port',
    },
    {
      name: 'an empty model name',
      method: 'POST',
      path: '/instances',
      body: { id: 'x', provider: 'openai', models: ['ok', ''] },
      field: 'models[1]',
    },
    {
      name: 'an empty apiKey',
      method: 'POST',
      path: '/instances',
      body: { id: 'x', provider: 'openai', apiKey: '' },
      field: 'apiKey',
    },
    {
      name: 'an unknown field',
      method: 'POST',
      path: '/instances',
      body: { id: 'x', provider: 'openai', colour: 'red' },
      field: 'colour',
    },
    {
      name: 'a negative latency',
      method: 'POST',
      path: '/instances',
      body: { id: 'x', provider: 'openai', knobs: { latencyMs: -1 } },
      field: 'knobs.latencyMs',
    },
    {
      name: 'an unknown knob',
      method: 'PATCH',
      path: '/instances/ctl-openai/knobs',
      body: { warpSpeed: 9 },
      field: 'knobs.warpSpeed',
    },
    {
      name: 'an errorRate above 1',
      method: 'PATCH',
      path: '/instances/ctl-openai/knobs',
      body: { errorRate: 1.5 },
      field: 'knobs.errorRate',
    },
    {
      name: 'an unknown error kind',
      method: 'PATCH',
      path: '/instances/ctl-openai/knobs',
      body: { error: { kind: 'meteor' } },
      field: 'knobs.error.kind',
    },
    {
      name: 'a non-error status',
      method: 'PATCH',
      path: '/instances/ctl-openai/knobs',
      body: { error: { status: 200 } },
      field: 'knobs.error.status',
    },
    {
      name: 'a fractional chunk count',
      method: 'PATCH',
      path: '/instances/ctl-openai/knobs',
      body: { cutAfterChunks: 1.5 },
      field: 'knobs.cutAfterChunks',
    },
    {
      name: 'a non-boolean switch',
      method: 'PATCH',
      path: '/instances/ctl-openai/knobs',
      body: { refuseConnections: 'yes' },
      field: 'knobs.refuseConnections',
    },
    { name: 'invalid JSON', method: 'POST', path: '/instances', body: '{"id":', field: 'body' },
  ];
  for (const bad of badInputs) {
    it(`rejects ${bad.name} with a 400 naming ${bad.field}`, async () => {
      const { status, body } = await call(bad.method, bad.path, bad.body);
      assert.equal(status, 400);
      assert.equal((body as ControlError).error.field, bad.field);
      assert.match((body as ControlError).error.message, new RegExp(bad.field.replace(/[[\].]/g, '\\$&')));
    });
  }

  it('answers 409 for a duplicate id and 404 for an unknown instance or route', async () => {
    assert.equal((await call('POST', '/instances', { id: 'ctl-openai', provider: 'openai' })).status, 409);
    assert.equal((await call('GET', '/instances/nope')).status, 404);
    assert.equal((await call('PATCH', '/instances/nope/knobs', { latencyMs: 1 })).status, 404);
    assert.equal((await call('GET', '/elsewhere')).status, 404);
  });

  it('refuses a port that another instance holds', async () => {
    const port = ((await call('GET', '/instances/ctl-openai')).body as { port: number }).port;
    const { status, body } = await call('POST', '/instances', { id: 'ctl-clash', provider: 'claude', port });
    assert.equal(status, 409);
    assert.equal((body as ControlError).error.field, 'port');
  });

  it('deletes an instance and closes its port', async () => {
    const view = (await call('GET', '/instances/ctl-openai')).body as { baseUrl: string };
    assert.equal((await call('DELETE', '/instances/ctl-openai')).status, 204);
    assert.equal((await call('GET', '/instances/ctl-openai')).status, 404);
    await assert.rejects(fetch(`${view.baseUrl}/models`));
  });

  it('reads start-up instances from the environment with consecutive ports', () => {
    const settings = readSimulatorEnvironment({
      SIMULATOR_PORT: '9100',
      SIMULATOR_BASE_PORT: '9110',
      SIMULATOR_INSTANCES: 'openai:openai-1, claude:claude-1,zai:zai-1,perplexity:pplx-1',
    });
    assert.equal(settings.controlPort, 9100);
    assert.deepEqual(
      settings.instances.map((instance) => [instance.provider, instance.id, instance.port]),
      [
        ['openai', 'openai-1', 9110],
        ['claude', 'claude-1', 9111],
        ['zai', 'zai-1', 9112],
        ['perplexity', 'pplx-1', 9113],
      ],
    );
    assert.throws(
      () => readSimulatorEnvironment({ SIMULATOR_PORT: 'abc', SIMULATOR_INSTANCES: 'gemini:g-1,openai' }),
      (error: unknown) =>
        error instanceof Error &&
        /SIMULATOR_PORT/.test(error.message) &&
        /gemini/.test(error.message) &&
        /provider:id/.test(error.message),
    );
  });
});
