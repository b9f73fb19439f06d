// The demo provider instances of `npm start`, served by the provider simulator, and the admin API
// calls that bring the database in line with the simulator of this run (scripts/start.sh makes them):
//   node scripts/lib/demo-instances.mjs simulator-instances        # SIMULATOR_INSTANCES for the simulator
//   node scripts/lib/demo-instances.mjs next-page < pages.jsonl    # next page of GET /admin/instances, or nothing
//   node scripts/lib/demo-instances.mjs plan BASE_PORT API_KEY < pages.jsonl
//   node scripts/lib/demo-instances.mjs unrouted BASE_PORT NAME... < pools.json   # GET /pools of the api-gateway
// `plan` prints one tab-separated line per demo instance: action, name, id, note, JSON body, where
// action is create (POST /admin/instances), update (PATCH /admin/instances/<id>) or skip (note says why).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const DEMO_TAG = 'demo';

/** In the simulator's order: the instance at index i listens on BASE_PORT + i. */
export const DEMO_INSTANCES = [
  { name: 'openai-demo', provider: 'openai', path: '/v1', models: ['gpt-4o', 'gpt-4o-mini'] },
  {
    name: 'claude-demo',
    provider: 'claude',
    path: '',
    models: ['claude-sonnet-4-6', 'claude-opus-4-7', 'claude-haiku-4-5'],
  },
  { name: 'zai-demo', provider: 'zai', path: '/api/paas/v4', models: ['glm-4.6', 'glm-4.5', 'glm-4.5-air'] },
  { name: 'perplexity-demo', provider: 'perplexity', path: '', models: ['sonar', 'sonar-pro', 'sonar-reasoning'] },
];

export function simulatorInstances() {
  return DEMO_INSTANCES.map(({ provider, name }) => `${provider}:${name}`).join(',');
}

export function demoBaseUrl(demo, basePort) {
  return `http://127.0.0.1:${basePort + DEMO_INSTANCES.indexOf(demo)}${demo.path}`;
}

/** Pages of GET /admin/instances, one JSON document per line. */
export function parsePages(text) {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** The page to fetch after these, or undefined when they hold every instance. */
export function nextPage(pages) {
  const last = pages.at(-1);
  if (!last) return 1;
  return last.page * last.pageSize < last.total ? last.page + 1 : undefined;
}

/**
 * What to do for each demo instance: create it when missing; otherwise point it at this run's
 * simulator port and give its key again. The key is always sent: it is what the admin API asks
 * for when the host:port moves, and storing it again re-encrypts it with this run's
 * CREDENTIALS_KEY (a database from another checkout holds keys this one cannot read).
 * An instance that merely shares a demo name (not tagged demo, or another provider) is left alone.
 */
export function planDemoSeeding(instances, basePort, apiKey) {
  return DEMO_INSTANCES.map((demo) => {
    const baseUrl = demoBaseUrl(demo, basePort);
    const existing = instances.find((instance) => instance.name === demo.name);
    if (!existing) {
      const body = { name: demo.name, provider: demo.provider, baseUrl, models: demo.models, apiKey, tags: [DEMO_TAG] };
      return { action: 'create', name: demo.name, id: '-', note: `created at ${baseUrl}`, body };
    }
    if (!(existing.tags ?? []).includes(DEMO_TAG) || existing.provider !== demo.provider) {
      const note = `an instance named ${demo.name} exists that is not the ${demo.provider} demo instance (tagged ${DEMO_TAG}); left alone`;
      return { action: 'skip', name: demo.name, id: existing.id, note, body: {} };
    }
    const note = existing.baseUrl === baseUrl ? 'key stored again' : `moved from ${existing.baseUrl} to ${baseUrl}`;
    return { action: 'update', name: demo.name, id: existing.id, note, body: { baseUrl, apiKey } };
  });
}

/**
 * The named demo instances the api-gateway does not route to yet at this run's simulator ports with
 * a usable key (its catalog reloads every CATALOG_REFRESH_MS, so a moved instance keeps its old
 * address, or a re-stored key stays unreadable, for a while).
 */
export function unroutedDemos(pools, basePort, names) {
  const routed = new Set();
  for (const pool of pools.pools ?? []) {
    for (const instance of pool.instances ?? []) {
      const demo = DEMO_INSTANCES.find((candidate) => candidate.name === instance.name);
      if (
        demo &&
        instance.usable &&
        instance.hasKey &&
        instance.baseUrlHost === new URL(demoBaseUrl(demo, basePort)).host
      )
        routed.add(instance.name);
    }
  }
  return names.filter((name) => !routed.has(name));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'simulator-instances') {
    console.log(simulatorInstances());
  } else if (command === 'next-page') {
    const page = nextPage(parsePages(readFileSync(0, 'utf8')));
    if (page !== undefined) console.log(page);
  } else if (command === 'plan' && /^\d+$/.test(args[0] ?? '') && args[1]) {
    const instances = parsePages(readFileSync(0, 'utf8')).flatMap((page) => page.items);
    for (const step of planDemoSeeding(instances, Number(args[0]), args[1])) {
      console.log([step.action, step.name, step.id, step.note, JSON.stringify(step.body)].join('\t'));
    }
  } else if (command === 'unrouted' && /^\d+$/.test(args[0] ?? '')) {
    const missing = unroutedDemos(JSON.parse(readFileSync(0, 'utf8')), Number(args[0]), args.slice(1));
    if (missing.length > 0) console.log(missing.join(' '));
  } else {
    console.error(
      'usage: node scripts/lib/demo-instances.mjs simulator-instances | next-page | plan BASE_PORT API_KEY | unrouted BASE_PORT NAME...',
    );
    process.exit(2);
  }
}
