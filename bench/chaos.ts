// `npm run chaos`: the data plane under control-plane outages, upstream trouble and overload. Not a
// test: it asserts nothing, it drives load through each scenario and prints one table of figures.
//
// Everything runs on loopback and is its own: a private PostgreSQL cluster (initdb/pg_ctl on a free
// port), a private Redis, a Consul dev agent, the provider simulator, the instance-manager and the
// api-gateway as processes (the end-to-end tests' GatewayStack). Nothing outside is touched.
//
// Optional: CHAOS_RATE (requests/s of each load, 50), CHAOS_SCALE (multiplies every outage and
// phase length, 1; 0.3 for a quick look).
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayStack } from '../test/support/gateway-stack.js';
import { admin } from '../test/support/instance-manager-env.js';
import { PrivatePostgres } from '../test/support/private-postgres.js';
import { PrivateRedis } from '../test/support/private-redis.js';
import { type LoadOutcome, NEEDS_WHOLE_STREAM, SteadyLoad } from '../test/support/steady-load.js';

const RATE = Number(process.env.CHAOS_RATE ?? 50);
const SCALE = Number(process.env.CHAOS_SCALE ?? 1);
const seconds = (value: number) => Math.round(value * SCALE * 1000);
const INSTANCES = ['openai-a', 'openai-b', 'openai-c'];
const ASK = { model: 'gpt-4o', messages: [{ role: 'user', content: 'chaos?' }] };

interface Row {
  scenario: string;
  sent: number;
  failed: number;
  brokenStreams: number;
  recovery: string;
  note: string;
}

function step(message: string): void {
  process.stderr.write(`==> ${message}\n`);
}

/** Non-stream load at RATE and stream load at a fifth of it, for the length of `during`. */
async function underLoad(stack: GatewayStack, during: () => Promise<void>): Promise<[LoadOutcome, LoadOutcome]> {
  const plain = new SteadyLoad(() => stack.chat(ASK), RATE).start();
  const streams = new SteadyLoad(
    () => stack.chat({ ...ASK, stream: true }),
    Math.max(1, RATE / 5),
    NEEDS_WHOLE_STREAM,
  ).start();
  await during();
  return [await plain.stop(), await streams.stop()];
}

function row(scenario: string, [plain, streams]: [LoadOutcome, LoadOutcome], recovery: string, note = ''): Row {
  const broken = streams.failures.filter((failure) => failure.includes('without its terminator')).length;
  const failures = [...plain.failures, ...streams.failures];
  for (const failure of failures.slice(0, 3)) step(`  ${scenario}: ${failure}`);
  return {
    scenario,
    sent: plain.sent + streams.sent,
    failed: failures.length - broken,
    brokenStreams: broken,
    recovery,
    note,
  };
}

/** Milliseconds until `ready` holds (polled every 100 ms), or "not within N s". */
async function timeUntil(ready: () => Promise<boolean>, limitMs: number): Promise<string> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (await ready().catch(() => false)) return `${Date.now() - started} ms`;
    await sleep(100);
  }
  return `not within ${limitMs / 1000} s`;
}

async function readinessIs(stack: GatewayStack, status: string): Promise<boolean> {
  const body = (await (await fetch(`${stack.gateway.url}/health/ready`)).json()) as { status: string };
  return body.status === status;
}

async function postgresOutage(stack: GatewayStack, postgres: PrivatePostgres): Promise<Row> {
  let recovery = '';
  const outcome = await underLoad(stack, async () => {
    await postgres.halt();
    await sleep(seconds(45));
    await postgres.resume();
    recovery = await timeUntil(
      async () => (await admin(stack.manager.url)('GET', '/admin/instances')).status === 200,
      30_000,
    );
  });
  return row(`Postgres stopped ${seconds(45) / 1000} s`, outcome, `admin back in ${recovery}`);
}

async function redisOutage(stack: GatewayStack, redis: PrivateRedis): Promise<Row> {
  let recovery = '';
  const outcome = await underLoad(stack, async () => {
    await redis.halt();
    await sleep(seconds(15));
    await redis.resume();
    recovery = await timeUntil(() => readinessIs(stack, 'up'), 30_000);
  });
  return row(`Redis stopped ${seconds(15) / 1000} s, restarted empty`, outcome, `readiness ok in ${recovery}`);
}

async function consulOutage(stack: GatewayStack): Promise<Row> {
  let recovery = '';
  const outcome = await underLoad(stack, async () => {
    await stack.agent.stop();
    await sleep(seconds(30));
    await stack.agent.restart();
    recovery = await timeUntil(() => readinessIs(stack, 'up'), 60_000);
  });
  return row(`Consul stopped ${seconds(30) / 1000} s, restarted empty`, outcome, `readiness ok in ${recovery}`);
}

