import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  adapterFor,
  type ChatRequest,
  ProviderClient,
  ProviderError,
  type ProviderErrorKind,
  type ProviderName,
  type StreamEvent,
} from '@switchboard/providers';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { StreamAssembler } from '../support/stream-assembler.js';

const PROVIDERS: { provider: ProviderName; model: string; tools: boolean }[] = [
  { provider: 'openai', model: 'gpt-4o-mini', tools: true },
  { provider: 'claude', model: 'claude-sonnet-4-5', tools: true },
  { provider: 'zai', model: 'glm-4.6', tools: true },
  { provider: 'perplexity', model: 'sonar', tools: false },
  { provider: 'openai_compatible', model: 'llama-3.1-8b', tools: true },
];

const API_KEY = 'sim-key-0123456789';

const ask = (model: string, text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model,
  stream: false,
  messages: [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content: text },
  ],
  ...extra,
});

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function expectProviderError(
  promise: Promise<unknown>,
  kind: ProviderErrorKind,
  check?: (error: ProviderError) => void,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    check?.(error);
    return true;
  });
}

describe('provider adapters against the provider simulator', () => {
  let simulator: ProviderSimulator;
  const client = new ProviderClient();
  const targets = new Map<ProviderName, { baseUrl: string; apiKey: string }>();

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    for (const { provider, model } of PROVIDERS) {
      const instance = await simulator.addInstance({ id: `${provider}-1`, provider, apiKey: API_KEY, models: [model] });
      targets.set(provider, { baseUrl: instance.baseUrl, apiKey: API_KEY });
    }
  });

  after(async () => {
    await client.close();
    await simulator?.stop();
  });

  for (const { provider, model, tools } of PROVIDERS) {
    describe(provider, () => {
      const adapter = adapterFor(provider);
      const target = () => targets.get(provider)!;

      it('answers a chat, and the stream assembles into the same text, finish reason and usage', async () => {
        const request = ask(model, 'Tell me about the sea and ships', { includeUsage: true });
        const whole = await client.chat(adapter, target(), request);
        assert.ok(whole.message.content && whole.message.content.length > 10, 'some text');
        assert.equal(whole.finishReason, 'stop');
        assert.ok(whole.usage && whole.usage.promptTokens > 0 && whole.usage.completionTokens > 0);
        assert.equal(whole.usage.totalTokens, whole.usage.promptTokens + whole.usage.completionTokens);
        // Only upstreams whose answer already is an OpenAI chat completion keep their own body.
        const passesThrough = provider === 'openai' || provider === 'openai_compatible';
        assert.equal(whole.openAIBody !== undefined, passesThrough);
        if (whole.openAIBody !== undefined) {
          const own = JSON.parse(whole.openAIBody) as { choices: { message: { content: string } }[] };
          assert.equal(own.choices[0]!.message.content, whole.message.content);
        }

        const events = await collect(client.stream(adapter, target(), { ...request, stream: true }));
        assert.equal(events[0]?.type, 'start');
        assert.equal(events.at(-1)?.type, 'end');
        assert.ok(events.filter((event) => event.type === 'text').length > 1, 'the text came in several chunks');
        const assembler = new StreamAssembler(provider);
        for (const event of events) assembler.add(event);
        const streamed = assembler.result();
        assert.equal(streamed.message.content, whole.message.content);
        assert.equal(streamed.finishReason, whole.finishReason);
        assert.deepEqual(streamed.usage, whole.usage);
        if (provider === 'perplexity') {
          assert.ok(whole.citations?.length, 'Perplexity answers carry citations');
          assert.deepEqual(streamed.citations, whole.citations);
        }
      });

      it('reports a max_tokens cut as finish reason length', async () => {
        const whole = await client.chat(adapter, target(), ask(model, 'Tell me a long story', { maxTokens: 3 }));
        assert.equal(whole.finishReason, 'length');
        assert.ok(whole.usage!.completionTokens <= 3);
      });

      if (tools) {
        it('returns tool calls, whole and streamed', async () => {
          const request = ask(model, 'What is the weather in Paris?', {
            tools: [
              {
                name: 'get_weather',
                description: 'Weather for a city',
                parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
              },
            ],
          });
          const whole = await client.chat(adapter, target(), request);
          assert.equal(whole.finishReason, 'tool_calls');
          const call = whole.message.toolCalls?.[0];
          assert.equal(call?.name, 'get_weather');
          assert.equal(typeof JSON.parse(call!.arguments), 'object');
          const assembler = new StreamAssembler(provider);
          for (const event of await collect(client.stream(adapter, target(), { ...request, stream: true })))
            assembler.add(event);
          const streamed = assembler.result();
          assert.equal(streamed.finishReason, 'tool_calls');
          assert.equal(streamed.message.toolCalls?.[0]?.name, 'get_weather');
          assert.deepEqual(JSON.parse(streamed.message.toolCalls![0]!.arguments), JSON.parse(call!.arguments));
        });
      }

      it('passes its health probe, and fails it with a bad key', async () => {
        const result = await client.probe(adapter, target());
        assert.ok(adapter.probeAccepts(result.status));
        await expectProviderError(client.probe(adapter, { ...target(), apiKey: 'wrong-key-000000' }), 'auth');
      });

      const errorCases: { knob: string; kind: ProviderErrorKind; retryable: boolean }[] = [
        { knob: 'auth', kind: 'auth', retryable: true },
        { knob: 'permission', kind: 'permission', retryable: true },
        { knob: 'bad_request', kind: 'bad_request', retryable: false },
        { knob: 'context_length', kind: 'context_length', retryable: false },
        { knob: 'rate_limit', kind: 'rate_limited', retryable: true },
        { knob: 'quota', kind: 'quota_exhausted', retryable: true },
        { knob: 'overloaded', kind: 'overloaded', retryable: true },
        { knob: 'server', kind: 'server_error', retryable: true },
      ];
      for (const { knob, kind, retryable } of errorCases) {
        it(`maps a simulated ${knob} error to ${kind} (retryable: ${retryable}), whole and streamed`, async () => {
          await simulator.updateKnobs(`${provider}-1`, {
            error: { kind: knob, ...(knob === 'rate_limit' ? { retryAfterSeconds: 4 } : {}) },
          });
          try {
            const check = (error: ProviderError) => {
              assert.equal(error.retryable, retryable);
              assert.equal(error.provider, provider);
              if (knob === 'rate_limit') assert.equal(error.retryAfterMs, 4000);
            };
            await expectProviderError(client.chat(adapter, target(), ask(model, 'hello')), kind, check);
            await expectProviderError(
              collect(client.stream(adapter, target(), ask(model, 'hello', { stream: true }))),
              kind,
              check,
            );
          } finally {
            await simulator.updateKnobs(`${provider}-1`, { error: null });
          }
        });
      }
    });
  }

  describe('transport failures (OpenAI and Claude wire formats)', () => {
    for (const provider of ['openai', 'claude'] as const) {
      const adapter = adapterFor(provider);
      const model = PROVIDERS.find((entry) => entry.provider === provider)!.model;
      const id = `${provider}-1`;
      const withKnobs = async (knobs: Record<string, unknown>, run: () => Promise<void>) => {
        await simulator.updateKnobs(id, knobs);
        try {
          await run();
        } finally {
          await simulator.reset(id);
        }
      };

      it(`${provider}: refused connections are a retryable network error`, () =>
        withKnobs({ refuseConnections: true }, () =>
          expectProviderError(client.chat(adapter, targets.get(provider)!, ask(model, 'hi')), 'network', (error) =>
            assert.equal(error.retryable, true),
          ),
        ));

      it(`${provider}: a hang before the headers times out the whole call`, () =>
        withKnobs({ hangBeforeHeaders: true }, () =>
          expectProviderError(
            client.chat(adapter, targets.get(provider)!, ask(model, 'hi'), { timeoutMs: 300 }),
            'timeout',
            (error) => assert.match(error.message, /within 300 ms/),
          ),
        ));

      it(`${provider}: the caller's abort stops a waiting non-stream call and is not blamed on the provider`, () =>
        withKnobs({ hangBeforeHeaders: true }, async () => {
          const controller = new AbortController();
          setTimeout(() => controller.abort(new Error('client went away')), 100);
          const started = performance.now();
          await assert.rejects(
            client.chat(adapter, targets.get(provider)!, ask(model, 'hi'), {
              signal: controller.signal,
              timeoutMs: 30_000,
            }),
            (error: unknown) => !(error instanceof ProviderError) && (error as Error).message === 'client went away',
          );
          assert.ok(performance.now() - started < 10_000, 'the abort ended the call, not its 30 s timeout');
          await assert.rejects(
            client.chat(adapter, targets.get(provider)!, ask(model, 'hi'), { signal: controller.signal }),
            (error: unknown) => (error as Error).message === 'client went away',
            'a call made with an aborted signal is refused at once',
          );
        }));

      it(`${provider}: a missing first token times out`, () =>
        withKnobs({ ttftMs: 1_000 }, () =>
          expectProviderError(
            collect(
              client.stream(adapter, targets.get(provider)!, ask(model, 'hi', { stream: true }), {
                firstTokenTimeoutMs: 250,
              }),
            ),
            'timeout',
            (error) => assert.match(error.message, /no first token within 250 ms/),
          ),
        ));

      it(`${provider}: a stream that stalls mid-way hits the idle timeout`, () =>
        withKnobs({ stallAfterChunks: 6 }, async () => {
          const seen: StreamEvent[] = [];
          await expectProviderError(
            (async () => {
              for await (const event of client.stream(
                adapter,
                targets.get(provider)!,
                ask(model, 'hi', { stream: true }),
                { idleTimeoutMs: 300, firstTokenTimeoutMs: 2_000 },
              ))
                seen.push(event);
            })(),
            'timeout',
            (error) => assert.match(error.message, /idle for 300 ms/),
          );
          assert.ok(
            seen.some((event) => event.type === 'text'),
            'some text came before the stall',
          );
        }));

      it(`${provider}: a stream cut off without its end is a stream_cut, never a clean end`, () =>
        withKnobs({ cutAfterChunks: 3 }, async () => {
          const seen: StreamEvent[] = [];
          await expectProviderError(
            (async () => {
              for await (const event of client.stream(
                adapter,
                targets.get(provider)!,
                ask(model, 'hi', { stream: true }),
              ))
                seen.push(event);
            })(),
            'stream_cut',
          );
          assert.ok(!seen.some((event) => event.type === 'end'));
        }));

      it(`${provider}: a malformed chunk is a malformed_upstream error`, () =>
        withKnobs({ malformedChunkAt: 2 }, () =>
          expectProviderError(
            collect(client.stream(adapter, targets.get(provider)!, ask(model, 'hi', { stream: true }))),
            'malformed_upstream',
          ),
        ));

      it(`${provider}: a slow consumer is not mistaken for an idle upstream`, async () => {
        let texts = 0;
        for await (const event of client.stream(adapter, targets.get(provider)!, ask(model, 'hi', { stream: true }), {
          idleTimeoutMs: 150,
        })) {
          if (event.type === 'text' && ++texts <= 3) await new Promise((resolve) => setTimeout(resolve, 300));
        }
        assert.ok(texts > 3, 'the whole answer arrived although the consumer paused longer than the idle timeout');
      });

      it(`${provider}: the caller's abort stops the stream and is not blamed on the provider`, () =>
        withKnobs({ tokensPerSecond: 20 }, async () => {
          const controller = new AbortController();
          let texts = 0;
          await assert.rejects(
            (async () => {
              for await (const event of client.stream(
                adapter,
                targets.get(provider)!,
                ask(model, 'hi', { stream: true }),
                { signal: controller.signal },
              )) {
                if (event.type === 'text' && ++texts === 2) controller.abort(new Error('client went away'));
              }
            })(),
            (error: unknown) => !(error instanceof ProviderError) && (error as Error).message === 'client went away',
          );
        }));
    }
  });
});
