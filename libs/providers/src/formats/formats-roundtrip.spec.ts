import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adapterFor } from '../registry.js';
import { SseParser } from '../core/sse-parser.js';
import { StreamAssembler } from '../../../../test/support/stream-assembler.js';
import type { ChatResponse, StreamEvent } from '../model/chat-response.js';
import { AnthropicStreamWriter, fromAnthropicRequest, toAnthropicMessage } from './anthropic/anthropic-format.js';
import { fromOpenAIRequest, OpenAIStreamWriter, toOpenAIResponse } from './openai/openai-format.js';

const events: StreamEvent[] = [
  { type: 'start', id: 'abc', model: 'model-x', created: 1_700_000_000 },
  { type: 'reasoning', text: 'thinking...' },
  { type: 'text', text: 'Hello' },
  { type: 'text', text: ', world' },
  { type: 'tool_call_start', toolIndex: 0, id: 'call_9', name: 'lookup' },
  { type: 'tool_call_delta', toolIndex: 0, argumentsDelta: '{"q":' },
  { type: 'tool_call_delta', toolIndex: 0, argumentsDelta: '"x"}' },
  { type: 'finish', finishReason: 'tool_calls' },
  { type: 'usage', usage: { promptTokens: 11, completionTokens: 5, totalTokens: 16 } },
  { type: 'end' },
];

function reparse(provider: 'openai' | 'claude', sse: string): ChatResponse {
  const adapter = adapterFor(provider);
  const state = adapter.newStreamState();
  const assembler = new StreamAssembler(provider);
  for (const event of new SseParser().push(sse))
    for (const parsed of adapter.parseStreamEvent(event, state)) assembler.add(parsed);
  for (const parsed of adapter.finishStream(state)) assembler.add(parsed);
  assert.ok(assembler.complete, 'the rendered stream ends properly');
  return assembler.result();
}

describe('client formats', () => {
  const expected = new StreamAssembler('openai');
  for (const event of events) expected.add(event);

  it('an OpenAI-format stream reads back into the same answer', () => {
    const writer = new OpenAIStreamWriter(true);
    const sse = events.map((event) => writer.write(event)).join('');
    assert.ok(sse.endsWith('data: [DONE]\n\n'));
    const result = reparse('openai', sse);
    assert.deepEqual(result.message, expected.result().message);
    assert.equal(result.finishReason, 'tool_calls');
    assert.deepEqual(result.usage, { promptTokens: 11, completionTokens: 5, totalTokens: 16 });
    assert.equal(result.id, 'chatcmpl-abc');
  });

  it('an Anthropic-format stream reads back into the same answer', () => {
    const writer = new AnthropicStreamWriter();
    const sse = events.map((event) => writer.write(event)).join('');
    assert.match(sse, /^event: message_start\n/);
    assert.match(sse, /event: message_stop\ndata: \{"type":"message_stop"\}\n\n$/);
    const result = reparse('claude', sse);
    assert.deepEqual(result.message, expected.result().message);
    assert.equal(result.finishReason, 'tool_calls');
    assert.deepEqual(result.usage, { promptTokens: 11, completionTokens: 5, totalTokens: 16 });
  });

  it('a failed stream ends with an error frame and no terminator', () => {
    const openai = new OpenAIStreamWriter(false);
    const failed =
      openai.write(events[0]!) +
      openai.write(events[2]!) +
      openai.error({ kind: 'stream_cut', message: 'upstream broke off' });
    assert.ok(!failed.includes('[DONE]'));
    assert.deepEqual(JSON.parse(failed.trim().split('\n\n').at(-1)!.slice(6)), {
      error: { message: 'upstream broke off', type: 'server_error', param: null, code: 'stream_cut' },
    });
    const anthropic = new AnthropicStreamWriter();
    const failedAnthropic = anthropic.write(events[0]!) + anthropic.error({ kind: 'overloaded', message: 'busy' });
    assert.ok(!failedAnthropic.includes('message_stop'));
    assert.match(
      failedAnthropic,
      /event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error","message":"busy"\}\}/,
    );
  });

  it('non-stream answers render in both formats and read back', () => {
    const answer = expected.result();
    const openaiBody = toOpenAIResponse(answer);
    assert.deepEqual(adapterFor('openai').parseChatResponse(openaiBody).message, answer.message);
    const anthropicBody = toAnthropicMessage(answer);
    assert.equal((anthropicBody as { stop_reason: string }).stop_reason, 'tool_use');
    assert.deepEqual(adapterFor('claude').parseChatResponse(anthropicBody).message, answer.message);
  });

  it('client requests in either format become the same normalised request', () => {
    const fromOpenAI = fromOpenAIRequest({
      model: 'm',
      max_tokens: 50,
      messages: [
        { role: 'developer', content: 'sys' },
        { role: 'user', content: 'hi' },
      ],
      stop: 'END',
      stream: true,
      stream_options: { include_usage: true },
    });
    const fromAnthropic = fromAnthropicRequest({
      model: 'm',
      max_tokens: 50,
      system: 'sys',
      messages: [{ role: 'user', content: 'hi' }],
      stop_sequences: ['END'],
      stream: true,
    });
    assert.deepEqual(fromOpenAI.messages, fromAnthropic.messages);
    assert.equal(fromOpenAI.maxTokens, fromAnthropic.maxTokens);
    assert.deepEqual(fromOpenAI.stop, fromAnthropic.stop);
    assert.equal(fromOpenAI.includeUsage, true);
  });

  it('unreadable client requests name the field', () => {
    assert.throws(() => fromOpenAIRequest({ messages: [] }), /^RequestFormatError: model:/);
    assert.throws(
      () => fromOpenAIRequest({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }),
      /messages\[0\]\.role/,
    );
    assert.throws(() => fromAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), /max_tokens/);
    assert.throws(
      () =>
        fromAnthropicRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'video' }] }] }),
      /messages\[0\]\.content\[0\]\.type/,
    );
  });
});
