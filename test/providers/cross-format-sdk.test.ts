import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ProviderName, ProviderTarget } from '@switchboard/providers';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { FormatBridge } from '../support/format-bridge.js';

const KEY = 'sim-key-0123456789';
const UPSTREAMS: { provider: ProviderName; model: string }[] = [
  { provider: 'openai', model: 'gpt-4o' },
  { provider: 'claude', model: 'claude-sonnet-4-5' },
  { provider: 'zai', model: 'glm-4.6' },
];
const WEATHER = {
  name: 'get_weather',
  description: 'Weather for a city',
  schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('any client format served by any provider: the official SDKs parse what we render', () => {
  let simulator: ProviderSimulator;
  let bridge: FormatBridge;

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    const targets = new Map<ProviderName, ProviderTarget & { model: string }>();
    for (const { provider, model } of UPSTREAMS) {
      const view = await simulator.addInstance({ id: provider, provider, apiKey: KEY, models: [model] });
      targets.set(provider, { baseUrl: view.baseUrl, apiKey: KEY, model });
    }
    bridge = await FormatBridge.start(targets);
  });

  after(async () => {
    await bridge?.stop();
    await simulator?.stop();
  });

  const openaiVia = (upstream: ProviderName) =>
    new OpenAI({
      baseURL: `${bridge.url}/v1`,
      apiKey: 'client-key',
      maxRetries: 0,
      defaultHeaders: { 'x-upstream': upstream },
    });
  const anthropicVia = (upstream: ProviderName) =>
    new Anthropic({
      baseURL: bridge.url,
      apiKey: 'client-key',
      maxRetries: 0,
      defaultHeaders: { 'x-upstream': upstream },
    });

  it('an OpenAI client answered by Claude: non-stream and stream agree', async () => {
    const openai = openaiVia('claude');
    const messages = [{ role: 'user' as const, content: 'Tell me about lighthouses' }];
    const whole = await openai.chat.completions.create({ model: 'any', messages });
    assert.equal(whole.object, 'chat.completion');
    assert.equal(whole.choices[0]?.finish_reason, 'stop');
    const text = whole.choices[0]?.message.content ?? '';
    assert.ok(text.length > 10);

    const stream = await openai.chat.completions.create({
      model: 'any',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(streamed, text);
    assert.equal(finish, 'stop');
    assert.deepEqual(usage, whole.usage);
  });

  it('an OpenAI client answered by Claude gets streamed tool calls', async () => {
    const stream = openaiVia('claude').chat.completions.stream({
      model: 'any',
      messages: [{ role: 'user', content: 'What is the weather in Oslo?' }],
      tools: [
        {
          type: 'function',
          function: { name: WEATHER.name, description: WEATHER.description, parameters: WEATHER.schema },
        },
      ],
    });
    const completion = await stream.finalChatCompletion();
    const call = completion.choices[0]?.message.tool_calls?.[0];
    assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(call?.type === 'function' ? call.function.name : undefined, 'get_weather');
    assert.equal(typeof JSON.parse(call?.type === 'function' ? call.function.arguments : '{}'), 'object');
  });

  for (const upstream of ['openai', 'zai'] as const) {
    it(`an Anthropic client answered by ${upstream}: non-stream and streamed final message agree`, async () => {
      const anthropic = anthropicVia(upstream);
      const params = {
        model: 'any',
        max_tokens: 200,
        system: 'Be brief.',
        messages: [{ role: 'user' as const, content: 'Tell me about rivers' }],
      };
      const whole = await anthropic.messages.create(params);
      assert.equal(whole.type, 'message');
      assert.equal(whole.stop_reason, 'end_turn');
      const text = whole.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      assert.ok(text.length > 10);
      const final = await anthropic.messages.stream(params).finalMessage();
      assert.equal(final.content.map((block) => (block.type === 'text' ? block.text : '')).join(''), text);
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(final.usage.output_tokens, whole.usage.output_tokens);
      assert.equal(final.usage.input_tokens, whole.usage.input_tokens);
    });
  }

  it('an Anthropic client answered by OpenAI gets a tool_use block with parsed input', async () => {
    const final = await anthropicVia('openai')
      .messages.stream({
        model: 'any',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'What is the weather in Lima?' }],
        tools: [{ name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.schema }],
      })
      .finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const block = final.content.find((entry) => entry.type === 'tool_use');
    assert.equal(block?.type === 'tool_use' ? block.name : undefined, 'get_weather');
    assert.equal(typeof (block?.type === 'tool_use' ? block.input : undefined), 'object');
  });

  it('a stream cut upstream after the first byte reaches both SDKs as an error, not a clean end', async () => {
    await simulator.updateKnobs('claude', { cutAfterChunks: 5 });
    await simulator.updateKnobs('openai', { cutAfterChunks: 5 });
    try {
      const stream = await openaiVia('claude').chat.completions.create({
        model: 'any',
        messages: [{ role: 'user', content: 'hello there' }],
        stream: true,
      });
      let received = '';
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
        })(),
        (error: unknown) =>
          error instanceof OpenAI.APIError && /stream broke off|closed the stream/.test(error.message),
      );
      assert.ok(received.length > 0, 'text arrived before the failure');
      await assert.rejects(
        anthropicVia('openai')
          .messages.stream({ model: 'any', max_tokens: 100, messages: [{ role: 'user', content: 'hello there' }] })
          .finalMessage(),
        (error: unknown) => error instanceof Anthropic.APIError,
      );
    } finally {
      await simulator.reset('claude');
      await simulator.reset('openai');
    }
  });

  it('an upstream refusal before any byte reaches the client as a proper error status', async () => {
    await simulator.updateKnobs('claude', { error: { kind: 'overloaded' } });
    try {
      await assert.rejects(
        openaiVia('claude').chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'hi' }] }),
        (error: unknown) => error instanceof OpenAI.APIError && error.status === 503,
      );
      await assert.rejects(
        anthropicVia('claude').messages.create({
          model: 'any',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
        (error: unknown) =>
          error instanceof Anthropic.APIError && error.status === 503 && /overloaded/i.test(error.message),
      );
    } finally {
      await simulator.reset('claude');
    }
  });
});
