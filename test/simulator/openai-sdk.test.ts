// The official `openai` client parses the simulator's OpenAI, ZAI, Perplexity and
// OpenAI-compatible answers: if the SDK accepts them, adapters written against the SDK's
// understanding of the wire format will too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { location: { type: 'string' } } },
  },
};

const FLAVOURS = [
  { provider: 'openai', id: 'openai-sdk-openai', model: 'gpt-4o', label: 'OpenAI', tools: true },
  {
    provider: 'openai_compatible',
    id: 'openai-sdk-compatible',
    model: 'local-model',
    label: 'OpenAI-compatible',
    tools: true,
  },
  { provider: 'zai', id: 'openai-sdk-zai', model: 'glm-4.6', label: 'ZAI', tools: true },
  { provider: 'perplexity', id: 'openai-sdk-pplx', model: 'sonar', label: 'Perplexity', tools: false },
] as const;

describe('openai SDK against the simulator', () => {
  let simulator: ProviderSimulator;
  const clients = new Map<string, OpenAI>();

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    for (const flavour of FLAVOURS) {
      const view = await simulator.addInstance({ id: flavour.id, provider: flavour.provider, apiKey: 'sk-test-key' });
      clients.set(flavour.id, new OpenAI({ baseURL: view.baseUrl, apiKey: 'sk-test-key', maxRetries: 0 }));
    }
  });

  after(async () => {
    await simulator?.stop();
  });

  for (const flavour of FLAVOURS) {
    describe(flavour.provider, () => {
      const client = () => clients.get(flavour.id)!;

      it('answers a non-stream completion the SDK parses', async () => {
        const completion = await client().chat.completions.create({
          model: flavour.model,
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Tell me about load balancing' },
          ],
        });
        const text = completion.choices[0]?.message.content ?? '';
        assert.match(text, new RegExp(`^Simulated ${flavour.label} reply to: Tell me about load balancing`));
        assert.equal(completion.choices[0]?.finish_reason, 'stop');
        assert.ok(completion.usage && completion.usage.completion_tokens > 0);
        assert.equal(
          completion.usage.total_tokens,
          completion.usage.prompt_tokens + completion.usage.completion_tokens,
        );
      });

      it('streams with stream_options.include_usage and the SDK accumulates the same answer', async () => {
        const stream = await client().chat.completions.create({
          model: flavour.model,
          messages: [{ role: 'user', content: 'Tell me about load balancing' }],
          stream: true,
          stream_options: { include_usage: true },
        });
        let text = '';
        let chunks = 0;
        let finish: string | null = null;
        let usage: OpenAI.CompletionUsage | undefined;
        for await (const chunk of stream) {
          chunks++;
          text += chunk.choices[0]?.delta.content ?? '';
          finish = chunk.choices[0]?.finish_reason ?? finish;
          if (chunk.usage) usage = chunk.usage;
        }
        assert.ok(chunks > 3, `expected several chunks, got ${chunks}`);
        assert.match(text, new RegExp(`^Simulated ${flavour.label} reply to: Tell me about load balancing`));
        assert.equal(finish, 'stop');
        assert.ok(usage, 'a usage chunk arrives');
        assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
      });

      it('the SDK stream helper builds the final completion', async () => {
        const final = await client()
          .chat.completions.stream({
            model: flavour.model,
            messages: [{ role: 'user', content: 'Hello helper' }],
            stream_options: { include_usage: true },
          })
          .finalChatCompletion();
        assert.match(
          final.choices[0]?.message.content ?? '',
          new RegExp(`^Simulated ${flavour.label} reply to: Hello helper`),
        );
      });

      if (flavour.tools) {
        it('answers a weather question with a tool call, streamed and not', async () => {
          const request = {
            model: flavour.model,
            messages: [{ role: 'user' as const, content: 'What is the weather in Paris?' }],
            tools: [WEATHER_TOOL],
          };
          const completion = await client().chat.completions.create(request);
          const call = completion.choices[0]?.message.tool_calls?.[0];
          assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
          assert.ok(call && call.type === 'function');
          assert.equal(call.function.name, 'get_weather');
          assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Paris' });

          const streamed = await client()
            .chat.completions.stream({ ...request, ...(flavour.provider === 'zai' ? { tool_stream: true } : {}) })
            .finalChatCompletion();
          const streamedCall = streamed.choices[0]?.message.tool_calls?.[0];
          assert.equal(streamed.choices[0]?.finish_reason, 'tool_calls');
          assert.ok(streamedCall && streamedCall.type === 'function');
          assert.equal(streamedCall.function.name, 'get_weather');
          assert.deepEqual(JSON.parse(streamedCall.function.arguments), { location: 'Paris' });
        });
      }

      it('rejects a wrong key with a typed AuthenticationError', async () => {
        const view = simulator.get(flavour.id);
        const wrong = new OpenAI({ baseURL: view.baseUrl, apiKey: 'sk-wrong', maxRetries: 0 });
        await assert.rejects(
          wrong.chat.completions.create({ model: flavour.model, messages: [{ role: 'user', content: 'hi' }] }),
          (error: unknown) => {
            assert.ok(error instanceof OpenAI.AuthenticationError, String(error));
            assert.equal(error.status, 401);
            return true;
          },
        );
      });

      it('surfaces rate limits as RateLimitError with the retry-after header', async () => {
        await simulator.updateKnobs(flavour.id, { error: { kind: 'rate_limit', retryAfterSeconds: 7 } });
        try {
          await assert.rejects(
            client().chat.completions.create({ model: flavour.model, messages: [{ role: 'user', content: 'hi' }] }),
            (error: unknown) => {
              assert.ok(error instanceof OpenAI.RateLimitError, String(error));
              assert.equal(error.status, 429);
              assert.equal(error.headers.get('retry-after'), '7');
              return true;
            },
          );
        } finally {
          await simulator.updateKnobs(flavour.id, { error: null });
        }
      });

      it('surfaces overload as a 503 InternalServerError', async () => {
        await simulator.updateKnobs(flavour.id, { error: { kind: 'overloaded' } });
        try {
          await assert.rejects(
            client().chat.completions.create({ model: flavour.model, messages: [{ role: 'user', content: 'hi' }] }),
            (error: unknown) => {
              assert.ok(error instanceof OpenAI.InternalServerError, String(error));
              assert.equal(error.status, 503);
              return true;
            },
          );
        } finally {
          await simulator.updateKnobs(flavour.id, { error: null });
        }
      });
    });
  }

  it('OpenAI quota errors carry type and code insufficient_quota', async () => {
    await simulator.updateKnobs('openai-sdk-openai', { error: { kind: 'quota' } });
    try {
      await assert.rejects(
        clients
          .get('openai-sdk-openai')!
          .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.RateLimitError);
          assert.equal(error.code, 'insufficient_quota');
          assert.equal(error.type, 'insufficient_quota');
          return true;
        },
      );
    } finally {
      await simulator.updateKnobs('openai-sdk-openai', { error: null });
    }
  });

  it('ZAI balance exhaustion is a 429 with business code 1113', async () => {
    await simulator.updateKnobs('openai-sdk-zai', { error: { kind: 'quota' } });
    try {
      await assert.rejects(
        clients
          .get('openai-sdk-zai')!
          .chat.completions.create({ model: 'glm-4.6', messages: [{ role: 'user', content: 'hi' }] }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.RateLimitError);
          assert.equal(error.code, '1113');
          return true;
        },
      );
    } finally {
      await simulator.updateKnobs('openai-sdk-zai', { error: null });
    }
  });

  it('ZAI returns reasoning_content when thinking is enabled, in messages and in deltas', async () => {
    const client = clients.get('openai-sdk-zai')!;
    const body = {
      model: 'glm-4.6',
      messages: [{ role: 'user' as const, content: 'Explain retries' }],
      thinking: { type: 'enabled' },
    };
    const completion = await client.chat.completions.create(body);
    const message = completion.choices[0]?.message as unknown as { reasoning_content?: string; content: string };
    assert.match(message.reasoning_content ?? '', /^The user asked about Explain retries/);
    assert.match(message.content, /^Simulated ZAI reply/);

    const stream = await client.chat.completions.create({ ...body, stream: true });
    let reasoning = '';
    for await (const chunk of stream)
      reasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    assert.equal(reasoning, message.reasoning_content);
  });

  it('Perplexity answers carry citations and search_results, also in the stream', async () => {
    const client = clients.get('openai-sdk-pplx')!;
    const completion = (await client.chat.completions.create({
      model: 'sonar-pro',
      messages: [{ role: 'user', content: 'Who won the cup?' }],
    })) as unknown as {
      citations: string[];
      search_results: { url: string; title: string }[];
    };
    assert.equal(completion.citations.length, 3);
    assert.deepEqual(
      completion.search_results.map((result) => result.url),
      completion.citations,
    );

    const stream = await client.chat.completions.create({
      model: 'sonar-pro',
      messages: [{ role: 'user', content: 'Who won the cup?' }],
      stream: true,
    });
    let streamedCitations: string[] = [];
    for await (const chunk of stream) {
      const extra = chunk as unknown as { citations?: string[] };
      if (extra.citations) streamedCitations = extra.citations;
    }
    assert.deepEqual(streamedCitations, completion.citations);
  });

  it('sonar-reasoning answers start with a <think> section', async () => {
    const completion = await clients
      .get('openai-sdk-pplx')!
      .chat.completions.create({ model: 'sonar-reasoning', messages: [{ role: 'user', content: 'Why?' }] });
    assert.match(
      completion.choices[0]?.message.content ?? '',
      /^<think>.+<\/think>\n\nSimulated Perplexity reply to: Why\?/s,
    );
  });

  it('unknown models get the provider-specific not-found answer', async () => {
    await assert.rejects(
      clients
        .get('openai-sdk-openai')!
        .chat.completions.create({ model: 'gpt-unknown', messages: [{ role: 'user', content: 'hi' }] }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.NotFoundError);
        assert.equal(error.code, 'model_not_found');
        return true;
      },
    );
    await assert.rejects(
      clients
        .get('openai-sdk-zai')!
        .chat.completions.create({ model: 'glm-unknown', messages: [{ role: 'user', content: 'hi' }] }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.equal(error.code, '1211');
        return true;
      },
    );
  });

  it('the OpenAI models endpoint lists the instance models', async () => {
    const page = await clients.get('openai-sdk-openai')!.models.list();
    assert.deepEqual(
      page.data.map((model) => model.id),
      ['gpt-4o', 'gpt-4o-mini'],
    );
  });
});
