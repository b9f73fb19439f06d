// The race's contestants, each a process of its own in front of the same Go mock upstream: the
// mock itself (direct), a bare undici proxy, Switchboard with one and with two gateway workers,
// and Portkey's open-source gateway.
import { GatewayStack, TEST_CLIENT_KEY } from '../test/support/gateway-stack.js';
import { admin } from '../test/support/instance-manager-env.js';
import { freePort } from '../test/support/ports.js';
import { BenchChild } from './bench-child.js';
import type { HttpTarget } from './vegeta.js';

export const CHAT_PATH = '/v1/chat/completions';
/** The key the mock upstream demands; every target passes it on (Switchboard from its credential store). */
export const MOCK_KEY = 'sk-bench-mock-upstream-key';
/** High enough never to refuse a request: the limiter counts every request but never refuses one. */
export const CLIENT_KEY_RPM = 10_000_000;
const INSTANCE = 'bench-openai';

export type TargetKey = 'direct' | 'bare-proxy' | 'switchboard-1' | 'switchboard-1-nolog' | 'switchboard-2' | 'portkey';

export interface RaceTarget {
  key: TargetKey;
  name: string;
  description: string;
  http: HttpTarget;
  /** The process whose memory (with its descendants) is the target's. */
  pid: number;
  /** Checks one answer for signs that the target did its whole job; throws otherwise. */
  checkAnswer?: (response: Response) => void;
}

/** A contestant that could not be started, and why: the race runs without it and says so. */
export interface MissingTarget {
  key: TargetKey;
  name: string;
  reason: string;
}

function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
}

