import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatRequest } from '@switchboard/providers';
import { requestFeatures } from './request-features.js';
import { DEFAULT_ROUTING_POLICY, freshFactsMatchers } from './routing-policy.js';

const patterns = freshFactsMatchers(DEFAULT_ROUTING_POLICY);
const now = new Date('2026-06-15T12:00:00Z');
const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'auto',
  stream: false,
  messages: [{ role: 'user', content }],
  ...extra,
});

test('prompt tokens are the characters of system, messages, tool calls and tool definitions over 4, rounded up', () => {
  assert.equal(requestFeatures(ask('x'.repeat(8)), patterns, now).promptTokens, 2);
  assert.equal(requestFeatures(ask('x'.repeat(9)), patterns, now).promptTokens, 3);
  const tool = { name: 'lookup', description: 'Looks a thing up', parameters: { type: 'object' } };
  const request: ChatRequest = {
    model: 'auto',
    stream: false,
    messages: [
      { role: 'system', content: 's'.repeat(40) },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'u'.repeat(20) },
          { type: 'image', url: 'https://example.test/a-very-long-image-url.png' },
        ],
      },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' }] },
      { role: 'tool', content: 'r'.repeat(12), toolCallId: 'call_1' },
    ],
    tools: [tool],
  };
  const characters = 40 + 20 + 'lookup'.length + '{"q":"a"}'.length + 12 + JSON.stringify(tool).length;
  assert.equal(
    requestFeatures(request, patterns, now).promptTokens,
    Math.ceil(characters / 4),
    'image URLs do not count',
  );
});

test('images, tools, reasoning and JSON output are detected', () => {
  const plain = requestFeatures(ask('hello'), patterns, now);
  assert.deepEqual(
    { ...plain, promptTokens: 0 },
    {
      promptTokens: 0,
      hasImages: false,
      hasTools: false,
      wantsReasoning: false,
      jsonOutput: false,
      needsFreshFacts: false,
    },
  );
  const image = ask('', {
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image', url: 'data:image/png;base64,AAAA' },
        ],
      },
    ],
  });
  assert.equal(requestFeatures(image, patterns, now).hasImages, true);
  assert.equal(requestFeatures(ask('hi', { tools: [{ name: 'f', parameters: {} }] }), patterns, now).hasTools, true);
  assert.equal(
    requestFeatures(ask('hi', { tools: [] }), patterns, now).hasTools,
    false,
    'an empty tool list is no tools',
  );
  const toolResult = ask('', {
    messages: [
      { role: 'user', content: 'go' },
      { role: 'tool', content: '42', toolCallId: 'c' },
    ],
  });
  assert.equal(requestFeatures(toolResult, patterns, now).hasTools, true, 'a tool result in the conversation');
  assert.equal(requestFeatures(ask('think', { reasoning: { enabled: true } }), patterns, now).wantsReasoning, true);
  assert.equal(requestFeatures(ask('think', { reasoning: { enabled: false } }), patterns, now).wantsReasoning, false);
  assert.equal(requestFeatures(ask('x', { responseFormat: { type: 'json_object' } }), patterns, now).jsonOutput, true);
  assert.equal(
    requestFeatures(ask('x', { responseFormat: { type: 'json_schema', name: 's', schema: {} } }), patterns, now)
      .jsonOutput,
    true,
  );
  assert.equal(requestFeatures(ask('x', { responseFormat: { type: 'text' } }), patterns, now).jsonOutput, false);
});

test('fresh facts: the default patterns catch news, today, latest and prices, not everyday wording', () => {
  for (const question of [
    'What is the latest news today about the election?',
    'Headlines this week?',
    'current price of gold',
    'What is the Bitcoin price right now',
    'weather forecast for Paris',
    'final score of the match',
  ]) {
    assert.equal(requestFeatures(ask(question), patterns, now).needsFreshFacts, true, question);
  }
  for (const question of [
    'Explain the current directory in bash',
    'Write a haiku about autumn',
    'Refactor this function',
    'Who won the 1998 World Cup?',
  ]) {
    assert.equal(requestFeatures(ask(question), patterns, now).needsFreshFacts, false, question);
  }
});

test('fresh facts: a year from the current one on counts, an earlier year does not', () => {
  assert.equal(requestFeatures(ask('Best laptops of 2026'), patterns, now).needsFreshFacts, true);
  assert.equal(
    requestFeatures(ask('Compare 2019 with 2027 plans'), patterns, now).needsFreshFacts,
    true,
    'any year in the message, not just the first',
  );
  assert.equal(requestFeatures(ask('Best laptops of 2025'), patterns, now).needsFreshFacts, false);
  assert.equal(
    requestFeatures(ask('Best laptops of 2025'), patterns, new Date('2025-01-01T00:00:00Z')).needsFreshFacts,
    true,
    'the current year comes from now',
  );
});

test('fresh facts look at the last user message only', () => {
  const request = ask('', {
    messages: [
      { role: 'system', content: 'Today you are a poet.' },
      { role: 'user', content: 'any news today?' },
      { role: 'assistant', content: 'Yes.' },
      { role: 'user', content: 'Now write me a poem about cats' },
    ],
  });
  assert.equal(requestFeatures(request, patterns, now).needsFreshFacts, false);
  assert.equal(
    requestFeatures(ask('anything NEW? NEWS please'), patterns, now).needsFreshFacts,
    true,
    'case-insensitive',
  );
});
