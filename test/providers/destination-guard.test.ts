import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adapterFor, type ChatRequest, ProviderClient, ProviderError } from '@switchboard/providers';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';

const API_KEY = 'sim-key-destination-0123';
const adapter = adapterFor('openai');
const ask: ChatRequest = { model: 'gpt-4o', stream: false, messages: [{ role: 'user', content: 'hello' }] };

function isRefused(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
    assert.equal(error.kind, 'destination_refused', error.message);
    assert.equal(error.accountFault, true, 'the instance is taken out at once');
    assert.equal(error.clientFault, false);
    assert.equal(error.status, 0);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes(API_KEY));
    return true;
  };
}

/** The provider client (what the prober and the gateway call instances with) against a real upstream on loopback. */
describe('provider client: the destination policy after DNS', () => {
  let simulator: ProviderSimulator;
  let port = '';
  const strict = new ProviderClient({ destinationPolicy: { allowPrivate: false } });
  const permissive = new ProviderClient();

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    const instance = await simulator.addInstance({ id: 'loopback', provider: 'openai', apiKey: API_KEY });
    port = new URL(instance.baseUrl).port;
  });

  after(async () => {
    await Promise.all([strict.close(), permissive.close()]);
    await simulator?.stop();
  });

  it('refuses a host name that resolves to loopback when private destinations are off, sending nothing', async () => {
    const target = { baseUrl: `http://localhost:${port}/v1`, apiKey: API_KEY };
    await assert.rejects(
      strict.chat(adapter, target, ask, { timeoutMs: 5_000 }),
      isRefused(/^openai: baseUrl resolves to a loopback address \((127\.0\.0\.1|::1)\); refused: /),
    );
    await assert.rejects(
      async () => {
        for await (const _event of strict.stream(adapter, target, { ...ask, stream: true })) {
          // nothing is expected to arrive
        }
      },
      isRefused(/resolves to a loopback address/),
    );
    await assert.rejects(strict.probe(adapter, target), isRefused(/resolves to a loopback address/));
    assert.equal(simulator.requests('loopback').served, 0);
  });

  it('refuses an IP literal as it is, and lets the same upstream through when private destinations are on', async () => {
    await assert.rejects(
      strict.chat(adapter, { baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: API_KEY }, ask),
      isRefused(/^openai: baseUrl points at a loopback address \(127\.0\.0\.1\)/),
    );
    await assert.rejects(
      permissive.chat(adapter, { baseUrl: `http://[::ffff:a9fe:a9fe]:${port}/v1`, apiKey: API_KEY }, ask),
      isRefused(/points at a cloud metadata address/),
    );
    assert.equal(simulator.requests('loopback').served, 0);
    const answer = await permissive.chat(adapter, { baseUrl: `http://localhost:${port}/v1`, apiKey: API_KEY }, ask);
    assert.ok(answer.message.content);
    assert.equal(simulator.requests('loopback').chats, 1);
  });
});
