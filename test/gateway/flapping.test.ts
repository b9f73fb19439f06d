import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { GatewayStack } from '../support/gateway-stack.js';
import { NEEDS_WHOLE_STREAM, SteadyLoad } from '../support/steady-load.js';

const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: 'steady?' }] };
const NAMES = ['openai-a', 'openai-b', 'openai-c'];

describe('an instance that refuses connections, then flaps', () => {
  let stack: GatewayStack;
  const loads: SteadyLoad[] = [];

  before(async () => {
    stack = await GatewayStack.start({
      instances: NAMES.map((name) => ({ name, provider: 'openai' as const, models: ['gpt-4o'] })),
    });
  });

  after(async () => {
    for (const load of loads) await load.stop();
    await stack?.stop();
  });

  it('costs no request and no stream, and the instance wins back its share', async () => {
    const plain = new SteadyLoad(() => stack.chat(ask), 40).start();
    const streams = new SteadyLoad(() => stack.chat({ ...ask, stream: true }), 10, NEEDS_WHOLE_STREAM).start();
    loads.push(plain, streams);
    await stack.simulator.updateKnobs('openai-c', { refuseConnections: true });
    await sleep(5_000);
    for (let flip = 0; flip < 6; flip += 1) {
      await stack.simulator.updateKnobs('openai-c', { refuseConnections: flip % 2 === 1 });
      await sleep(1_000);
    }
    await stack.simulator.updateKnobs('openai-c', { refuseConnections: false });
    // Half-open trials close its circuit within the cool-down (10 s), then slow start ramps it up (20 s).
    await sleep(25_000);
    const before = NAMES.map((name) => stack.served(name));
    await sleep(10_000);
    const served = NAMES.map((name, index) => stack.served(name) - before[index]!);
    const [plainOutcome, streamOutcome] = [await plain.stop(), await streams.stop()];

    assert.deepEqual(plainOutcome.failures, [], `${plainOutcome.failures.length} of ${plainOutcome.sent} failed`);
    assert.deepEqual(
      streamOutcome.failures,
      [],
      `${streamOutcome.failures.length} of ${streamOutcome.sent} streams failed`,
    );
    const share = served[2]! / served.reduce((sum, count) => sum + count, 0);
    assert.ok(
      share >= 1 / 3 - 0.1,
      `the flapped instance served ${(share * 100).toFixed(1)} % (${served.join(' / ')})`,
    );
  });
});
