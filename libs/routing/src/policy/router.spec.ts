import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatRequest, ProviderName } from '@switchboard/providers';
import { type ModelCatalog, routeChat, UnknownModelError } from './router.js';
import { DEFAULT_ROUTING_POLICY, parseModelRef, parseRoutingPolicy, type RoutingPolicy } from './routing-policy.js';

/** A catalog serving exactly the given "provider/model" pools. */
function catalogOf(pools: readonly string[]): ModelCatalog {
  const byModel = new Map<string, ProviderName[]>();
  for (const pool of pools) {
    const { provider, model } = parseModelRef(pool)!;
    byModel.set(model, [...(byModel.get(model) ?? []), provider]);
  }
  return { providersServing: (model) => byModel.get(model) ?? [] };
}

/** Every model the provider simulator serves, at every provider. */
const everything = catalogOf([
  'openai/gpt-4o',
  'openai/gpt-4o-mini',
  'claude/claude-sonnet-4-6',
  'claude/claude-opus-4-7',
  'claude/claude-haiku-4-5',
  'zai/glm-4.6',
  'zai/glm-4.5',
  'zai/glm-4.5-air',
  'perplexity/sonar',
  'perplexity/sonar-pro',
  'perplexity/sonar-reasoning',
]);

const chat = (model: string, content = 'Say hello', extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model,
  stream: false,
  messages: [{ role: 'user', content }],
  ...extra,
});
const pools = (
  request: ChatRequest,
  catalog: ModelCatalog = everything,
  policy: RoutingPolicy = DEFAULT_ROUTING_POLICY,
  preferredProvider?: ProviderName,
) => routeChat(request, { preferredProvider }, policy, catalog).candidates.map((candidate) => candidate.pool);

test('auto: every rule of the default policy picks its tier, and a plain prompt gets the default tier', () => {
  const cases: [string, ChatRequest, string, string | undefined][] = [
    [
      'images',
      chat('auto', '', {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is the news in this picture?' },
              { type: 'image', url: 'data:image/png;base64,AAAA' },
            ],
          },
        ],
      }),
      'vision',
      'images',
    ],
    ['fresh facts', chat('auto', 'What is the latest news today about the election?'), 'search', 'fresh-facts'],
    [
      'fresh facts with tools',
      chat('auto', 'What is the latest news today?', { tools: [{ name: 'search', parameters: {} }] }),
      'tools',
      'tools',
    ],
    ['tools', chat('auto', 'Call the function', { tools: [{ name: 'f', parameters: {} }] }), 'tools', 'tools'],
    [
      'reasoning',
      chat('auto', 'Prove it', { reasoning: { enabled: true, budgetTokens: 2_000 } }),
      'reasoning',
      'reasoning',
    ],
    ['long prompt', chat('auto', 'x'.repeat(32_000 * 4)), 'long_context', 'long-prompt'],
    ['nothing special', chat('auto', 'Say hello'), 'balanced', undefined],
    ['switchboard/auto', chat('switchboard/auto', 'Say hello'), 'balanced', undefined],
  ];
  for (const [label, request, tier, rule] of cases) {
    const decision = routeChat(request, {}, DEFAULT_ROUTING_POLICY, everything);
    assert.equal(decision.mode, 'auto', label);
    assert.equal(decision.tier, tier, label);
    assert.equal(decision.rule, rule, label);
    assert.deepEqual(
      decision.candidates.map((candidate) => candidate.pool),
      DEFAULT_ROUTING_POLICY.tiers[tier]!.slice(0, DEFAULT_ROUTING_POLICY.maxCandidates),
      label,
    );
  }
});

test('auto: the search tier leads with Perplexity and says which rule chose it', () => {
  const decision = routeChat(
    chat('auto', 'What is the latest news today about the election?'),
    {},
    DEFAULT_ROUTING_POLICY,
    everything,
  );
  assert.equal(decision.candidates[0]!.provider, 'perplexity');
  assert.equal(decision.candidates[0]!.reason, "tier 'search' chosen by rule 'fresh-facts'");
  assert.equal(decision.features.needsFreshFacts, true);
  assert.equal(decision.reasons[0], "tier 'search' chosen by rule 'fresh-facts'");
});

test('auto: tier entries nobody serves are skipped with a reason; a tier nobody serves is an unknown model', () => {
  const catalog = catalogOf(['perplexity/sonar', 'claude/claude-sonnet-4-6']);
  const decision = routeChat(chat('auto', 'any news today?'), {}, DEFAULT_ROUTING_POLICY, catalog);
  assert.deepEqual(
    decision.candidates.map((candidate) => candidate.pool),
    ['perplexity/sonar', 'claude/claude-sonnet-4-6'],
  );
  assert.ok(
    decision.reasons.includes('perplexity/sonar-pro skipped: no instance serves it'),
    decision.reasons.join('\n'),
  );
  assert.ok(decision.reasons.includes('openai/gpt-4o skipped: no instance serves it'));
  assert.throws(
    () => routeChat(chat('auto'), {}, DEFAULT_ROUTING_POLICY, catalogOf(['perplexity/sonar'])),
    (error: unknown) =>
      error instanceof UnknownModelError &&
      error.model === 'auto' &&
      /tier 'balanced'/.test(error.message) &&
      /GET \/v1\/models/.test(error.message),
  );
});