export async function startMockUpstream(binary: string): Promise<{ child: BenchChild; origin: string }> {
  const child = BenchChild.command('mock upstream', binary, ['-key', MOCK_KEY, '-exit-with-stdin']);
  try {
    const [, port] = await child.waitForOutput(/mock-upstream listening on (\d+)/, 10_000);
    return { child, origin: `http://127.0.0.1:${port}` };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

export function directTarget(mock: BenchChild, origin: string): RaceTarget {
  return {
    key: 'direct',
    name: 'direct',
    description: `the Go mock upstream (bench/go/mock-upstream) at ${origin}, no proxy in between`,
    http: { url: `${origin}${CHAT_PATH}`, headers: bearer(MOCK_KEY) },
    pid: mock.pid,
  };
}

export async function startBareProxy(upstreamOrigin: string): Promise<{ child: BenchChild; target: RaceTarget }> {
  const child = BenchChild.node('bare proxy', new URL('./bare-proxy.js', import.meta.url).pathname, [upstreamOrigin]);
  try {
    const [, port] = await child.waitForOutput(/bare-proxy listening on (\d+)/, 10_000);
    return {
      child,
      target: {
        key: 'bare-proxy',
        name: 'bare proxy',
        description:
          'a node:http server piping each request to the mock over an undici Agent (64 kept-alive connections): no parsing, auth, routing or metrics',
        http: { url: `http://127.0.0.1:${port}${CHAT_PATH}`, headers: bearer(MOCK_KEY) },
        pid: child.pid,
      },
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/**
 * The settings `npm start` leaves at their defaults, which the test stack shortens to make tests
 * fast; the race puts them back so Switchboard runs as it would in service.
 */
const SERVICE_DEFAULTS = {
  CONSUL_CHECK_INTERVAL: '5s',
  PROBE_INTERVAL_MS: '10000',
  PROBE_TIMEOUT_MS: '5000',
  RECONCILE_INTERVAL_MS: '5000',
  CATALOG_REFRESH_MS: '5000',
  NODE_ENV: 'development',
};

/**
 * The stack of the end-to-end tests (a Consul dev agent, a fresh database, the instance-manager)
 * with the mock registered as an OpenAI instance through the admin API, and three api-gateways:
 * GATEWAY_WORKERS=1, the same without the request log (REQUEST_LOG_ENABLED=false: what writing a
 * row per request costs), and GATEWAY_WORKERS=2.
 */
export async function startSwitchboard(mockOrigin: string): Promise<{ stack: GatewayStack; targets: RaceTarget[] }> {
  // V8 flags for the gateways only (e.g. --max-semi-space-size=8), to compare GC settings.
  const nodeOptions = process.env.BENCH_GATEWAY_NODE_OPTIONS;
  const stack = await GatewayStack.start({
    instances: [],
    managerEnv: SERVICE_DEFAULTS,
    gatewayEnv: {
      ...SERVICE_DEFAULTS,
      BOOTSTRAP_CLIENT_KEY_RPM: String(CLIENT_KEY_RPM),
      GATEWAY_WORKERS: '1',
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
  });
  try {
    const created = await admin(stack.manager.url)('POST', '/admin/instances', {
      name: INSTANCE,
      provider: 'openai',
      baseUrl: `${mockOrigin}/v1`,
      apiKey: MOCK_KEY,
      models: ['gpt-4o'],
    });
    if (created.status !== 201) throw new Error(`registering the mock failed: ${created.status} ${created.text}`);
    stack.ids.set(INSTANCE, created.body.id as string);
    const twoWorkers = await stack.startGateway({ GATEWAY_WORKERS: '2' });
    const withoutLog = await stack.startGateway({ GATEWAY_WORKERS: '1', REQUEST_LOG_ENABLED: 'false' });
    await stack.waitUntilUsable([INSTANCE], true, stack.gateways, 60_000);
    const features =
      `a client key limited to ${CLIENT_KEY_RPM.toLocaleString('en-US')} requests/min (counted, never refusing), ` +
      'metrics, routing, balancing and health on, the mock registered as an OpenAI instance through the admin API';
    const checkAnswer = (response: Response) => {
      if (response.headers.get('x-ratelimit-limit-requests') !== String(CLIENT_KEY_RPM))
        throw new Error('Switchboard answered without applying the client key rate limit');
    };
    const target = (gateway: typeof twoWorkers, workers: number, log = true): RaceTarget => ({
      key: workers === 2 ? 'switchboard-2' : log ? 'switchboard-1' : 'switchboard-1-nolog',
      name: `Switchboard, ${workers} worker${workers === 1 ? '' : 's'}${log ? '' : ', no request log'}`,
      description: `the api-gateway (\`node scripts/run-app.mjs api-gateway\`, GATEWAY_WORKERS=${workers}${log ? '' : ', REQUEST_LOG_ENABLED=false'}${nodeOptions ? `, NODE_OPTIONS=${nodeOptions}` : ''}) with ${features}${log ? ', a request log row per request' : ''}`,
      http: { url: `${gateway.url}${CHAT_PATH}`, headers: bearer(TEST_CLIENT_KEY) },
      pid: gateway.pid,
      checkAnswer,
    });
    return {
      stack,
      targets: [target(stack.gateway, 1), target(withoutLog, 1, false), target(twoWorkers, 2)],
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/**
 * Portkey's gateway from the cache scripts/bench.sh installed it into (`build/start-server.js`,
 * `--port=<n> --headless`). It listens on every interface and, when the port is taken, logs the
 * error and carries on as if it listened: a clash shows as EADDRINUSE in its output, and the
 * check request proves who answers (Portkey sets x-portkey-provider).
 */
export async function startPortkey(
  entry: string,
  version: string,
  mockOrigin: string,
): Promise<{ child: BenchChild; target: RaceTarget }> {
  const lifeline = new URL('./lifeline.js', import.meta.url).pathname;
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const child = BenchChild.node('Portkey', entry, [`--port=${port}`, '--headless'], ['--import', lifeline]);
    try {
      await child.waitForOutput(/Ready for connections/, 30_000);
      if (`${child.stdout}${child.stderr}`.includes('EADDRINUSE'))
        throw new Error(`port ${port} is taken (EADDRINUSE)`);
      return {
        child,
        target: {
          key: 'portkey',
          name: 'Portkey',
          description:
            `Portkey's open-source gateway (@portkey-ai/gateway ${version}, \`node build/start-server.js --port=${port} --headless\`), ` +
            'routed to the mock by its x-portkey-provider: openai and x-portkey-custom-host headers',
          http: {
            url: `http://127.0.0.1:${port}${CHAT_PATH}`,
            headers: {
              ...bearer(MOCK_KEY),
              'x-portkey-provider': 'openai',
              'x-portkey-custom-host': `${mockOrigin}/v1`,
            },
          },
          pid: child.pid,
          checkAnswer: (response) => {
            if (response.headers.get('x-portkey-provider') !== 'openai')
              throw new Error(`something other than Portkey answers on port ${port}`);
          },
        },
      };
    } catch (error) {
      await child.stop();
      if (attempt >= 3) throw error;
    }
  }
}

/** One non-stream request through the target before measuring: a race of error pages would be worthless. */
export async function checkTarget(target: RaceTarget, body: string): Promise<void> {
  const response = await fetch(target.http.url, { method: 'POST', headers: target.http.headers, body });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${target.name} answered the check request with ${response.status}: ${text.slice(0, 500)}`);
  if (!text.includes('"choices"')) throw new Error(`${target.name} answered without choices: ${text.slice(0, 500)}`);
  target.checkAnswer?.(response);
}