async function flapping(stack: GatewayStack): Promise<Row> {
  const flapper = 'openai-c';
  const outcome = await underLoad(stack, async () => {
    await stack.simulator.updateKnobs(flapper, { refuseConnections: true });
    await sleep(seconds(10));
    const flapUntil = Date.now() + seconds(15);
    for (let down = false; Date.now() < flapUntil; down = !down) {
      await stack.simulator.updateKnobs(flapper, { refuseConnections: down });
      await sleep(2_000);
    }
    await stack.simulator.updateKnobs(flapper, { refuseConnections: false });
  });
  // The share it has won back 30 s later: what it served of everything over the next 15 s.
  let share = 0;
  const after = await underLoad(stack, async () => {
    await sleep(30_000);
    const before = INSTANCES.map((name) => stack.served(name));
    await sleep(15_000);
    const gained = INSTANCES.map((name, index) => stack.served(name) - before[index]!);
    share = gained[2]! / gained.reduce((sum, count) => sum + count, 0);
  });
  const both = [outcome, after].reduce(
    ([plain, streams], [nextPlain, nextStreams]) =>
      [
        { sent: plain.sent + nextPlain.sent, failures: [...plain.failures, ...nextPlain.failures] },
        { sent: streams.sent + nextStreams.sent, failures: [...streams.failures, ...nextStreams.failures] },
      ] as [LoadOutcome, LoadOutcome],
  );
  return row(
    'one of 3 refusing 10 s, then flapping 15 s',
    both,
    `share ${(share * 100).toFixed(0)} % (fair 33 %) from 30 s after, over 15 s`,
  );
}

async function rejectedKey(stack: GatewayStack): Promise<Row> {
  const id = stack.ids.get('openai-b')!;
  let recovery = '';
  const outcome = await underLoad(stack, async () => {
    const started = Date.now();
    await admin(stack.manager.url)('PATCH', `/admin/instances/${id}`, { apiKey: 'sk-revoked-0000000000' });
    recovery = await timeUntil(async () => {
      const checks = (await (await fetch(`${stack.agent.address}/v1/health/checks/ai-provider-openai`)).json()) as {
        ServiceID: string;
        Status: string;
        Output: string;
      }[];
      const check = checks.find((entry) => entry.ServiceID === 'ai-provider-openai-openai-b');
      return check?.Status === 'critical' && check.Output.includes('credentials rejected');
    }, 30_000);
    await sleep(Math.max(0, seconds(10) - (Date.now() - started)));
    await admin(stack.manager.url)('PATCH', `/admin/instances/${id}`, { apiKey: 'sim-key-openai-b' });
  });
  return row('one of 3 with a rejected key', outcome, `critical "credentials rejected" in ${recovery}`);
}

async function overload(stack: GatewayStack): Promise<Row> {
  // A gateway of small capacity: 4 at once, 300 ms upstream, so about 13 requests/s; sent twice that.
  const gateway = await stack.startGateway({
    GATEWAY_MAX_IN_FLIGHT: '4',
    GATEWAY_MAX_QUEUED: '4',
    GATEWAY_MAX_QUEUE_WAIT_MS: '25',
  });
  for (const name of INSTANCES) await stack.simulator.updateKnobs(name, { latencyMs: 300 });
  const answers: Promise<{ status: number; ms: number }>[] = [];
  const until = Date.now() + seconds(10);
  while (Date.now() < until) {
    const started = performance.now();
    answers.push(
      stack.chat(ASK, {}, gateway).then(async (response) => {
        await response.arrayBuffer();
        return { status: response.status, ms: performance.now() - started };
      }),
    );
    await sleep(1000 / 26);
  }
  const results = await Promise.all(answers);
  for (const name of INSTANCES) await stack.simulator.updateKnobs(name, { latencyMs: null });
  const refused = results
    .filter((result) => result.status === 503)
    .map((result) => result.ms)
    .sort((a, b) => a - b);
  const accepted = results.filter((result) => result.status === 200);
  const p99 = refused[Math.min(refused.length - 1, Math.floor(refused.length * 0.99))] ?? 0;
  return {
    scenario: 'twice the capacity (4 slots, 300 ms upstream)',
    sent: results.length,
    failed: results.length - accepted.length - refused.length,
    brokenStreams: 0,
    recovery: `refused ${refused.length}, p99 ${p99.toFixed(1)} ms`,
    note: `${accepted.length} accepted, all finished`,
  };
}

function table(rows: Row[]): string {
  const lines = [
    '| scenario | sent | failed | broken streams | recovery |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.map(
      (entry) =>
        `| ${entry.scenario} | ${entry.sent} | ${entry.failed} | ${entry.brokenStreams} | ${entry.recovery}${entry.note ? `; ${entry.note}` : ''} |`,
    ),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  step(`Starting a private PostgreSQL and Redis, Consul, the simulator and the stack (load ${RATE}/s, scale ${SCALE})`);
  const [postgres, redis] = await Promise.all([PrivatePostgres.start(), PrivateRedis.start()]);
  let stack: GatewayStack | undefined;
  const stopAll = async () => {
    await stack?.stop().catch(() => undefined);
    await redis.halt();
    await postgres.destroy();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    stack = await GatewayStack.start({
      instances: INSTANCES.map((name) => ({ name, provider: 'openai' as const, models: ['gpt-4o'] })),
      databaseAdminUrl: postgres.adminUrl,
      redisUrl: redis.url,
    });
    const rows: Row[] = [];
    const scenarios: [string, () => Promise<Row>][] = [
      ['Postgres outage', () => postgresOutage(stack!, postgres)],
      ['Redis outage', () => redisOutage(stack!, redis)],
      ['Consul outage', () => consulOutage(stack!)],
      ['flapping instance', () => flapping(stack!)],
      ['rejected key', () => rejectedKey(stack!)],
      ['overload', () => overload(stack!)],
    ];
    for (const [name, scenario] of scenarios) {
      step(`Scenario: ${name}`);
      rows.push(await scenario());
      await stack.waitUntilUsable(INSTANCES, true, stack.gateways, 60_000).catch(() => undefined);
    }
    process.stdout.write(`\n${table(rows)}\n`);
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
