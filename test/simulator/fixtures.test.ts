// The documented fixtures are well-formed, and the simulator's answers have their shape:
// every field a fixture shows is present in the simulator's answer with the same JSON type,
// error kinds render the documented status, type and code, and Claude streams send the
// documented event sequence.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { repoRoot } from '../support/paths.js';

const FIXTURES = join(repoRoot, 'test/fixtures/providers');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function fixture(path: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as unknown;
}

interface SseEvent {
  event?: string;
  data: string;
}

/** Parses an SSE transcript strictly: only `event:` and `data:` lines, one data line per event. */
function parseSseStrict(text: string): SseEvent[] {
  assert.ok(text.endsWith('\n\n'), 'a transcript ends with a blank line');
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const event: SseEvent = { data: '' };
      let dataLines = 0;
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) {
          event.data = line.slice(6);
          dataLines++;
        } else assert.fail(`unexpected SSE line: ${JSON.stringify(line)}`);
      }
      assert.equal(dataLines, 1, `one data line per event: ${block}`);
      return event;
    });
}

/** Key paths with the JSON type found there; arrays contribute their elements under `[]`. */
function shape(value: unknown, path = '$', into = new Map<string, string>()): Map<string, string> {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  into.set(path, type);
  if (Array.isArray(value)) for (const item of value) shape(item, `${path}[]`, into);
  else if (type === 'object')
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) shape(item, `${path}.${key}`, into);
  return into;
}

/** Every path of the documented value exists in the actual value with the same type (null matches anything). */
function assertHasShapeOf(actual: unknown, documented: unknown, what: string): void {
  const actualShape = shape(actual);
  for (const [path, type] of shape(documented)) {
    assert.ok(actualShape.has(path), `${what}: ${path} is missing`);
    const actualType = actualShape.get(path);
    if (type !== 'null' && actualType !== 'null') assert.equal(actualType, type, `${what}: ${path} should be ${type}`);
  }
}

function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

describe('provider fixtures', () => {
  const files = filesUnder(FIXTURES).filter((path) => !path.endsWith('README.md'));

  it('exist for every provider', () => {
    for (const provider of ['openai', 'claude', 'zai', 'perplexity']) {
      assert.ok(
        files.some((path) => relative(FIXTURES, path).startsWith(`${provider}/`)),
        provider,
      );
    }
  });

  for (const path of files) {
    const name = relative(FIXTURES, path);
    it(`${name} is well-formed`, () => {
      const text = readFileSync(path, 'utf8');
      if (name.endsWith('.json')) {
        const value = JSON.parse(text) as unknown;
        if (name.includes('/errors/')) {
          const status = at(value, 'status');
          assert.ok(
            typeof status === 'number' && status >= 400 && status <= 599,
            'an error fixture has its HTTP status',
          );
          assert.ok(name.split('/').at(-1)!.startsWith(`${status}-`), 'the file name starts with the status');
          assert.equal(typeof at(value, 'body'), 'object');
          const headers = at(value, 'headers');
          if (headers !== undefined)
            assert.ok(Object.values(headers as object).every((header) => typeof header === 'string'));
        }
      } else if (name.endsWith('.sse')) {
        const events = parseSseStrict(text);
        assert.ok(events.length > 1);
        for (const event of events) {
          if (event.data === '[DONE]') continue;
          const payload = JSON.parse(event.data) as unknown;
          // Named events carry their name as the payload's type (the Anthropic convention).
          if (event.event !== undefined) assert.equal(at(payload, 'type'), event.event);
        }
      } else {
        assert.fail(`unexpected fixture file type: ${name}`);
      }
    });
  }
});