test('explicit provider/model stays with its provider unless something allows a fallback', () => {
  const decision = routeChat(chat('zai/glm-4.6'), {}, DEFAULT_ROUTING_POLICY, everything);
  assert.equal(decision.mode, 'explicit');
  assert.deepEqual(
    decision.candidates.map((candidate) => candidate.pool),
    ['zai/glm-4.6'],
  );
  assert.match(decision.reasons.join('\n'), /no other provider: zai\/glm-4.6 names its provider/);
});

test('explicit provider/model with the client allowance: then the fallbacks of the model that are served', () => {
  const decision = routeChat(chat('openai/gpt-4o'), { allowFallback: true }, DEFAULT_ROUTING_POLICY, everything);
  assert.equal(decision.mode, 'explicit');
  assert.equal(decision.tier, undefined);
  assert.deepEqual(
    decision.candidates.map((candidate) => [candidate.pool, candidate.reason]),
    [
      ['openai/gpt-4o', 'requested explicitly'],
      ['claude/claude-sonnet-4-6', 'fallback for gpt-4o'],
      ['zai/glm-4.6', 'fallback for gpt-4o'],
    ],
  );
  const withoutZai = routeChat(
    chat('openai/gpt-4o'),
    { allowFallback: true },
    DEFAULT_ROUTING_POLICY,
    catalogOf(['openai/gpt-4o', 'claude/claude-sonnet-4-6']),
  );
  assert.deepEqual(
    withoutZai.candidates.map((candidate) => candidate.pool),
    ['openai/gpt-4o', 'claude/claude-sonnet-4-6'],
  );
  assert.ok(
    withoutZai.reasons.includes('fallback zai/glm-4.6 for gpt-4o skipped: no instance serves it'),
    withoutZai.reasons.join('\n'),
  );
});

test('explicit: a "provider/model" fallback entry replaces the plain one, and [] turns fallback off', () => {
  const policy = parseRoutingPolicy({
    fallbacks: {
      'gpt-4o': ['claude/claude-sonnet-4-6'],
      'openai/gpt-4o': ['zai/glm-4.6'],
      'claude/claude-sonnet-4-6': [],
    },
  });
  assert.deepEqual(pools(chat('openai/gpt-4o'), everything, policy), ['openai/gpt-4o', 'zai/glm-4.6']);
  assert.deepEqual(pools(chat('claude/claude-sonnet-4-6'), everything, policy), ['claude/claude-sonnet-4-6']);
});

test('explicit: a pool nobody serves is an unknown model, even if the model exists elsewhere', () => {
  assert.throws(
    () => routeChat(chat('perplexity/gpt-4o'), {}, DEFAULT_ROUTING_POLICY, everything),
    (error: unknown) =>
      error instanceof UnknownModelError &&
      error.model === 'perplexity/gpt-4o' &&
      /not served by any instance/.test(error.message),
  );
});

test('plain model: every provider serving it, in the order of the provider preference (unlisted last, stable), then fallbacks', () => {
  const catalog = catalogOf([
    'openai_compatible/glm-4.6',
    'zai/glm-4.6',
    'claude/glm-4.6',
    'openai/gpt-4o',
    'claude/claude-sonnet-4-6',
  ]);
  const policy = parseRoutingPolicy({
    providerPreference: ['zai', 'claude'],
    fallbacks: { 'glm-4.6': ['openai/gpt-4o'], 'zai/glm-4.6': ['claude/claude-sonnet-4-6'] },
  });
  const decision = routeChat(chat('glm-4.6'), {}, policy, catalog);
  assert.equal(decision.mode, 'model');
  assert.deepEqual(
    decision.candidates.map((candidate) => [candidate.pool, candidate.reason]),
    [
      ['zai/glm-4.6', 'serves glm-4.6 (provider preference 1)'],
      ['claude/glm-4.6', 'serves glm-4.6 (provider preference 2)'],
      ['openai_compatible/glm-4.6', 'serves glm-4.6 (not in the provider preference)'],
      ['openai/gpt-4o', 'fallback for glm-4.6'],
      ['claude/claude-sonnet-4-6', 'fallback for zai/glm-4.6'],
    ],
  );
});

