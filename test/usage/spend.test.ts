import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AppProcess } from '../support/app-process.js';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin, TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { PrivateRedis } from '../support/private-redis.js';
import { query } from '../support/usage-log.js';
import { waitFor } from '../support/wait.js';

/** USD per million tokens, as on the providers' pricing pages (libs/usage price-table.ts cites them). */
const PRICES = {
  'openai/gpt-4o': { input: 2.5, output: 10 },
  'claude/claude-sonnet-4-6': { input: 3, output: 15 },
  'zai/glm-4.6': { input: 0.6, output: 2.2 },
} as const;

interface LogRow {
  request_id: string;
  status: number;
  error_kind: string | null;
  served_provider: string | null;
  served_model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cached_tokens: number | null;
  cost_usd: string | null;
  stream: boolean;
  ttft_ms: number | null;
  format: string;
}

describe('usage and spend through two gateway replicas', () => {
  let redis: PrivateRedis;
  let stack: GatewayStack;
  let call: ReturnType<typeof admin>;

  before(async () => {
    // A Redis of its own: the budget bound below depends on Redis answering at once, which the
    // machine's shared one (busy with other suites) does not promise.
    redis = await PrivateRedis.start();
    stack = await GatewayStack.start({
      redisUrl: redis.url,
      gateways: 2,
      instances: [
        { name: 'openai-1', provider: 'openai' },
        { name: 'claude-1', provider: 'claude' },
        { name: 'zai-1', provider: 'zai' },
        { name: 'pplx-1', provider: 'perplexity' },
      ],
    });
    call = admin(stack.manager.url);
  });

  after(async () => {
    await stack?.stop();
    await redis?.halt();
  });

  async function createKey(limits: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const created = await call('POST', '/admin/client-keys', { name: `spec-${randomUUID().slice(0, 8)}`, ...limits });
    assert.equal(created.status, 201, created.text);
    return created.body;
  }

  async function send(
    gateway: AppProcess,
    format: 'openai' | 'anthropic',
    key: string,
    body: Record<string, unknown>,
    requestId = randomUUID(),
  ): Promise<{ status: number; headers: Headers; text: string; requestId: string }> {
    const path = format === 'openai' ? '/v1/chat/completions' : '/v1/messages';
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: {
        ...(format === 'openai'
          ? { authorization: `Bearer ${key}` }
          : { 'x-api-key': key, 'anthropic-version': '2023-06-01' }),
        'content-type': 'application/json',
        'x-request-id': requestId,
        'user-agent': 'usage-spec/1.0',
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, text: await response.text(), requestId };
  }

  async function logRow(requestId: string): Promise<LogRow> {
    return waitFor(`the request log row of ${requestId}`, async () => {
      const rows = await query<LogRow>(stack.database.url, 'SELECT * FROM request_log WHERE request_id = $1', [
        requestId,
      ]);
      return rows[0];
    });
  }

  function handPriced(pool: keyof typeof PRICES, row: LogRow): number {
    const price = PRICES[pool];
    return (row.input_tokens! * price.input + row.output_tokens! * price.output) / 1e6;
  }

  it('prices each provider from the usage it reported, streamed or not, without changing what the client gets', async () => {
    const { key } = await createKey({});
    for (const [pool, format] of [
      ['openai/gpt-4o', 'openai'],
      ['claude/claude-sonnet-4-6', 'anthropic'],
      ['zai/glm-4.6', 'openai'],
    ] as const) {
      const model = pool;
      const whole = await send(stack.gateways[0]!, format, key, {
        model,
        max_tokens: 200,
        messages: [{ role: 'user', content: `What does ${pool} cost?` }],
      });
      assert.equal(whole.status, 200, whole.text);
      const answer = JSON.parse(whole.text);
      const reported =
        format === 'openai'
          ? { input: answer.usage.prompt_tokens, output: answer.usage.completion_tokens }
          : { input: answer.usage.input_tokens, output: answer.usage.output_tokens };
      const wholeRow = await logRow(whole.requestId);
      assert.deepEqual({ input: wholeRow.input_tokens, output: wholeRow.output_tokens }, reported);
      assert.ok(
        Math.abs(Number(wholeRow.cost_usd) - handPriced(pool, wholeRow)) < 1e-9,
        `${pool}: ${wholeRow.cost_usd}`,
      );
      assert.equal(wholeRow.served_provider, pool.split('/')[0]);
      assert.equal(wholeRow.format, format);

      // Streamed without asking for usage: the client gets no usage chunk, the log still has it.
      const streamed = await send(stack.gateways[1]!, format, key, {
        model,
        max_tokens: 200,
        stream: true,
        messages: [{ role: 'user', content: `What does ${pool} cost?` }],
      });
      assert.equal(streamed.status, 200, streamed.text);
      if (format === 'openai')
        assert.doesNotMatch(streamed.text, /"usage"/, 'no usage chunk the client did not ask for');
      const streamRow = await logRow(streamed.requestId);
      assert.equal(streamRow.stream, true);
      assert.ok(streamRow.ttft_ms !== null);
      assert.deepEqual(
        { input: streamRow.input_tokens, output: streamRow.output_tokens },
        { input: wholeRow.input_tokens, output: wholeRow.output_tokens },
        'the same question costs the same tokens streamed or not',
      );
      assert.ok(Math.abs(Number(streamRow.cost_usd) - handPriced(pool, streamRow)) < 1e-9);
    }
  });

  it('keeps prompts and answers only for a key that asks, with credentials redacted', async () => {
    const secret = 'sk-proj-abcdef0123456789secret';
    const logging = await createKey({ logBodies: true });
    const quiet = await createKey({});
    const ask = { model: 'gpt-4o', messages: [{ role: 'user', content: `my key is ${secret}, keep it safe` }] };
    const logged = await send(stack.gateway, 'openai', logging.key, ask);
    const streamed = await send(stack.gateway, 'openai', logging.key, { ...ask, stream: true });
    const unlogged = await send(stack.gateway, 'openai', quiet.key, ask);
    for (const answer of [logged, streamed]) {
      const row = (await logRow(answer.requestId)) as LogRow & { prompt: string | null; answer: string | null };
      const prompt = row.prompt ?? '';
      assert.ok(prompt.includes('keep it safe'), 'the prompt is kept');
      assert.ok(!prompt.includes(secret), 'without the credential');
      assert.match(prompt, /\[redacted\]/);
      assert.match(row.answer ?? '', /^Simulated OpenAI reply to: my key is/);
    }
    const row = (await logRow(unlogged.requestId)) as LogRow & { prompt: string | null; answer: string | null };
    assert.deepEqual([row.prompt, row.answer], [null, null]);
  });

  it("takes Perplexity's own reported cost (tokens plus its request fee)", async () => {
    const { key } = await createKey({});
    const answer = await send(stack.gateway, 'openai', key, {
      model: 'perplexity/sonar',
      messages: [{ role: 'user', content: 'latest news on load balancers' }],
    });
    assert.equal(answer.status, 200, answer.text);
    const row = await logRow(answer.requestId);
    // sonar: $1 in, $1 out per million tokens, $5 per thousand requests (low search context).
    const expected = (row.input_tokens! + row.output_tokens!) / 1e6 + 0.005;
    assert.ok(Math.abs(Number(row.cost_usd) - expected) < 2e-6, `${row.cost_usd} vs ${expected}`);
  });

  it('charges an operator price override within the refresh, and audits it', async () => {
    const { key } = await createKey({});
    const listed = await call('GET', '/admin/prices');
    const shipped = listed.body.find((entry: { model: string }) => entry.model === 'gpt-4o-mini');
    assert.deepEqual([shipped.source, shipped.inputUsdPerMtok, shipped.outputUsdPerMtok], ['shipped', 0.15, 0.6]);
    assert.match(shipped.sourcePage, /openai/);

    const set = await call('PUT', '/admin/prices/openai/gpt-4o-mini', {
      inputUsdPerMtok: 100,
      outputUsdPerMtok: 1000,
      note: 'spec',
    });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.source, 'override');
    const row = await waitFor('the override to be charged', async () => {
      const answer = await send(stack.gateway, 'openai', key, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'priced by hand' }],
      });
      const logged = await logRow(answer.requestId);
      const expected = (logged.input_tokens! * 100 + logged.output_tokens! * 1000) / 1e6;
      return Math.abs(Number(logged.cost_usd) - expected) < 1e-9 ? logged : undefined;
    });
    assert.ok(Number(row.cost_usd) > 0);
    const audit = await call('GET', '/admin/audit');
    assert.ok(
      audit.body.some(
        (entry: { action: string; targetId: string }) =>
          entry.action === 'price.set' && entry.targetId === 'openai/gpt-4o-mini',
      ),
    );
    assert.equal((await call('DELETE', '/admin/prices/openai/gpt-4o-mini')).status, 204);
    assert.equal((await call('DELETE', '/admin/prices/openai/gpt-4o-mini')).status, 404);
    const invalid = await call('PUT', '/admin/prices/openai/gpt-4o-mini', { inputUsdPerMtok: -1, outputUsdPerMtok: 1 });
    assert.equal(invalid.status, 400);
    assert.match(invalid.text, /inputUsdPerMtok/);
  });

  it('refuses limits and prices the columns cannot hold, and a null name, with a 400 naming the field', async () => {
    const tooLarge = await call('POST', '/admin/client-keys', { name: 'too-rich', dailyBudgetUsd: 100_000_000 });
    assert.equal(tooLarge.status, 400, tooLarge.text);
    assert.match(tooLarge.text, /dailyBudgetUsd/);
    const monthly = await call('POST', '/admin/client-keys', { name: 'too-rich', monthlyBudgetUsd: 100_000_000 });
    assert.equal(monthly.status, 400, monthly.text);
    assert.match(monthly.text, /monthlyBudgetUsd/);
    const largest = await createKey({ dailyBudgetUsd: 99_999_999.999999, monthlyBudgetUsd: 99_999_999.999999 });
    const renamed = await call('PATCH', `/admin/client-keys/${largest.id}`, { name: null });
    assert.equal(renamed.status, 400, renamed.text);
    assert.match(renamed.text, /name/);
    assert.equal((await call('PATCH', `/admin/client-keys/${largest.id}`, { rateLimitRpm: null })).status, 200);

    const price = await call('PUT', '/admin/prices/openai/house-model', {
      inputUsdPerMtok: 1_000_000,
      outputUsdPerMtok: 1,
    });
    assert.equal(price.status, 400, price.text);
    assert.match(price.text, /inputUsdPerMtok/);
    const highest = await call('PUT', '/admin/prices/openai/house-model', {
      inputUsdPerMtok: 999_999.999999,
      outputUsdPerMtok: 999_999.999999,
    });
    assert.equal(highest.status, 200, highest.text);
    assert.equal((await call('DELETE', '/admin/prices/openai/house-model')).status, 204);
  });

  it('stops a key within one request of its daily budget while requests alternate between replicas', async () => {
    const budget = 0.003;
    const { id, key } = await createKey({ dailyBudgetUsd: budget });
    const ask = { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'spend a little' }] };
    const remaining: number[] = [];
    let refused: Awaited<ReturnType<typeof send>> | undefined;
    let sent = 0;
    let probes = 0;
    for (; sent < 60 && !refused; sent += 1) {
      const gateway = stack.gateways[sent % 2]!;
      // The replica hears the other's charge through Redis, racing this client's next request: wait
      // until it knows (a request for an unknown model spends nothing but carries the budget headers).
      const last = remaining.at(-1);
      if (last !== undefined)
        await waitFor(
          `replica ${sent % 2} to hear that $${last} is left`,
          async () => {
            probes += 1;
            const probe = await send(gateway, 'openai', key, { ...ask, model: 'budget-probe' });
            const left = probe.headers.get('x-switchboard-budget-daily-remaining-usd');
            return probe.status === 429 || (left !== null && Number(left) <= last);
          },
          5_000,
          20,
        );
      const answer = await send(gateway, 'openai', key, ask);
      if (answer.status === 200) remaining.push(Number(answer.headers.get('x-switchboard-budget-daily-remaining-usd')));
      else refused = answer;
    }
    assert.ok(refused, 'the key was stopped');
    assert.equal(refused.status, 429);
    assert.deepEqual(
      { type: JSON.parse(refused.text).error.type, code: JSON.parse(refused.text).error.code },
      { type: 'insufficient_quota', code: 'insufficient_quota' },
    );
    assert.ok(remaining.length >= 3, `${remaining.length} requests fit in the budget`);
    assert.ok(
      remaining.every((value, index) => index === 0 || value <= remaining[index - 1]!),
      `remaining budget only goes down: ${remaining.join(', ')}`,
    );

    const rows = await waitFor('every request of the key in the log', async () => {
      const found = await query<LogRow>(stack.database.url, 'SELECT * FROM request_log WHERE key_id = $1', [id]);
      return found.length === sent + probes ? found : undefined;
    });
    const served = rows.filter((row) => row.status === 200);
    const spent = served.reduce((sum, row) => sum + Number(row.cost_usd), 0);
    const largest = Math.max(...served.map((row) => Number(row.cost_usd)));
    // Charges are counted in millionths of a dollar: each may round half a millionth down.
    assert.ok(spent >= budget - served.length * 5e-7, `stopped at $${spent}, before reaching $${budget}`);
    assert.ok(spent <= budget + largest, `spent $${spent}: more than one request ($${largest}) over $${budget}`);

    // The other replica refuses it too, in the Anthropic format as a rate limit with a billing message.
    const other = stack.gateways[sent % 2]!;
    const anthropic = await send(other, 'anthropic', key, {
      model: 'openai/gpt-4o',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'one more?' }],
    });
    assert.equal(anthropic.status, 429, anthropic.text);
    const body = JSON.parse(anthropic.text);
    assert.equal(body.error.type, 'rate_limit_error');
    assert.match(body.error.message, /daily budget/);
  });

  it('enforces model allow-lists and expiry on both endpoints', async () => {
    const limited = await createKey({ allowedModels: ['gpt-4o-mini', 'claude-haiku-*'] });
    const openaiRefused = await send(stack.gateways[0]!, 'openai', limited.key, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(openaiRefused.status, 403, openaiRefused.text);
    const openaiError = JSON.parse(openaiRefused.text).error;
    assert.equal(openaiError.param, 'model');
    assert.match(openaiError.message, /'gpt-4o'/);
    const anthropicRefused = await send(stack.gateways[1]!, 'anthropic', limited.key, {
      model: 'claude-sonnet-4-6',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(anthropicRefused.status, 403, anthropicRefused.text);
    assert.equal(JSON.parse(anthropicRefused.text).error.type, 'permission_error');
    assert.match(JSON.parse(anthropicRefused.text).error.message, /'claude-sonnet-4-6'/);
    const allowed = await send(stack.gateways[1]!, 'anthropic', limited.key, {
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal((await logRow(openaiRefused.requestId)).error_kind, 'model_not_allowed');

    const expired = await createKey({ expiresAt: new Date(Date.now() - 60_000).toISOString() });
    for (const [gateway, format] of [
      [stack.gateways[0]!, 'openai'],
      [stack.gateways[1]!, 'anthropic'],
    ] as const) {
      const answer = await send(gateway, format, expired.key, {
        model: 'gpt-4o-mini',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.equal(answer.status, 401, answer.text);
      assert.match(answer.text, /expired at/);
    }

    // A key whose expiry is moved into the future works again once the gateways reload it.
    const extended = await call('PATCH', `/admin/client-keys/${expired.id}`, {
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    assert.equal(extended.status, 200, extended.text);
    await waitFor('the extended key to work', async () => {
      const answer = await send(stack.gateways[1]!, 'openai', expired.key, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      return answer.status === 200;
    });
  });

  it('lists exactly the requests the filters name, page by page, and exports them as CSV', async () => {
    const { id, key } = await createKey({ tokensPerMinute: 1_000_000 });
    const sent: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      const model = index % 2 === 0 ? 'gpt-4o' : 'zai/glm-4.6';
      const answer = await send(stack.gateways[index % 2]!, 'openai', key, {
        model,
        messages: [{ role: 'user', content: `q${index}` }],
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.headers.get('x-ratelimit-limit-tokens'), '1000000', 'the token limit is told');
      sent.push(answer.requestId);
    }
    const bad = await send(stack.gateway, 'openai', key, { model: 'gpt-4o', messages: 'not a list' });
    assert.equal(bad.status, 400);
    const range = `from=${new Date(Date.now() - 600_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    await waitFor('the key’s rows', async () => {
      const rows = await query(stack.database.url, 'SELECT 1 FROM request_log WHERE key_id = $1', [id]);
      return rows.length === 8;
    });

    const expected = (
      await query<{ id: string }>(
        stack.database.url,
        'SELECT id FROM request_log WHERE key_id = $1 ORDER BY time DESC, id DESC',
        [id],
      )
    ).map((row) => row.id);
    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await call(
        'GET',
        `/admin/requests?keyId=${id}&limit=3&${range}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200, page.text);
      walked.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    assert.deepEqual(walked, expected, 'every row once, newest first');
    assert.equal(pages, 3);

    const zai = await call('GET', `/admin/requests?keyId=${id}&provider=zai&${range}`);
    assert.deepEqual(
      zai.body.items.map((item: { requestId: string }) => item.requestId).sort(),
      sent.filter((_, index) => index % 2 === 1).sort(),
    );
    const gpt = await call('GET', `/admin/requests?keyId=${id}&model=gpt-4o&status=200&${range}`);
    assert.equal(gpt.body.items.length, 4);
    const refused = await call('GET', `/admin/requests?keyId=${id}&status=4xx&errorKind=invalid_request&${range}`);
    assert.deepEqual(
      refused.body.items.map((item: { requestId: string; status: number }) => [item.requestId, item.status]),
      [[bad.requestId, 400]],
    );
    const openapi = (await (await fetch(`${stack.manager.url}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    for (const path of ['/admin/usage', '/admin/requests', '/admin/prices', '/admin/client-keys/{id}'])
      assert.ok(openapi.paths[path], `${path} is in the OpenAPI document`);
    for (const schema of ['UsageReportDto', 'RequestPageDto', 'PriceDto', 'ClientKeyDto'])
      assert.ok(openapi.components.schemas[schema], `${schema} is described`);

    const badCursor = await call('GET', `/admin/requests?cursor=nonsense&${range}`);
    assert.equal(badCursor.status, 400);
    assert.match(badCursor.text, /cursor/);

    const csv = await fetch(`${stack.manager.url}/admin/requests?keyId=${id}&${range}`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, accept: 'text/csv' },
    });
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    assert.equal(lines.length, 9, 'a header and the 8 rows');
    assert.match(lines[0]!, /^time,id,requestId,keyId/);

    const usage = await call('GET', `/admin/usage?keyId=${id}&groupBy=provider,model&bucket=hour&${range}`);
    assert.equal(usage.status, 200, usage.text);
    const byModel: Record<string, number> = {};
    for (const row of usage.body.rows as { provider: string; model: string; requests: number }[])
      byModel[`${row.provider}/${row.model}`] = (byModel[`${row.provider}/${row.model}`] ?? 0) + row.requests;
    assert.deepEqual(byModel, { 'openai/gpt-4o': 4, 'zai/glm-4.6': 3, '/gpt-4o': 1 });
  });
});
