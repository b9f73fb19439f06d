import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/paths.js';

interface Step {
  action: 'create' | 'update' | 'skip';
  name: string;
  id: string;
  note: string;
  body: Record<string, unknown>;
}
interface DemoInstances {
  simulatorInstances(): string;
  nextPage(pages: { page: number; pageSize: number; total: number }[]): number | undefined;
  planDemoSeeding(instances: Record<string, unknown>[], basePort: number, apiKey: string): Step[];
  unroutedDemos(pools: unknown, basePort: number, names: string[]): string[];
}
interface LogTail {
  formatLogLine(line: string): string;
  tailLog(text: string, count?: number): string[];
}

const load = async <T>(path: string) => (await import(pathToFileURL(join(repoRoot, path)).href)) as T;
const demo = await load<DemoInstances>('scripts/lib/demo-instances.mjs');
const logTail = await load<LogTail>('scripts/lib/log-tail.mjs');

const stored = (name: string, provider: string, baseUrl: string, tags = ['demo']) => ({
  id: `id-${name}`,
  name,
  provider,
  baseUrl,
  tags,
});

describe('npm start: the demo instances follow the provider simulator', () => {
  it('gives the simulator the demo instances in port order', () => {
    assert.equal(
      demo.simulatorInstances(),
      'openai:openai-demo,claude:claude-demo,zai:zai-demo,perplexity:perplexity-demo',
    );
  });

  it('creates the missing ones, tagged demo, with the demo key', () => {
    const plan = demo.planDemoSeeding([], 18110, 'demo-key');
    assert.deepEqual(
      plan.map((step) => [step.action, step.name]),
      [
        ['create', 'openai-demo'],
        ['create', 'claude-demo'],
        ['create', 'zai-demo'],
        ['create', 'perplexity-demo'],
      ],
    );
    assert.deepEqual(plan[2]!.body, {
      name: 'zai-demo',
      provider: 'zai',
      baseUrl: 'http://127.0.0.1:18112/api/paas/v4',
      models: ['glm-4.6', 'glm-4.5', 'glm-4.5-air'],
      apiKey: 'demo-key',
      tags: ['demo'],
    });
  });

  it('moves existing ones to this run’s ports and always gives their key again; leaves other instances alone', () => {
    const plan = demo.planDemoSeeding(
      [
        stored('openai-demo', 'openai', 'http://127.0.0.1:8110/v1'),
        stored('claude-demo', 'claude', 'http://127.0.0.1:9111'),
        stored('zai-demo', 'zai', 'https://api.z.ai/api/paas/v4', ['prod']),
        stored('perplexity-demo', 'openai', 'http://127.0.0.1:9113'),
        stored('my-openai', 'openai', 'https://api.openai.com/v1', ['demo']),
      ],
      9110,
      'demo-key',
    );
    assert.deepEqual(plan[0], {
      action: 'update',
      name: 'openai-demo',
      id: 'id-openai-demo',
      note: 'moved from http://127.0.0.1:8110/v1 to http://127.0.0.1:9110/v1',
      body: { baseUrl: 'http://127.0.0.1:9110/v1', apiKey: 'demo-key' },
    });
    // Same address: the key is still stored again, re-encrypted with this run's CREDENTIALS_KEY.
    assert.equal(plan[1]!.action, 'update');
    assert.deepEqual(plan[1]!.body, { baseUrl: 'http://127.0.0.1:9111', apiKey: 'demo-key' });
    assert.equal(plan[1]!.note, 'key stored again');
    // Not tagged demo, or another provider: someone else's instance under a demo name.
    assert.deepEqual(
      plan.slice(2).map((step) => step.action),
      ['skip', 'skip'],
    );
    assert.match(plan[2]!.note, /not the zai demo instance/);
    assert.equal(plan.length, 4);
  });

  it('pages through the instance list', () => {
    assert.equal(demo.nextPage([]), 1);
    assert.equal(demo.nextPage([{ page: 1, pageSize: 500, total: 501 }]), 2);
    assert.equal(demo.nextPage([{ page: 2, pageSize: 500, total: 501 }]), undefined);
  });

  it('waits until the gateway routes to each demo instance at the new port with a usable key', () => {
    const member = (name: string, baseUrlHost: string, hasKey = true) => ({ name, baseUrlHost, usable: true, hasKey });
    const pools = {
      pools: [
        { pool: 'openai/gpt-4o', instances: [member('openai-demo', '127.0.0.1:9110')] },
        { pool: 'claude/claude-haiku-4-5', instances: [member('claude-demo', '127.0.0.1:8111')] },
        { pool: 'zai/glm-4.6', instances: [member('zai-demo', '127.0.0.1:9112', false)] },
      ],
    };
    assert.deepEqual(demo.unroutedDemos(pools, 9110, ['openai-demo', 'claude-demo', 'zai-demo', 'perplexity-demo']), [
      'claude-demo',
      'zai-demo',
      'perplexity-demo',
    ]);
    assert.deepEqual(demo.unroutedDemos(pools, 9110, ['openai-demo']), []);
  });
});

describe('npm start: an app’s log tail is printed readably', () => {
  it('turns JSON lines into time, level, context and message, and keeps other lines as they are', () => {
    const lines = logTail.tailLog(
      [
        JSON.stringify({ time: '2026-12-01T03:26:58.123Z', level: 'info', app: 'x', context: 'Bootstrap', msg: 'up' }),
        JSON.stringify({
          time: '2026-12-01T03:26:59.000Z',
          level: 'error',
          app: 'x',
          msg: 'boom',
          stack: 'Error: boom\n    at a (a.js:1)\n    at b (b.js:2)\n    at c (c.js:3)\n    at d (d.js:4)',
        }),
        'node:net:2328',
        '',
      ].join('\n'),
      20,
    );
    assert.deepEqual(lines, [
      '03:26:58 info  [Bootstrap] up',
      '03:26:59 error boom\n    at a (a.js:1)\n    at b (b.js:2)\n    at c (c.js:3)',
      'node:net:2328',
    ]);
    assert.equal(logTail.tailLog('a\nb\nc\n', 2).join(','), 'b,c');
  });
});
