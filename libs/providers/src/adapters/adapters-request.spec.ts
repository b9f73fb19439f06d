import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../model/chat-request.js';
import { adapterFor, PROVIDER_NAMES } from '../registry.js';

const target = { apiKey: 'test-key-0000' };

const toolRequest: ChatRequest = {
  model: 'm',
  stream: false,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'system', content: 'Answer in English.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather in Paris and Rome?' },
        { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
      ],
    },
    {
      role: 'assistant',
      content: '',
      toolCalls: [
        { id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { id: 'call_2', name: 'weather', arguments: '{"city":"Rome"}' },
      ],
    },
    { role: 'tool', toolCallId: 'call_1', content: '18C' },
    { role: 'tool', toolCallId: 'call_2', content: '24C' },
  ],
  tools: [
    {
      name: 'weather',
      description: 'Current weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  ],
  toolChoice: 'required',
  parallelToolCalls: false,
  temperature: 1.6,
  maxTokens: 300,
  stop: ['END'],
  seed: 7,
  user: 'user-42',
  presencePenalty: 0.5,
};

describe('request building', () => {
  it('OpenAI: Bearer auth, max_completion_tokens, tools, tool messages as sent', () => {
    const upstream = adapterFor('openai').buildChatRequest(toolRequest, target);
    assert.equal(upstream.path, '/chat/completions');
    assert.equal(upstream.headers.authorization, 'Bearer test-key-0000');
    const body = upstream.body as Record<string, unknown>;
    assert.equal(body.max_completion_tokens, 300);
    assert.equal(body.max_tokens, undefined);
    assert.equal(body.tool_choice, 'required');
    assert.equal(body.parallel_tool_calls, false);
    assert.equal(body.seed, 7);
    const messages = body.messages as Record<string, unknown>[];
    assert.equal(messages.length, 6);
    assert.deepEqual(messages[2]!.content, [
      { type: 'text', text: 'Weather in Paris and Rome?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ]);
    assert.equal(messages[3]!.content, null);
    assert.equal((messages[3]!.tool_calls as unknown[]).length, 2);
    assert.equal(messages[4]!.tool_call_id, 'call_1');
  });

  it('OpenAI: stream_options only when usage is wanted in a stream', () => {
    const streamed = adapterFor('openai').buildChatRequest({ ...toolRequest, stream: true, includeUsage: true }, target)
      .body as Record<string, unknown>;
    assert.deepEqual(streamed.stream_options, { include_usage: true });
    const plain = adapterFor('openai').buildChatRequest({ ...toolRequest, stream: true }, target).body as Record<
      string,
      unknown
    >;
    assert.equal(plain.stream_options, undefined);
  });

  it('Claude: x-api-key and anthropic-version, top-level system, tool results in one user turn, clamped temperature', () => {
    const upstream = adapterFor('claude').buildChatRequest(toolRequest, target);
    assert.equal(upstream.path, '/v1/messages');
    assert.equal(upstream.headers['x-api-key'], 'test-key-0000');
    assert.equal(upstream.headers['anthropic-version'], '2023-06-01');
    assert.equal(upstream.headers.authorization, undefined);
    const body = upstream.body as Record<string, unknown>;
    assert.equal(body.system, 'Be brief.\n\nAnswer in English.');
    assert.equal(body.temperature, 1);
    assert.equal(body.max_tokens, 300);
    assert.deepEqual(body.stop_sequences, ['END']);
    assert.deepEqual(body.metadata, { user_id: 'user-42' });
    assert.deepEqual(body.tool_choice, { type: 'any', disable_parallel_tool_use: true });
    assert.equal(body.seed, undefined);
    assert.equal(body.presence_penalty, undefined);
    const turns = body.messages as { role: string; content: Record<string, unknown>[] }[];
    assert.deepEqual(
      turns.map((turn) => turn.role),
      ['user', 'assistant', 'user'],
    );
    assert.deepEqual(turns[0]!.content[1], {
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
    });
    assert.deepEqual(
      turns[1]!.content.map((block) => block.type),
      ['tool_use', 'tool_use'],
    );
    assert.deepEqual(turns[1]!.content[0]!.input, { city: 'Paris' });
    assert.deepEqual(turns[2]!.content, [
      { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
      { type: 'tool_result', tool_use_id: 'call_2', content: '24C' },
    ]);
  });

  it('Claude: max_tokens is always sent', () => {
    const body = adapterFor('claude').buildChatRequest(
      { model: 'claude-x', stream: false, messages: [{ role: 'user', content: 'hi' }] },
      target,
    ).body as Record<string, unknown>;
    assert.equal(body.max_tokens, 4096);
  });

  it('ZAI: max_tokens, thinking, user_id, and what it does not take dropped', () => {
    const body = adapterFor('zai').buildChatRequest({ ...toolRequest, reasoning: { enabled: true } }, target)
      .body as Record<string, unknown>;
    assert.equal(body.max_tokens, 300);
    assert.deepEqual(body.thinking, { type: 'enabled' });
    assert.equal(body.user_id, 'user-42');
    assert.equal(body.tool_choice, 'auto');
    for (const dropped of ['seed', 'presence_penalty', 'parallel_tool_calls', 'user', 'max_completion_tokens'])
      assert.equal(body[dropped], undefined, dropped);
  });

  it('Perplexity: drops tools, stop, seed and user; keeps sampling', () => {
    const body = adapterFor('perplexity').buildChatRequest(
      { ...toolRequest, topK: 5, providerOptions: { search_recency_filter: 'week' } },
      target,
    ).body as Record<string, unknown>;
    for (const dropped of ['tools', 'tool_choice', 'stop', 'seed', 'user', 'parallel_tool_calls'])
      assert.equal(body[dropped], undefined, dropped);
    assert.equal(body.max_tokens, 300);
    assert.equal(body.top_k, 5);
    assert.equal(body.temperature, 1.6);
    assert.equal(body.search_recency_filter, 'week');
  });

  it('every adapter has a probe that bills nothing', () => {
    for (const provider of PROVIDER_NAMES) {
      const adapter = adapterFor(provider);
      const probe = adapter.buildProbeRequest(target);
      assert.ok(
        probe.method === 'GET' || (probe.body as { messages: unknown[] }).messages.length === 0,
        `${provider}: a list call or a request that fails validation`,
      );
      assert.ok(adapter.probeDescription.length > 10);
    }
  });
});
