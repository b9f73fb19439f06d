import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_ROUTING_POLICY,
  freshFactsMatchers,
  parseModelRef,
  parseRoutingPolicy,
  poolKey,
  RoutingPolicyError,
} from './routing-policy.js';

/** The problems parseRoutingPolicy reports for a value, or [] when it accepts it. */
function problemsOf(value: unknown): string[] {
  try {
    parseRoutingPolicy(value);
    return [];
  } catch (error) {
    assert.ok(error instanceof RoutingPolicyError, `a RoutingPolicyError, not ${String(error)}`);
    return error.problems;
  }
}

test('the default policy survives a round trip through JSON unchanged', () => {
  const parsed = parseRoutingPolicy(JSON.parse(JSON.stringify(DEFAULT_ROUTING_POLICY)));
  assert.deepEqual(parsed, DEFAULT_ROUTING_POLICY);
  assert.notEqual(parsed, DEFAULT_ROUTING_POLICY);
});

test('missing fields come from the default, and changing the result leaves the default alone', () => {
  const parsed = parseRoutingPolicy({ version: 1, maxCandidates: 2, rules: [{ name: 'all', when: {}, tier: 'fast' }] });
  assert.equal(parsed.maxCandidates, 2);
  assert.deepEqual(parsed.rules, [{ name: 'all', when: {}, tier: 'fast' }]);
  assert.deepEqual(parsed.tiers, DEFAULT_ROUTING_POLICY.tiers);
  assert.deepEqual(parsed.autoModels, ['auto', 'switchboard/auto']);
  parsed.tiers.fast!.push('openai/gpt-4o');
  assert.ok(!DEFAULT_ROUTING_POLICY.tiers.fast!.includes('openai/gpt-4o'));
});

test('rejects a bad policy listing every problem with its JSON path', () => {
  const problems = problemsOf({
    version: 2,
    tiers: { fast: ['openai/gpt-4o-mini', 'skynet/t-1000', 42], balanced: ['claude/claude-sonnet-4-6'], empty: [] },
    rules: [
      { name: 'ok', when: { hasImages: true }, tier: 'fast' },
      { name: 'typo', when: { hasImage: true }, tier: 'fast' },
      { name: 'bad', when: { minPromptTokens: -1 }, tier: 'fast2' },
      'not a rule',
    ],
    defaultTier: 'nope',
    fallbacks: { 'gpt-4o': ['gpt-4o-mini'] },
    providerPreference: ['openai', 'skynet'],
    freshFactsPatterns: ['ok', '(unclosed'],
    balancing: { strategy: 'fastest', pools: { 'openai/gpt-4o': 'random', 'gpt-4o': 'sometimes' } },
    maxCandidates: 0,
    colour: 'blue',
  });
  const expected = [
    /^colour: unknown field$/,
    /^version: /,
    /^tiers\.fast\[1\]: "skynet\/t-1000" is not "provider\/model"/,
    /^tiers\.fast\[2\]: 42 is not/,
    /^tiers\.empty: must list at least one/,
    /^defaultTier: unknown tier 'nope'$/,
    /^rules\[1\]\.when\.hasImage: unknown condition/,
    /^rules\[2\]\.tier: unknown tier 'fast2'$/,
    /^rules\[2\]\.when\.minPromptTokens: must be a number >= 0$/,
    /^rules\[3\]: must be an object/,
    /^fallbacks\.gpt-4o\[0\]: "gpt-4o-mini" is not "provider\/model"/,
    /^providerPreference\[1\]: unknown provider "skynet"/,
    /^freshFactsPatterns\[1\]: not a valid regular expression/,
    /^balancing\.strategy: "fastest" is not one of health_based/,
    /^balancing\.pools\.gpt-4o: the key must be "provider\/model"/,
    /^balancing\.pools\.gpt-4o: "sometimes" is not one of/,
    /^maxCandidates: /,
  ];
  for (const pattern of expected)
    assert.ok(
      problems.some((problem) => pattern.test(problem)),
      `${pattern} in ${JSON.stringify(problems, null, 2)}`,
    );
  assert.equal(problems.length, expected.length, JSON.stringify(problems, null, 2));
});

test('rejects values that are not objects, and default rules whose tier a policy removed', () => {
  assert.deepEqual(problemsOf(null), ['(root): the policy must be a JSON object']);
  assert.deepEqual(problemsOf([]), ['(root): the policy must be a JSON object']);
  assert.deepEqual(problemsOf({ tiers: 'fast' }), ['tiers: must be an object of tier name to ["provider/model", ...]']);
  const removed = problemsOf({ tiers: { balanced: ['openai/gpt-4o'] } });
  assert.ok(
    removed.some((problem) => problem.startsWith("rules[0].tier: unknown tier 'vision'")),
    removed.join('\n'),
  );
  assert.deepEqual(problemsOf({ tiers: { balanced: ['openai/gpt-4o'] }, rules: [] }), []);
  assert.deepEqual(
    problemsOf({ rules: [{ name: 'proto', when: {}, tier: 'constructor' }] }),
    ["rules[0].tier: unknown tier 'constructor'"],
    'inherited keys are not tiers',
  );
});

test('parseModelRef splits at the first slash and only for a known provider', () => {
  assert.deepEqual(parseModelRef('claude/claude-sonnet-4-6'), { provider: 'claude', model: 'claude-sonnet-4-6' });
  assert.deepEqual(parseModelRef('openai_compatible/meta-llama/Llama-3-8B'), {
    provider: 'openai_compatible',
    model: 'meta-llama/Llama-3-8B',
  });
  assert.equal(parseModelRef('meta-llama/Llama-3-8B'), undefined, 'a plain model name with a slash');
  assert.equal(parseModelRef('gpt-4o'), undefined);
  assert.equal(parseModelRef('openai/'), undefined);
  assert.equal(parseModelRef('/gpt-4o'), undefined);
  assert.equal(poolKey('zai', 'glm-4.6'), 'zai/glm-4.6');
});

test('fresh-facts patterns are compiled once per policy object, case-insensitive', () => {
  const first = freshFactsMatchers(DEFAULT_ROUTING_POLICY);
  assert.equal(freshFactsMatchers(DEFAULT_ROUTING_POLICY), first, 'the same array on the hot path');
  assert.equal(first.length, DEFAULT_ROUTING_POLICY.freshFactsPatterns.length);
  const other = parseRoutingPolicy({ freshFactsPatterns: ['stock'] });
  const matchers = freshFactsMatchers(other);
  assert.notEqual(matchers, first);
  assert.equal(matchers[0]!.test('STOCK'), true);
});

test('the default policy is internally consistent: known providers, existing tiers', () => {
  for (const [tier, entries] of Object.entries(DEFAULT_ROUTING_POLICY.tiers))
    for (const entry of entries) assert.ok(parseModelRef(entry), `${tier}: ${entry}`);
  for (const rule of DEFAULT_ROUTING_POLICY.rules) assert.ok(rule.tier in DEFAULT_ROUTING_POLICY.tiers, rule.name);
  assert.ok(
    !DEFAULT_ROUTING_POLICY.tiers.tools!.some((entry) => entry.startsWith('perplexity/')),
    'perplexity drops tools',
  );
  assert.ok(
    !DEFAULT_ROUTING_POLICY.tiers.vision!.some((entry) => entry.startsWith('perplexity/') || entry.startsWith('zai/')),
    'text-only models cannot take images',
  );
});
