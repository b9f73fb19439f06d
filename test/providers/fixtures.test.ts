import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  adapterFor,
  ProviderError,
  type ProviderErrorKind,
  type ProviderName,
  SseParser,
} from '@switchboard/providers';
import { repoRoot } from '../support/paths.js';
import { StreamAssembler } from '../support/stream-assembler.js';

const fixtures = join(repoRoot, 'test/fixtures/providers');
const PROVIDER_DIRS: Record<string, ProviderName> = {
  openai: 'openai',
  claude: 'claude',
  zai: 'zai',
  perplexity: 'perplexity',
};

/** What each documented error body must map to. */
const EXPECTED_KIND: Record<string, ProviderErrorKind> = {
  'openai/400-context-length-exceeded': 'context_length',
  'openai/400-invalid-request': 'bad_request',
  'openai/401-invalid-api-key': 'auth',
  'openai/401-missing-api-key': 'auth',
  'openai/403-unsupported-region': 'permission',
  'openai/404-model-not-found': 'not_found',
  'openai/429-insufficient-quota': 'quota_exhausted',
  'openai/429-rate-limit': 'rate_limited',
  'openai/500-server-error': 'server_error',
  'openai/503-overloaded': 'overloaded',
  'claude/400-context-length': 'context_length',
  'claude/400-invalid-request': 'bad_request',
  'claude/400-spend-limit': 'quota_exhausted',
  'claude/401-authentication': 'auth',
  'claude/402-billing': 'quota_exhausted',
  'claude/403-permission': 'permission',
  'claude/404-not-found': 'not_found',
  'claude/429-rate-limit': 'rate_limited',
  'claude/429-spend-cap': 'quota_exhausted',
  'claude/500-api-error': 'server_error',
  'claude/529-overloaded': 'overloaded',
  'zai/400-invalid-parameter': 'bad_request',
  'zai/400-model-not-found': 'not_found',
  'zai/400-prompt-too-long': 'context_length',
  'zai/401-token-invalid': 'auth',
  'zai/401-token-missing': 'auth',
  'zai/403-no-permission': 'permission',
  'zai/429-account-in-arrears': 'quota_exhausted',
  'zai/429-high-concurrency': 'rate_limited',
  'zai/429-rate-limit': 'rate_limited',
  'zai/500-internal-error': 'server_error',
  'zai/503-overloaded': 'overloaded',
  'perplexity/400-invalid-message': 'bad_request',
  'perplexity/400-invalid-model': 'bad_request',
  'perplexity/401-authentication': 'auth',
  'perplexity/403-permission': 'permission',
  'perplexity/429-rate-limit': 'rate_limited',
  'perplexity/500-internal-server-error': 'server_error',
};

const read = (...parts: string[]) => readFileSync(join(fixtures, ...parts), 'utf8');

describe('documented provider fixtures parse with the adapters', () => {
  for (const [dir, provider] of Object.entries(PROVIDER_DIRS)) {
    const adapter = adapterFor(provider);
    const files = readdirSync(join(fixtures, dir));

    for (const file of files.filter((name) => name.endsWith('-response.json') && !name.startsWith('models'))) {
      it(`${dir}/${file}: a documented response reads into a normalised answer`, () => {
        const answer = adapter.parseChatResponse(JSON.parse(read(dir, file)));
        assert.ok(answer.message.content || answer.message.toolCalls?.length, 'text or tool calls');
        assert.ok(answer.usage && answer.usage.totalTokens > 0, 'usage');
        if (answer.message.toolCalls)
          for (const call of answer.message.toolCalls) assert.equal(typeof JSON.parse(call.arguments), 'object');
        if (provider === 'perplexity') assert.ok(answer.citations?.length, 'citations');
        if (file.startsWith('thinking')) assert.ok(answer.message.reasoningContent, 'reasoning content');
      });
    }

    for (const file of files.filter((name) => name.endsWith('.sse'))) {
      it(`${dir}/${file}: a documented stream transcript reads event by event`, () => {
        const state = adapter.newStreamState();
        const assembler = new StreamAssembler(provider);
        const run = () => {
          for (const event of new SseParser().push(read(dir, file)))
            for (const parsed of adapter.parseStreamEvent(event, state)) assembler.add(parsed);
          for (const parsed of adapter.finishStream(state)) assembler.add(parsed);
        };
        if (file.includes('error')) {
          assert.throws(run, (error: unknown) => error instanceof ProviderError && error.retryable);
          return;
        }
        run();
        assert.ok(assembler.complete, 'the transcript ends properly');
        const answer = assembler.result();
        assert.ok(answer.message.content || answer.message.toolCalls?.length);
        if (file.startsWith('thinking')) assert.ok(answer.message.reasoningContent);
        if (file.includes('tool')) assert.equal(answer.finishReason, 'tool_calls');
      });
    }

    for (const file of readdirSync(join(fixtures, dir, 'errors'))) {
      const key = `${dir}/${file.replace(/\.json$/, '')}`;
      it(`${key}: maps to ${EXPECTED_KIND[key]}`, () => {
        const fixture = JSON.parse(read(dir, 'errors', file)) as {
          status: number;
          headers?: Record<string, string>;
          body: unknown;
        };
        assert.ok(EXPECTED_KIND[key], `no expectation written for ${key}`);
        const error = adapter.parseError(fixture.status, fixture.headers ?? {}, JSON.stringify(fixture.body));
        assert.equal(error.kind, EXPECTED_KIND[key]);
        if (fixture.headers?.['retry-after'])
          assert.equal(error.retryAfterMs, Number(fixture.headers['retry-after']) * 1000);
      });
    }
  }
});
