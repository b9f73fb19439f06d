// Stream and non-stream renderings of the same request agree on text, finish reason and usage,
// for every provider, including max_tokens and stop sequences. Read over raw HTTP so that
// nothing but the wire format is compared.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';

interface Answer {
  text: string;
  finish: string;
  promptTokens: number;
  completionTokens: number;
}

interface SseEvent {
  event?: string;
  data: string;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event: SseEvent = { data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data = line.slice(6);
      }
      return event;
    });
}

type Json = Record<string, unknown>;

/** Follows a path of keys and indexes through parsed JSON; undefined when it leads nowhere. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

interface Flavour {
  provider: string;
  id: string;
  path: string;
  headers: Record<string, string>;
  body: (extra: Json) => Json;
  fromJson: (body: Json) => Answer;
  fromStream: (events: Json[]) => Answer;
}

const openAiLike = (provider: string, id: string, path: string, model: string): Flavour => ({
  provider,
  id,
  path,
  headers: { authorization: 'Bearer k' },
  body: (extra) => ({
    model,
    messages: [{ role: 'user', content: 'Compare stream and non-stream answers' }],
    stream_options: extra.stream ? { include_usage: true } : undefined,
    ...extra,
  }),
  fromJson: (body) => ({
    text: at(body, 'choices', 0, 'message', 'content') as string,
    finish: at(body, 'choices', 0, 'finish_reason') as string,
    promptTokens: at(body, 'usage', 'prompt_tokens') as number,
    completionTokens: at(body, 'usage', 'completion_tokens') as number,
  }),
  fromStream: (events) => {
    const usage = events.findLast((event) => event.usage)?.usage;
    return {
      text: events.map((event) => (at(event, 'choices', 0, 'delta', 'content') as string | undefined) ?? '').join(''),
      finish: at(
        events.findLast((event) => at(event, 'choices', 0, 'finish_reason')),
        'choices',
        0,
        'finish_reason',
      ) as string,
      promptTokens: at(usage, 'prompt_tokens') as number,
      completionTokens: at(usage, 'completion_tokens') as number,
    };
  },
});

const FLAVOURS: Flavour[] = [
  openAiLike('openai', 'consistency-openai', '/v1/chat/completions', 'gpt-4o'),
  openAiLike('openai_compatible', 'consistency-compatible', '/v1/chat/completions', 'local-model'),
  openAiLike('zai', 'consistency-zai', '/api/paas/v4/chat/completions', 'glm-4.5'),
  openAiLike('perplexity', 'consistency-pplx', '/chat/completions', 'sonar'),
  {
    provider: 'claude',
    id: 'consistency-claude',
    path: '/v1/messages',
    headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    body: (extra) => {
      const { max_tokens, stop, ...rest } = extra;
      return {
        model: 'claude-haiku-4-5',
        max_tokens: max_tokens ?? 1024,
        ...(stop ? { stop_sequences: stop } : {}),
        messages: [{ role: 'user', content: 'Compare stream and non-stream answers' }],
        ...rest,
      };
    },
    fromJson: (body) => ({
      text: (body.content as Json[]).map((block) => (block.text as string | undefined) ?? '').join(''),
      finish: body.stop_reason as string,
      promptTokens: at(body, 'usage', 'input_tokens') as number,
      completionTokens: at(body, 'usage', 'output_tokens') as number,
    }),
    fromStream: (events) => {
      const start = events.find((event) => event.type === 'message_start');
      const end = events.find((event) => event.type === 'message_delta');
      return {
        text: events
          .map((event) =>
            event.type === 'content_block_delta' ? ((at(event, 'delta', 'text') as string | undefined) ?? '') : '',
          )
          .join(''),
        finish: at(end, 'delta', 'stop_reason') as string,
        promptTokens: at(start, 'message', 'usage', 'input_tokens') as number,
        completionTokens: at(end, 'usage', 'output_tokens') as number,
      };
    },
  },
];

const CASES: { name: string; extra: Json; finish: Record<string, string> }[] = [
  { name: 'a plain request', extra: {}, finish: { claude: 'end_turn', default: 'stop' } },
  { name: 'max_tokens 7', extra: { max_tokens: 7 }, finish: { claude: 'max_tokens', default: 'length' } },
  { name: 'a stop sequence', extra: { stop: ['stream and'] }, finish: { claude: 'stop_sequence', default: 'stop' } },
];

describe('stream and non-stream agree', () => {
  let simulator: ProviderSimulator;
  const baseUrls = new Map<string, string>();

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    for (const flavour of FLAVOURS) {
      const view = await simulator.addInstance({ id: flavour.id, provider: flavour.provider });
      baseUrls.set(flavour.id, `http://127.0.0.1:${view.port}`);
    }
  });

  after(async () => {
    await simulator?.stop();
  });

  for (const flavour of FLAVOURS) {
    for (const testCase of CASES) {
      it(`${flavour.provider}: ${testCase.name}`, async () => {
        const call = (stream: boolean) =>
          fetch(`${baseUrls.get(flavour.id)}${flavour.path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...flavour.headers },
            body: JSON.stringify(flavour.body({ ...testCase.extra, stream })),
          });
        const plain = await call(false);
        assert.equal(plain.status, 200);
        const fromJson = flavour.fromJson((await plain.json()) as Json);

        const streamed = await call(true);
        assert.equal(streamed.headers.get('content-type'), 'text/event-stream; charset=utf-8');
        const events = parseSse(await streamed.text())
          .filter((event) => event.data !== '[DONE]')
          .map((event) => JSON.parse(event.data) as Json);
        const fromStream = flavour.fromStream(events);

        assert.deepEqual(fromStream, fromJson);
        assert.equal(fromJson.finish, testCase.finish[flavour.provider] ?? testCase.finish.default);
        if (testCase.extra.max_tokens) assert.equal(fromJson.completionTokens, testCase.extra.max_tokens);
        const stop = testCase.extra.stop as string[] | undefined;
        if (stop) assert.ok(!fromJson.text.includes(stop[0]!), 'the stop sequence is not in the answer');
      });
    }
  }

  it('the same request always gets the same answer; a different message gets another', async () => {
    const ask = async (content: string) => {
      const response = await fetch(`${baseUrls.get('consistency-openai')}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }] }),
      });
      const body = (await response.json()) as Json;
      return { text: at(body, 'choices', 0, 'message', 'content') as string, usage: body.usage as Json };
    };
    const first = await ask('Deterministic please');
    assert.deepEqual(await ask('Deterministic please'), first);
    const other = await ask('Something else entirely, with more words in it');
    assert.notEqual(other.text, first.text);
    // Prompt tokens follow the input length (ceil(chars / 4)).
    assert.equal(first.usage.prompt_tokens, Math.ceil('Deterministic please'.length / 4));
    assert.ok((other.usage.prompt_tokens as number) > (first.usage.prompt_tokens as number));
  });
});
