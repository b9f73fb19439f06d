import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { GatewayStack, TEST_CLIENT_KEY } from '../support/gateway-stack.js';

/** One model per provider, each served by one simulated instance. */
const SERVED = [
  { provider: 'openai', model: 'openai/gpt-4o' },
  { provider: 'claude', model: 'claude/claude-sonnet-4-6' },
  { provider: 'zai', model: 'zai/glm-4.6' },
  { provider: 'perplexity', model: 'perplexity/sonar' },
] as const;

describe('api-gateway: the official OpenAI and Anthropic SDKs, stream and non-stream, served by each provider', () => {
  let stack: GatewayStack;
  let openai: OpenAI;
  let anthropic: Anthropic;

  before(async () => {
    stack = await GatewayStack.start({
      instances: SERVED.map(({ provider }) => ({ name: `${provider}-sdk`, provider })),
    });
    openai = new OpenAI({ baseURL: `${stack.gateway.url}/v1`, apiKey: TEST_CLIENT_KEY, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: stack.gateway.url, apiKey: TEST_CLIENT_KEY, maxRetries: 0 });
  });

  after(async () => {
    await stack?.stop();
  });

  for (const { provider, model } of SERVED) {
    it(`OpenAI SDK, non-stream, served by ${provider}`, async () => {
      const { data, response } = await openai.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'Write one sentence.' }] })
        .withResponse();
      assert.equal(response.headers.get('x-switchboard-provider'), provider);
      assert.equal(data.object, 'chat.completion');
      assert.ok((data.choices[0]?.message.content ?? '').length > 0);
      assert.ok((data.usage?.completion_tokens ?? 0) > 0);
    });

    it(`OpenAI SDK, stream, served by ${provider}`, async () => {
      const stream = await openai.chat.completions.create({
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Write one sentence.' }],
      });
      let text = '';
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      assert.ok(text.length > 0);
      assert.equal(finish, 'stop');
      assert.ok((usage?.completion_tokens ?? 0) > 0, 'usage chunk included on request');
    });

    it(`Anthropic SDK, non-stream, served by ${provider}`, async () => {
      const { data, response } = await anthropic.messages
        .create({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Write one sentence.' }] })
        .withResponse();
      assert.equal(response.headers.get('x-switchboard-provider'), provider);
      assert.equal(data.type, 'message');
      const text = data.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      assert.ok(text.length > 0);
      assert.equal(data.stop_reason, 'end_turn');
    });

    it(`Anthropic SDK, stream, served by ${provider}`, async () => {
      const stream = anthropic.messages.stream({
        model,
        max_tokens: 200,
        messages: [{ role: 'user', content: 'Write one sentence.' }],
      });
      let text = '';
      stream.on('text', (delta) => (text += delta));
      const final = await stream.finalMessage();
      assert.ok(text.length > 0);
      assert.equal(final.stop_reason, 'end_turn');
      assert.ok(final.usage.output_tokens > 0);
    });
  }

  it('surfaces gateway errors as the SDKs typed errors', async () => {
    const badKey = new OpenAI({
      baseURL: `${stack.gateway.url}/v1`,
      apiKey: 'sb-wrong-key-0000000000000000',
      maxRetries: 0,
    });
    await assert.rejects(
      badKey.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      OpenAI.AuthenticationError,
    );
    await assert.rejects(
      openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
      OpenAI.NotFoundError,
    );
    await assert.rejects(
      anthropic.messages.create({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      Anthropic.NotFoundError,
    );
  });
});
