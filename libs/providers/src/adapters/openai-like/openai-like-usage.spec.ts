import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adapterFor, type ProviderName } from '../../registry.js';

/** An OpenAI-style answer whose usage states a cost and a negative token count. */
const answer = {
  id: 'chatcmpl-1',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: -40, total_tokens: -28, cost: { total_cost: -3.5 } },
};

const usageOf = (provider: ProviderName, body: unknown) => adapterFor(provider).parseChatResponse(body).usage;

describe('usage read from OpenAI-style answers', () => {
  it('takes a stated cost only from a provider that prices its requests (Perplexity), never below zero', () => {
    for (const provider of ['openai', 'openai_compatible', 'zai'] as const)
      assert.equal(usageOf(provider, answer)?.costUsd, undefined, provider);
    assert.equal(usageOf('perplexity', answer)?.costUsd, 0);
    const priced = { ...answer, usage: { ...answer.usage, cost: { total_cost: 0.005047 } } };
    assert.equal(usageOf('perplexity', priced)?.costUsd, 0.005047);
  });

  it('takes negative token counts as zero', () => {
    const usage = usageOf('openai_compatible', answer);
    assert.equal(usage?.promptTokens, 12);
    assert.equal(usage?.completionTokens, 0);
    assert.equal(usage?.totalTokens, 0);
  });

  it('reads the stated cost of a streamed Perplexity answer, and ignores that of another upstream', () => {
    const chunk = { data: JSON.stringify({ ...answer, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) };
    for (const [provider, cost] of [
      ['perplexity', 0],
      ['openai_compatible', undefined],
    ] as const) {
      const adapter = adapterFor(provider);
      const state = adapter.newStreamState();
      adapter.parseStreamEvent({ event: 'message', ...chunk }, state);
      const events = adapter.parseStreamEvent({ event: 'message', data: '[DONE]' }, state);
      const usage = events.find((event) => event.type === 'usage');
      assert.ok(usage?.type === 'usage', provider);
      assert.equal(usage.usage.costUsd, cost, provider);
    }
  });
});
