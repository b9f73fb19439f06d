// Each knob shows its effect on real loopback HTTP: delays are measured, broken streams are
// observed the way a client sees them (SDK errors, silence, refused connections).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';

const KEY = 'sk-knobs';
const CHAT = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Knob test message' }] };

/** Reads a response body until it ends or stays silent for `quietMs`; reports which. */
async function readUntilQuiet(response: Response, quietMs: number): Promise<{ text: string; ended: boolean }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<'quiet'>((resolve) => (timer = setTimeout(() => resolve('quiet'), quietMs)));
    const next = await Promise.race([reader.read(), quiet]);
    clearTimeout(timer);
    if (next === 'quiet') {
      await reader.cancel();
      return { text, ended: false };
    }
    if (next.done) return { text, ended: true };
    text += decoder.decode(next.value, { stream: true });
  }
}

function dataLines(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('data: '));
}

describe('simulator knobs', () => {
  let simulator: ProviderSimulator;
  let openaiUrl: string;
  let openai: OpenAI;

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    openaiUrl = (await simulator.addInstance({ id: 'knobs-openai', provider: 'openai', apiKey: KEY })).baseUrl;
    openai = new OpenAI({ baseURL: openaiUrl, apiKey: KEY, maxRetries: 0 });
  });

  beforeEach(async () => {
    await simulator.reset('knobs-openai');
  });

  after(async () => {
    await simulator?.stop();
  });

  const knobs = (patch: Record<string, unknown>) => simulator.updateKnobs('knobs-openai', patch);
  const post = (body: unknown, signal?: AbortSignal) =>
    fetch(`${openaiUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });

  it('latencyMs delays the response headers', async () => {
    let started = performance.now();
    await openai.chat.completions.create(CHAT);
    const baseline = performance.now() - started;
    await knobs({ latencyMs: 250 });
    started = performance.now();
    await openai.chat.completions.create(CHAT);
    const delayed = performance.now() - started;
    assert.ok(delayed >= 240, `delayed answer took ${delayed} ms`);
    assert.ok(baseline < 200, `baseline answer took ${baseline} ms`);
  });

  it('ttftMs sends headers at once and holds the first chunk', async () => {
    await knobs({ ttftMs: 250 });
    const started = performance.now();
    const response = await post({ ...CHAT, stream: true });
    const headersAfter = performance.now() - started;
    const reader = response.body!.getReader();
    await reader.read();
    const firstChunkAfter = performance.now() - started;
    await reader.cancel();
    assert.equal(response.status, 200);
    assert.ok(headersAfter < 150, `headers after ${headersAfter} ms`);
    assert.ok(firstChunkAfter >= 240, `first chunk after ${firstChunkAfter} ms`);
  });

  it('tokensPerSecond paces the stream', async () => {
    // 32 output tokens at 150 tokens/s take about 210 ms.
    await knobs({ tokensPerSecond: 150 });
    const started = performance.now();
    let text = '';
    for await (const chunk of await openai.chat.completions.create({ ...CHAT, stream: true }))
      text += chunk.choices[0]?.delta.content ?? '';
    const paced = performance.now() - started;
    assert.match(text, /^Simulated OpenAI reply/);
    assert.ok(paced >= 180, `paced stream took ${paced} ms`);
  });

  it('error renders the kind in the provider format with the given status and message', async () => {
    await knobs({ error: { kind: 'server', status: 502, message: 'upstream exploded' } });
    await assert.rejects(openai.chat.completions.create(CHAT), (error: unknown) => {
      assert.ok(error instanceof OpenAI.InternalServerError);
      assert.equal(error.status, 502);
      assert.match(error.message, /upstream exploded/);
      return true;
    });
  });

  it('errorRate fails a deterministic share of requests for a seed', async () => {
    const outcomes = async () => {
      const results: string[] = [];
      for (let index = 0; index < 24; index++) results.push((await post(CHAT)).status === 200 ? 'ok' : 'fail');
      return results.join(',');
    };
    await knobs({ errorRate: 0.5, seed: 42, error: { kind: 'overloaded' } });
    const first = await outcomes();
    await knobs({ seed: 42 });
    const second = await outcomes();
    assert.equal(first, second, 'the same seed fails the same requests');
    const failures = first.split(',').filter((outcome) => outcome === 'fail').length;
    assert.ok(failures > 4 && failures < 20, `failures: ${failures} of 24`);

    await knobs({ errorRate: 0 });
    assert.equal(await outcomes(), Array(24).fill('ok').join(','));
  });

  it('hangBeforeHeaders accepts the request and never answers', async () => {
    await knobs({ hangBeforeHeaders: true });
    const started = performance.now();
    await assert.rejects(
      post(CHAT, AbortSignal.timeout(200)),
      (error: unknown) => error instanceof Error && error.name === 'TimeoutError',
    );
    assert.ok(performance.now() - started >= 190);
    const log = simulator.requests('knobs-openai');
    assert.equal(log.requests.at(-1)?.path, '/v1/chat/completions', 'the request was received');
  });

  it('stallAfterChunks sends N chunks, then keeps the connection open and silent', async () => {
    await knobs({ stallAfterChunks: 3 });
    const response = await post({ ...CHAT, stream: true });
    const { text, ended } = await readUntilQuiet(response, 250);
    assert.equal(ended, false, 'the stream neither ended nor closed');
    assert.equal(dataLines(text).length, 3);
    assert.ok(!text.includes('[DONE]'));
  });

  it('cutAfterChunks drops the connection mid-stream and the SDK throws', async () => {
    await knobs({ cutAfterChunks: 4 });
    const received: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of await openai.chat.completions.create({ ...CHAT, stream: true }))
          received.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    assert.equal(received.length, 4);

    const anthropicUrl = (
      await simulator.addInstance({ id: 'knobs-claude', provider: 'claude', knobs: { cutAfterChunks: 5 } })
    ).baseUrl;
    try {
      const claude = new Anthropic({ baseURL: anthropicUrl, apiKey: KEY, maxRetries: 0 });
      await assert.rejects(
        claude.messages
          .stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'cut me' }] })
          .finalMessage(),
      );
    } finally {
      await simulator.removeInstance('knobs-claude');
    }
  });

  it('malformedChunkAt makes one chunk invalid JSON and the SDK throws', async () => {
    await knobs({ malformedChunkAt: 2 });
    const quiet = new OpenAI({ baseURL: openaiUrl, apiKey: KEY, maxRetries: 0, logLevel: 'off' });
    await assert.rejects(
      (async () => {
        for await (const chunk of await quiet.chat.completions.create({ ...CHAT, stream: true })) void chunk;
      })(),
      SyntaxError,
    );
    const text = await (await post({ ...CHAT, stream: true })).text();
    const lines = dataLines(text);
    assert.doesNotThrow(() => JSON.parse(lines[0]!.slice(6)));
    assert.throws(() => JSON.parse(lines[1]!.slice(6)), SyntaxError);
  });

  it('refuseConnections closes the port (ECONNREFUSED) and re-listens on the same port', async () => {
    const port = simulator.get('knobs-openai').port;
    await knobs({ refuseConnections: true });
    assert.equal(simulator.get('knobs-openai').listening, false);
    await assert.rejects(post(CHAT), (error: unknown) => {
      const cause = (error as { cause?: { code?: string } }).cause;
      assert.equal(cause?.code, 'ECONNREFUSED');
      return true;
    });
    await assert.rejects(openai.chat.completions.create(CHAT), OpenAI.APIConnectionError);

    await knobs({ refuseConnections: false });
    assert.equal(simulator.get('knobs-openai').port, port);
    assert.equal((await post(CHAT)).status, 200);
  });

  it('toolCall forces a tool call even without the word weather', async () => {
    await knobs({ toolCall: { name: 'lookup', arguments: { query: 'switchboard' } } });
    const completion = await openai.chat.completions.create({
      ...CHAT,
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } },
      ],
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    assert.equal(call.function.name, 'lookup');
    assert.deepEqual(JSON.parse(call.function.arguments), { query: 'switchboard' });
  });

  describe('health probes (models endpoints)', () => {
    const probe = () => fetch(`${openaiUrl}/models`, { headers: { authorization: `Bearer ${KEY}` } });

    it('obey latencyMs', async () => {
      await knobs({ latencyMs: 200 });
      const started = performance.now();
      assert.equal((await probe()).status, 200);
      assert.ok(performance.now() - started >= 190);
    });

    it('fail for server, overloaded and auth errors but not for chat-only kinds', async () => {
      await knobs({ error: { kind: 'server' } });
      assert.equal((await probe()).status, 500);
      await knobs({ error: { kind: 'overloaded' } });
      assert.equal((await probe()).status, 503);
      await knobs({ error: { kind: 'auth' } });
      assert.equal((await probe()).status, 401);
      await knobs({ error: { kind: 'rate_limit' } });
      assert.equal((await probe()).status, 200);
    });

    it('are refused with the instance', async () => {
      await knobs({ refuseConnections: true });
      await assert.rejects(
        probe(),
        (error: unknown) => (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED',
      );
    });

    it('require the provider auth header', async () => {
      const response = await fetch(`${openaiUrl}/models`);
      assert.equal(response.status, 401);
    });
  });
});
