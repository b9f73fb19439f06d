import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClientIdentity, NO_LIMITS } from '@switchboard/fleet';
import type { RouteDecision } from '../policy/router.js';
import { applyAllowList, matchesPattern, ModelNotAllowedError } from './key-allow-list.js';

const key = (allowedModels: string[], allowedProviders: string[] = []): ClientIdentity => ({
  id: 'key',
  name: 'key',
  ...NO_LIMITS,
  allowedModels,
  allowedProviders,
  expiresAt: null,
});

function decision(requested: string, mode: RouteDecision['mode'], pools: string[]): RouteDecision {
  return {
    requested,
    mode,
    candidates: pools.map((pool) => {
      const [provider, model] = pool.split('/') as ['openai', string];
      return { provider, model, pool, reason: 'spec' };
    }),
    reasons: [],
    features: {} as RouteDecision['features'],
  };
}

describe('matchesPattern', () => {
  it('matches globs whole, with * for any run of characters', () => {
    assert.ok(matchesPattern('gpt-4o*', 'gpt-4o-mini'));
    assert.ok(matchesPattern('openai/*', 'openai/gpt-4o'));
    assert.ok(matchesPattern('*', 'anything'));
    assert.ok(!matchesPattern('gpt-4o', 'gpt-4o-mini'));
    assert.ok(!matchesPattern('gpt.4o', 'gpt-4o'), 'a dot is a dot, not any character');
  });
});

describe('applyAllowList', () => {
  it('leaves the route alone for a key without lists', () => {
    const route = decision('gpt-4o', 'model', ['openai/gpt-4o']);
    assert.equal(applyAllowList(key([]), route), route);
  });

  it('drops fallbacks the key may not use and keeps the order of the rest', () => {
    const route = decision('gpt-4o', 'model', ['openai/gpt-4o', 'claude/claude-sonnet-4-6', 'zai/glm-4.6']);
    const allowed = applyAllowList(key(['gpt-4o', 'glm-*']), route);
    assert.deepEqual(
      allowed.candidates.map((candidate) => candidate.pool),
      ['openai/gpt-4o', 'zai/glm-4.6'],
    );
  });

  it('refuses a named model outside the list even when a fallback is allowed, naming it', () => {
    const route = decision('gpt-4o', 'model', ['openai/gpt-4o', 'claude/claude-sonnet-4-6']);
    assert.throws(
      () => applyAllowList(key(['claude-*']), route),
      (error: unknown) => error instanceof ModelNotAllowedError && /'gpt-4o'/.test(error.message),
    );
  });

  it('checks providers, and serves auto from whatever the key may use', () => {
    const route = decision('auto', 'auto', ['openai/gpt-4o', 'zai/glm-4.6']);
    assert.deepEqual(
      applyAllowList(key([], ['zai']), route).candidates.map((candidate) => candidate.pool),
      ['zai/glm-4.6'],
    );
    assert.throws(() => applyAllowList(key([], ['perplexity']), route), ModelNotAllowedError);
  });

  it('allows model names holding a "/" in model and explicit mode', () => {
    const candidate = (provider: string, model: string) => ({
      provider: provider as 'openai',
      model,
      pool: `${provider}/${model}`,
      reason: 'spec',
    });
    const byModel: RouteDecision = {
      ...decision('meta-llama/Llama-3.1-8B', 'model', []),
      candidates: [candidate('vllm', 'meta-llama/Llama-3.1-8B')],
    };
    assert.deepEqual(applyAllowList(key(['*']), byModel).candidates, byModel.candidates);
    assert.deepEqual(applyAllowList(key(['meta-llama/*']), byModel).candidates, byModel.candidates);
    assert.throws(() => applyAllowList(key(['qwen/*']), byModel), ModelNotAllowedError);
    const explicit: RouteDecision = {
      ...decision('vllm/meta-llama/Llama-3.1-8B', 'explicit', []),
      candidates: [candidate('vllm', 'meta-llama/Llama-3.1-8B'), candidate('openai', 'gpt-4o')],
    };
    assert.deepEqual(
      applyAllowList(key(['meta-llama/Llama-3.1-8B']), explicit).candidates.map((entry) => entry.pool),
      ['vllm/meta-llama/Llama-3.1-8B'],
    );
    assert.throws(
      () => applyAllowList(key(['gpt-4o']), explicit),
      ModelNotAllowedError,
      'a fallback is not the named pool',
    );
  });
});
