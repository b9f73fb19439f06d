import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppProcess } from '../support/app-process.js';
import { GatewayStack, TEST_CLIENT_KEY } from '../support/gateway-stack.js';
import { waitFor } from '../support/wait.js';

const hello = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });

/** One chat on a connection of its own, so the primary hands it to the next worker in turn. */
function chatOnNewConnection(gatewayUrl: string): Promise<number> {
  const url = new URL('/v1/chat/completions', gatewayUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${TEST_CLIENT_KEY}`,
          'content-type': 'application/json',
          connection: 'close',
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(hello);
  });
}

function workerPids(primaryPid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primaryPid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there is no child
  }
}

function successCount(metrics: string): number {
  return [...metrics.matchAll(/^switchboard_chat_requests_total\{[^}]*outcome="success"[^}]*\} (\d+)$/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

describe('api-gateway with GATEWAY_WORKERS=2: two processes on one port', () => {
  let stack: GatewayStack;

  before(async () => {
    stack = await GatewayStack.start({
      instances: [{ name: 'openai-a', provider: 'openai', models: ['gpt-4o'] }],
      gatewayEnv: { GATEWAY_WORKERS: '2' },
    });
    await waitFor('both workers to listen', () => stack.gateway.logs.split('listening on').length - 1 >= 2, 30_000);
  });

  after(async () => {
    await stack?.stop();
  });

  it('serves from both workers and sums their metrics on /metrics', async () => {
    assert.equal(workerPids(stack.gateway.pid).length, 2, 'the primary runs two workers');
    const statuses: number[] = [];
    for (let index = 0; index < 20; index += 1) statuses.push(await chatOnNewConnection(stack.gateway.url));
    assert.deepEqual(
      statuses.filter((status) => status !== 200),
      [],
    );
    // Every scrape lands on one worker; it must still count the other's requests.
    for (let scrape = 0; scrape < 4; scrape += 1) {
      const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
      assert.equal(successCount(metrics), 20, 'the 20 chats of both workers, summed');
    }
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [victim, survivor] = workerPids(stack.gateway.pid);
    process.kill(victim!, 'SIGKILL');
    // Once the primary has seen the death, it hands no connection to that worker any more.
    await waitFor(
      'the primary to see the worker die',
      () => /worker \d+ exited \(SIGKILL\)/.test(stack.gateway.logs),
      10_000,
    );
    for (let index = 0; index < 10; index += 1)
      assert.equal(await chatOnNewConnection(stack.gateway.url), 200, 'served by the remaining worker');
    await waitFor(
      'a new worker in place of the dead one',
      () => {
        const pids = workerPids(stack.gateway.pid);
        return pids.length === 2 && pids.includes(survivor!) && !pids.includes(victim!);
      },
      20_000,
      100,
    );
    assert.match(stack.gateway.logs, /worker \d+ exited \(SIGKILL\); starting another in \d+ ms/);
  });

  it('exits 1 when its workers cannot start (a port in use), instead of restarting them forever', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const blocked = AppProcess.spawn('api-gateway', port, { ...stack.env, GATEWAY_WORKERS: '2' });
      const exit = await Promise.race([
        blocked.exited,
        sleep(30_000, undefined, { ref: false }).then(() => {
          blocked.kill('SIGKILL');
          return { code: null, signal: 'timeout' };
        }),
      ]);
      assert.equal(exit.code, 1, blocked.logs.slice(-1_000));
      assert.match(blocked.logs, /EADDRINUSE/);
      assert.match(blocked.logs, /before any worker listened; stopping/);
    } finally {
      holder.close();
    }
  });
});