describe('simulator answers match the fixtures', () => {
  let simulator: ProviderSimulator;
  const origins = new Map<string, string>();

  before(async () => {
    simulator = await ProviderSimulator.start({ controlPort: 0 });
    for (const provider of ['openai', 'claude', 'zai', 'perplexity']) {
      const view = await simulator.addInstance({ id: `fixtures-${provider}`, provider, apiKey: 'sk-fixture' });
      origins.set(provider, `http://127.0.0.1:${view.port}`);
    }
  });

  after(async () => {
    await simulator?.stop();
  });

  const AUTH: Record<string, Record<string, string>> = {
    openai: { authorization: 'Bearer sk-fixture' },
    zai: { authorization: 'Bearer sk-fixture' },
    perplexity: { authorization: 'Bearer sk-fixture' },
    claude: { 'x-api-key': 'sk-fixture', 'anthropic-version': '2023-06-01' },
  };
  const CHAT_PATH: Record<string, string> = {
    openai: '/v1/chat/completions',
    zai: '/api/paas/v4/chat/completions',
    perplexity: '/chat/completions',
    claude: '/v1/messages',
  };

  const send = async (provider: string, body: unknown, headers: Record<string, string> = AUTH[provider]!) => {
    const response = await fetch(`${origins.get(provider)}${CHAT_PATH[provider]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  };

  const responsePairs: [string, string, string][] = [
    ['openai', 'openai/chat-request.json', 'openai/chat-response.json'],
    ['openai', 'openai/tool-call-request.json', 'openai/tool-call-response.json'],
    ['claude', 'claude/messages-request.json', 'claude/messages-response.json'],
    ['claude', 'claude/tool-use-request.json', 'claude/tool-use-response.json'],
    ['zai', 'zai/chat-request.json', 'zai/chat-response.json'],
    ['zai', 'zai/tool-call-request.json', 'zai/tool-call-response.json'],
    ['perplexity', 'perplexity/chat-request.json', 'perplexity/chat-response.json'],
  ];
  for (const [provider, request, response] of responsePairs) {
    it(`${request} gets an answer shaped like ${response}`, async () => {
      const answer = await send(provider, fixture(request));
      assert.equal(answer.status, 200, answer.text);
      assertHasShapeOf(JSON.parse(answer.text), fixture(response), response);
    });
  }

  it('zai thinking answers are shaped like the thinking fixtures, streamed and not', async () => {
    const request = fixture('zai/thinking-request.json') as Record<string, unknown>;
    const plain = await send('zai', { ...request, stream: false });
    assertHasShapeOf(JSON.parse(plain.text), fixture('zai/thinking-response.json'), 'zai/thinking-response.json');
    const streamed = parseSseStrict((await send('zai', request)).text);
    const documented = parseSseStrict(readFileSync(join(FIXTURES, 'zai/thinking-stream.sse'), 'utf8'));
    assert.equal(streamed.at(-1)?.data, '[DONE]');
    // The first chunk opens the reasoning; the last JSON chunk carries finish_reason and usage.
    assertHasShapeOf(JSON.parse(streamed[0]!.data), JSON.parse(documented[0]!.data), 'first thinking chunk');
    assertHasShapeOf(JSON.parse(streamed.at(-2)!.data), JSON.parse(documented.at(-2)!.data), 'last thinking chunk');
  });

  const streamPairs: [string, string, string][] = [
    ['openai', 'openai/chat-stream-request.json', 'openai/chat-stream.sse'],
    ['zai', 'zai/chat-request.json', 'zai/chat-stream.sse'],
    ['perplexity', 'perplexity/chat-request.json', 'perplexity/chat-stream.sse'],
  ];
  for (const [provider, request, transcript] of streamPairs) {
    it(`${provider} streams are shaped like ${transcript}`, async () => {
      const streamed = parseSseStrict((await send(provider, { ...(fixture(request) as object), stream: true })).text);
      const documented = parseSseStrict(readFileSync(join(FIXTURES, transcript), 'utf8'));
      assert.equal(streamed.at(-1)?.data, '[DONE]');
      assertHasShapeOf(JSON.parse(streamed[0]!.data), JSON.parse(documented[0]!.data), `${transcript} first chunk`);
      assertHasShapeOf(
        JSON.parse(streamed.at(-2)!.data),
        JSON.parse(documented.at(-2)!.data),
        `${transcript} last chunk`,
      );
    });
  }

  for (const [request, transcript] of [
    ['claude/messages-request.json', 'claude/messages-stream.sse'],
    ['claude/tool-use-request.json', 'claude/tool-use-stream.sse'],
  ] as const) {
    it(`claude streams send the event sequence of ${transcript}`, async () => {
      const collapse = (events: SseEvent[]) =>
        events.map((event) => event.event).filter((name, index, names) => name !== names[index - 1]);
      const streamed = parseSseStrict((await send('claude', { ...(fixture(request) as object), stream: true })).text);
      const documented = parseSseStrict(readFileSync(join(FIXTURES, transcript), 'utf8'));
      assert.deepEqual(collapse(streamed), collapse(documented));
      documented.forEach((event, index) => {
        const mine = streamed.find((candidate) => candidate.event === event.event);
        assert.ok(mine, `${event.event} #${index}`);
        assertHasShapeOf(JSON.parse(mine.data), JSON.parse(event.data), `${transcript} ${event.event}`);
      });
    });
  }

  it('models endpoints are shaped like the fixtures', async () => {
    const openai = await fetch(`${origins.get('openai')}/v1/models`, { headers: AUTH.openai! });
    assertHasShapeOf(await openai.json(), fixture('openai/models-response.json'), 'openai/models-response.json');
    const claude = await fetch(`${origins.get('claude')}/v1/models`, { headers: AUTH.claude! });
    assertHasShapeOf(await claude.json(), fixture('claude/models-response.json'), 'claude/models-response.json');
  });

  // Which fixture each injected error kind must reproduce, and the fields that identify it.
  const ERROR_CASES: {
    provider: string;
    knob: Record<string, unknown>;
    file: string;
    identity: (string | number)[][];
  }[] = [
    ...(
      [
        ['auth', '401-invalid-api-key'],
        ['permission', '403-unsupported-region'],
        ['bad_request', '400-invalid-request'],
        ['context_length', '400-context-length-exceeded'],
        ['rate_limit', '429-rate-limit'],
        ['quota', '429-insufficient-quota'],
        ['overloaded', '503-overloaded'],
        ['server', '500-server-error'],
      ] as const
    ).map(([kind, file]) => ({
      provider: 'openai',
      knob: { kind },
      file: `openai/errors/${file}.json`,
      identity: [
        ['error', 'type'],
        ['error', 'code'],
      ],
    })),
    ...(
      [
        [{ kind: 'auth' }, '401-authentication'],
        [{ kind: 'permission' }, '403-permission'],
        [{ kind: 'bad_request' }, '400-invalid-request'],
        [{ kind: 'context_length' }, '400-context-length'],
        [{ kind: 'rate_limit' }, '429-rate-limit'],
        [{ kind: 'quota' }, '400-spend-limit'],
        [{ kind: 'quota', status: 402 }, '402-billing'],
        [{ kind: 'quota', status: 429 }, '429-spend-cap'],
        [{ kind: 'overloaded' }, '529-overloaded'],
        [{ kind: 'server' }, '500-api-error'],
      ] as const
    ).map(([knob, file]) => ({
      provider: 'claude',
      knob,
      file: `claude/errors/${file}.json`,
      identity: [['type'], ['error', 'type'], ['error', 'details', 'error_code']],
    })),
    ...(
      [
        ['auth', '401-token-invalid'],
        ['permission', '403-no-permission'],
        ['bad_request', '400-invalid-parameter'],
        ['context_length', '400-prompt-too-long'],
        ['rate_limit', '429-high-concurrency'],
        ['quota', '429-account-in-arrears'],
        ['overloaded', '503-overloaded'],
        ['server', '500-internal-error'],
      ] as const
    ).map(([kind, file]) => ({
      provider: 'zai',
      knob: { kind },
      file: `zai/errors/${file}.json`,
      identity: [['error', 'code']],
    })),
    ...(
      [
        ['auth', '401-authentication'],
        ['permission', '403-permission'],
        ['bad_request', '400-invalid-message'],
        ['rate_limit', '429-rate-limit'],
        ['server', '500-internal-server-error'],
      ] as const
    ).map(([kind, file]) => ({
      provider: 'perplexity',
      knob: { kind },
      file: `perplexity/errors/${file}.json`,
      identity: [
        ['error', 'type'],
        ['error', 'code'],
      ],
    })),
  ];

  for (const errorCase of ERROR_CASES) {
    it(`${errorCase.provider} error ${JSON.stringify(errorCase.knob)} renders like ${errorCase.file}`, async () => {
      const documented = fixture(errorCase.file) as { status: number; body: unknown };
      await simulator.updateKnobs(`fixtures-${errorCase.provider}`, { error: errorCase.knob });
      try {
        const request = {
          claude: 'claude/messages-request.json',
          openai: 'openai/chat-request.json',
          zai: 'zai/chat-request.json',
          perplexity: 'perplexity/chat-request.json',
        }[errorCase.provider]!;
        const answer = await send(errorCase.provider, fixture(request));
        assert.equal(answer.status, documented.status);
        const body = JSON.parse(answer.text) as unknown;
        assertHasShapeOf(body, documented.body, errorCase.file);
        for (const path of errorCase.identity)
          assert.deepEqual(at(body, ...path), at(documented.body, ...path), `${path.join('.')}`);
      } finally {
        await simulator.updateKnobs(`fixtures-${errorCase.provider}`, { error: null });
      }
    });
  }

  it('spontaneous errors match their fixtures too', async () => {
    const cases: {
      provider: string;
      body: unknown;
      headers?: Record<string, string>;
      file: string;
      identity: (string | number)[];
    }[] = [
      {
        provider: 'openai',
        body: fixture('openai/chat-request.json'),
        headers: {},
        file: 'openai/errors/401-missing-api-key.json',
        identity: ['error', 'type'],
      },
      {
        provider: 'openai',
        body: { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] },
        file: 'openai/errors/404-model-not-found.json',
        identity: ['error', 'code'],
      },
      {
        provider: 'zai',
        body: fixture('zai/chat-request.json'),
        headers: {},
        file: 'zai/errors/401-token-missing.json',
        identity: ['error', 'code'],
      },
      {
        provider: 'zai',
        body: { model: 'glm-9', messages: [{ role: 'user', content: 'x' }] },
        file: 'zai/errors/400-model-not-found.json',
        identity: ['error', 'code'],
      },
      {
        provider: 'claude',
        body: { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'x' }] },
        file: 'claude/errors/400-invalid-request.json',
        identity: ['error', 'message'],
      },
      {
        provider: 'claude',
        body: { model: 'claude-nonexistent', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        file: 'claude/errors/404-not-found.json',
        identity: ['error', 'message'],
      },
      {
        provider: 'perplexity',
        body: { model: 'sonar-huge', messages: [{ role: 'user', content: 'x' }] },
        file: 'perplexity/errors/400-invalid-model.json',
        identity: ['error', 'message'],
      },
    ];
    for (const testCase of cases) {
      const documented = fixture(testCase.file) as { status: number; body: unknown };
      const answer = await send(testCase.provider, testCase.body, testCase.headers ?? AUTH[testCase.provider]!);
      assert.equal(answer.status, documented.status, testCase.file);
      const body = JSON.parse(answer.text) as unknown;
      assertHasShapeOf(body, documented.body, testCase.file);
      assert.deepEqual(at(body, ...testCase.identity), at(documented.body, ...testCase.identity), testCase.file);
    }
  });
});
