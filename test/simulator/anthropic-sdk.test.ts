// The official `@anthropic-ai/sdk` client parses the simulator's Messages API answers:
// non-stream, `messages.stream(...)` final message, tool use, and typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { location: { type: 'string' } } },
};

describe('@anthropic-ai/sdk against the simulated Claude instance', () => {
  let simulator: ProviderSimulator;
  let client: Anthropic;
  let baseUrl: string;

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    baseUrl = (await simulator.addInstance({ id: 'claude-sdk', provider: 'claude', apiKey: 'sk-ant-test' })).baseUrl;
    client = new Anthropic({ baseURL: baseUrl, apiKey: 'sk-ant-test', maxRetries: 0 });
  });

  after(async () => {
    await simulator?.stop();
  });

  const setError = (error: unknown) => simulator.updateKnobs('claude-sdk', { error });

  it('answers a non-stream message with a top-level system prompt', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Describe circuit breakers' }],
    });
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.stop_reason, 'end_turn');
    const block = message.content[0];
    assert.ok(block?.type === 'text');
    assert.match(block.text, /^Simulated Claude reply to: Describe circuit breakers/);
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
  });

  it('streams, and messages.stream(...) assembles the same final message', async () => {
    const request = {
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      messages: [{ role: 'user' as const, content: 'Describe circuit breakers' }],
    };
    const direct = await client.messages.create(request);
    const stream = client.messages.stream(request);
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    const final = await stream.finalMessage();
    assert.ok(deltas.length > 3, `expected several text deltas, got ${deltas.length}`);
    assert.deepEqual(final.content, direct.content);
    assert.equal(final.stop_reason, direct.stop_reason);
    assert.equal(final.usage.input_tokens, direct.usage.input_tokens);
    assert.equal(final.usage.output_tokens, direct.usage.output_tokens);
  });

  it('raw stream events come in the documented order', async () => {
    const stream = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'Order please' }],
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.equal(types[0], 'message_start');
    assert.equal(types[1], 'content_block_start');
    assert.ok(types.slice(2, -3).every((type) => type === 'content_block_delta'));
    assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('answers with a tool_use block and streams its input as input_json_delta', async () => {
    const request = {
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user' as const, content: 'Weather in Berlin?' }],
    };
    const message = await client.messages.create(request);
    assert.equal(message.stop_reason, 'tool_use');
    const block = message.content[0];
    assert.ok(block?.type === 'tool_use');
    assert.equal(block.name, 'get_weather');
    assert.deepEqual(block.input, { location: 'Berlin' });

    const stream = client.messages.stream(request);
    const fragments: string[] = [];
    stream.on('inputJson', (fragment) => fragments.push(fragment));
    const final = await stream.finalMessage();
    const streamedBlock = final.content[0];
    assert.ok(streamedBlock?.type === 'tool_use');
    assert.deepEqual(streamedBlock.input, { location: 'Berlin' });
    assert.equal(final.stop_reason, 'tool_use');
    assert.ok(fragments.length > 1, 'the input arrives in several fragments');
  });

  it('max_tokens caps the answer with stop_reason max_tokens', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'Be long' }],
    });
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 5);
  });

  it('stop_sequences end the answer with stop_reason stop_sequence', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      stop_sequences: ['reply'],
      messages: [{ role: 'user', content: 'Stop early' }],
    });
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, 'reply');
    const block = message.content[0];
    assert.ok(block?.type === 'text');
    assert.equal(block.text, 'Simulated Claude ');
  });

  it('a missing max_tokens is a 400 invalid_request_error naming it', async () => {
    const response = await fetch(`${baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as {
      type: string;
      error: { type: string; message: string };
      request_id: string;
    };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /max_tokens/);
    assert.equal(response.headers.get('request-id'), body.request_id);
  });

  it('requires x-api-key and anthropic-version', async () => {
    const noKey = await fetch(`${baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'anthropic-version': '2023-06-01' },
      body: '{}',
    });
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as { error: { type: string } }).error.type, 'authentication_error');

    const noVersion = await fetch(`${baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test' },
      body: '{}',
    });
    assert.equal(noVersion.status, 400);
    assert.match(((await noVersion.json()) as { error: { message: string } }).error.message, /anthropic-version/);
  });

  it('a system role inside messages is rejected as the API does', async () => {
    await assert.rejects(
      client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 10,
        messages: [{ role: 'system' as 'user', content: 'no' }],
      }),
      (error: unknown) => error instanceof Anthropic.BadRequestError && /top-level `system`/.test(error.message),
    );
  });

  it('a wrong key is an AuthenticationError', async () => {
    const wrong = new Anthropic({ baseURL: baseUrl, apiKey: 'sk-ant-wrong', maxRetries: 0 });
    await assert.rejects(
      wrong.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      Anthropic.AuthenticationError,
    );
  });

  it('overload is a 529 APIError of type overloaded_error', async () => {
    await setError({ kind: 'overloaded' });
    try {
      await assert.rejects(
        client.messages.create({
          model: 'claude-sonnet-4-6',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
        (error: unknown) => {
          assert.ok(error instanceof Anthropic.APIError, String(error));
          assert.equal(error.status, 529);
          assert.equal(error.type, 'overloaded_error');
          return true;
        },
      );
    } finally {
      await setError(null);
    }
  });

  it('rate limits are RateLimitError with retry-after', async () => {
    await setError({ kind: 'rate_limit', retryAfterSeconds: 30 });
    try {
      await assert.rejects(
        client.messages.create({
          model: 'claude-sonnet-4-6',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
        (error: unknown) => {
          assert.ok(error instanceof Anthropic.RateLimitError, String(error));
          assert.equal(error.headers?.get('retry-after'), '30');
          return true;
        },
      );
    } finally {
      await setError(null);
    }
  });

  it('quota renders the documented spend-limit variants by status', async () => {
    const request = {
      model: 'claude-sonnet-4-6',
      max_tokens: 10,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    try {
      await setError({ kind: 'quota' });
      await assert.rejects(
        client.messages.create(request),
        (error: unknown) => error instanceof Anthropic.BadRequestError && /usage limits/.test(error.message),
      );
      await setError({ kind: 'quota', status: 402 });
      await assert.rejects(
        client.messages.create(request),
        (error: unknown) =>
          error instanceof Anthropic.APIError && error.status === 402 && error.type === 'billing_error',
      );
      await setError({ kind: 'quota', status: 429 });
      await assert.rejects(
        client.messages.create(request),
        (error: unknown) =>
          error instanceof Anthropic.RateLimitError && error.errorCode === 'enforced_spend_limit_reached',
      );
    } finally {
      await setError(null);
    }
  });

  it('the models endpoint lists the instance models', async () => {
    const page = await client.models.list();
    assert.deepEqual(
      page.data.map((model) => model.id),
      ['claude-sonnet-4-6', 'claude-opus-4-7', 'claude-haiku-4-5'],
    );
  });
});