test('a plain model name with a slash that is not a provider is looked up as a model', () => {
  const catalog = catalogOf(['openai_compatible/meta-llama/Llama-3-8B']);
  const decision = routeChat(chat('meta-llama/Llama-3-8B'), {}, DEFAULT_ROUTING_POLICY, catalog);
  assert.equal(decision.mode, 'model');
  assert.deepEqual(
    decision.candidates.map((candidate) => candidate.pool),
    ['openai_compatible/meta-llama/Llama-3-8B'],
  );
});

test('an unknown plain model is an UnknownModelError naming it and pointing at GET /v1/models', () => {
  assert.throws(
    () => routeChat(chat('gpt-17-ultra'), {}, DEFAULT_ROUTING_POLICY, everything),
    (error: unknown) =>
      error instanceof UnknownModelError &&
      error.model === 'gpt-17-ultra' &&
      /gpt-17-ultra/.test(error.message) &&
      /GET \/v1\/models/.test(error.message),
  );
  assert.throws(() => routeChat(chat('constructor'), {}, DEFAULT_ROUTING_POLICY, everything), UnknownModelError);
});

test('the preferred provider moves its candidates first, keeping their order, in every mode', () => {
  const auto = routeChat(chat('auto'), { preferredProvider: 'claude' }, DEFAULT_ROUTING_POLICY, everything);
  assert.deepEqual(
    auto.candidates.map((candidate) => candidate.pool),
    ['claude/claude-sonnet-4-6', 'openai/gpt-4o', 'zai/glm-4.6', 'openai/gpt-4o-mini'],
  );
  assert.match(auto.candidates[0]!.reason, /moved first: preferred provider$/);
  assert.ok(auto.reasons.includes('claude candidates moved first: preferred by the client'));
  const explicitWithFallback = routeChat(
    chat('openai/gpt-4o'),
    { preferredProvider: 'zai', allowFallback: true },
    DEFAULT_ROUTING_POLICY,
    everything,
  );
  assert.deepEqual(
    explicitWithFallback.candidates.map((candidate) => candidate.pool),
    ['zai/glm-4.6', 'openai/gpt-4o', 'claude/claude-sonnet-4-6'],
  );
  assert.deepEqual(
    pools(chat('openai/gpt-4o'), everything, DEFAULT_ROUTING_POLICY, 'zai'),
    ['openai/gpt-4o'],
    'a preference does not add providers to an explicit request',
  );
  const vision = pools(
    chat('auto', '', { messages: [{ role: 'user', content: [{ type: 'image', url: 'https://example.test/a.png' }] }] }),
    everything,
    DEFAULT_ROUTING_POLICY,
    'claude',
  );
  assert.deepEqual(vision.slice(0, 3), [
    'claude/claude-sonnet-4-6',
    'claude/claude-opus-4-7',
    'claude/claude-haiku-4-5',
  ]);
  const ignored = routeChat(chat('auto'), { preferredProvider: 'perplexity' }, DEFAULT_ROUTING_POLICY, everything);
  assert.deepEqual(
    ignored.candidates.map((candidate) => candidate.pool),
    DEFAULT_ROUTING_POLICY.tiers.balanced,
  );
  assert.ok(ignored.reasons.includes('preferred provider perplexity serves none of the candidates; ignored'));
});

test('candidates are deduplicated and capped at maxCandidates, after the preferred provider moved first', () => {
  const policy = parseRoutingPolicy({
    maxCandidates: 2,
    tiers: {
      ...DEFAULT_ROUTING_POLICY.tiers,
      balanced: ['openai/gpt-4o', 'openai/gpt-4o', 'claude/claude-sonnet-4-6', 'zai/glm-4.6'],
    },
  });
  const decision = routeChat(chat('auto'), {}, policy, everything);
  assert.deepEqual(
    decision.candidates.map((candidate) => candidate.pool),
    ['openai/gpt-4o', 'claude/claude-sonnet-4-6'],
  );
  assert.ok(decision.reasons.includes('cut to 2 candidates; dropped zai/glm-4.6'), decision.reasons.join('\n'));
  assert.deepEqual(pools(chat('auto'), everything, policy, 'zai'), ['zai/glm-4.6', 'openai/gpt-4o']);
  const explicit = pools(
    chat('openai/gpt-4o'),
    everything,
    parseRoutingPolicy({ fallbacks: { 'openai/gpt-4o': ['openai/gpt-4o', 'claude/claude-sonnet-4-6'] } }),
  );
  assert.deepEqual(
    explicit,
    ['openai/gpt-4o', 'claude/claude-sonnet-4-6'],
    'a fallback naming the requested pool is not tried twice',
  );
});

test('routing does not mutate the policy it reads', () => {
  const before = JSON.stringify(DEFAULT_ROUTING_POLICY);
  routeChat(chat('auto'), { preferredProvider: 'zai' }, DEFAULT_ROUTING_POLICY, everything);
  routeChat(chat('gpt-4o'), {}, DEFAULT_ROUTING_POLICY, everything);
  assert.equal(JSON.stringify(DEFAULT_ROUTING_POLICY), before);
});
