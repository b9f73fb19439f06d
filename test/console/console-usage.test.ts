import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { ConsoleTab, launchBrowser } from '../support/browser.js';
import { GatewayStack, TEST_CLIENT_KEY } from '../support/gateway-stack.js';
import { admin, TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { waitFor } from '../support/wait.js';

/** A model the instance serves but the price table does not know: its cost is unknown, not zero. */
const UNPRICED_MODEL = 'house-model';

interface LogItem {
  id: string;
  status: number;
  requestedModel: string | null;
}

/**
 * The console's usage and request log pages in a real Chromium, against a real stack: the figures
 * shown are the admin API's for the same range, the filters narrow the log to exactly the rows the
 * API names, "Load more" walks the pages, and the CSV export downloads every matching row.
 */
describe('console usage and request pages in a browser', () => {
  let stack: GatewayStack;
  let browser: Browser;
  let tab: ConsoleTab;
  let call: ReturnType<typeof admin>;
  let downloads: string;
  /** Newest first, as GET /admin/requests lists them. */
  let logged: LogItem[];
  let limitedKeyName: string;

  async function chat(key: string, model: string): Promise<number> {
    const response = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: `hello ${model}` }] }),
    });
    await response.text();
    return response.status;
  }

  const range = () =>
    `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;

  before(async () => {
    [stack, browser, downloads] = await Promise.all([
      GatewayStack.start({
        instances: [{ name: 'openai-usage', provider: 'openai', models: ['gpt-4o', 'gpt-4o-mini', UNPRICED_MODEL] }],
        gatewayEnv: { REQUEST_LOG_FLUSH_MS: '200' },
      }),
      launchBrowser(),
      mkdtemp(join(tmpdir(), 'console-downloads-')),
    ]);
    call = admin(stack.manager.url);
    limitedKeyName = 'mini-only-app';
    const limited = await call('POST', '/admin/client-keys', { name: limitedKeyName, allowedModels: ['gpt-4o-mini'] });
    assert.equal(limited.status, 201, limited.text);

    for (let sent = 0; sent < 5; sent += 1) assert.equal(await chat(TEST_CLIENT_KEY, 'gpt-4o'), 200);
    for (let sent = 0; sent < 2; sent += 1) assert.equal(await chat(TEST_CLIENT_KEY, UNPRICED_MODEL), 200);
    // The gateway learns a new key within CATALOG_REFRESH_MS; an unknown key is not logged.
    await waitFor(
      'the gateway to accept the new key',
      async () => (await chat(limited.body.key, 'gpt-4o-mini')) === 200,
    );
    assert.equal(await chat(limited.body.key, 'gpt-4o'), 403, 'gpt-4o is outside the key’s allow-list');

    logged = await waitFor('the 9 requests in the log', async () => {
      const page = await call('GET', `/admin/requests?${range()}`);
      return page.body.items.length === 9 ? (page.body.items as LogItem[]) : undefined;
    });

    const session = await browser.target().createCDPSession();
    await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    tab = await ConsoleTab.open(browser);
    await tab.page.goto(`${stack.manager.url}/console/`);
    await tab.page.waitForSelector('#login-form', { visible: true });
    await tab.fill('#login-token', TEST_ADMIN_TOKEN);
    await tab.page.click('#login-form button[type=submit]');
    await tab.page.waitForSelector('#instances-board', { visible: true });
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (downloads) await rm(downloads, { recursive: true, force: true });
  });

  it('shows the totals GET /admin/usage gives for the same range, a chart with data, and tables by key and model', async () => {
    await tab.page.click('a[data-nav="usage"]');
    await tab.waitForText('#usage-totals [data-total="requests"]', /^9$/);
    const shown = await tab.page.$eval('#usage-totals', (element) => {
      const value = (total: string) =>
        Number((element.querySelector(`[data-total="${total}"]`) as HTMLElement).dataset.value);
      const { from, to, bucket } = (element as HTMLElement).dataset;
      return {
        from,
        to,
        bucket,
        requests: value('requests'),
        cost: value('cost'),
        unpriced: value('unpricedRequests'),
      };
    });
    assert.equal(shown.bucket, 'hour', 'the default range is the last 24 hours by hour');
    const report = await call(
      'GET',
      `/admin/usage?from=${encodeURIComponent(shown.from!)}&to=${encodeURIComponent(shown.to!)}&bucket=hour`,
    );
    assert.equal(report.status, 200, report.text);
    const rows = report.body.rows as { requests: number; costUsd: number; unpricedRequests: number }[];
    const total = (field: 'requests' | 'costUsd' | 'unpricedRequests') =>
      rows.reduce((sum, row) => sum + row[field], 0);
    assert.equal(shown.requests, total('requests'));
    assert.ok(Math.abs(shown.cost - total('costUsd')) < 1e-12, `cost ${shown.cost} vs ${total('costUsd')}`);
    assert.ok(shown.cost > 0, 'gpt-4o is priced');
    assert.equal(shown.unpriced, 2);
    assert.match(await tab.text('#usage-totals [data-total="cost"]'), /^\$[\d.,]+ \+ unknown \(2 unpriced\)$/);

    for (const chart of ['#usage-chart-key', '#usage-chart-model']) {
      const points = await tab.page.$eval(chart, (element) => Number((element as HTMLElement).dataset.points));
      assert.ok(points > 0, `${chart} has data`);
      assert.equal(await tab.count(`${chart} canvas`), 1, `${chart} is drawn`);
    }

    const byKey = await tab.page.$$eval('#usage-by-key tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    assert.deepEqual(byKey.map((cells) => [cells[0], cells[1]]).sort(), [
      ['bootstrap', '7'],
      [limitedKeyName, '2'],
    ]);
    const modelCost = (model: string) => tab.text(`#usage-by-model tr[data-model="${model}"] td:nth-child(6)`);
    assert.equal(await modelCost(UNPRICED_MODEL), 'unknown', 'an unknown cost is not $0');
    assert.match(await modelCost('gpt-4o'), /^\$\d/);
    assert.match(await modelCost('gpt-4o-mini'), /^\$\d/);
    await tab.screenshot('console-usage');
  });

  it('lists the requests GET /admin/requests gives, filtered to exactly the rows asked for, a page at a time', async () => {
    const rowIds = () =>
      tab.page.$$eval('#requests-rows tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.requestId));
    await tab.page.click('a[data-nav="requests"]');
    await tab.waitForCount('#requests-rows tr', 9);
    assert.deepEqual(
      await rowIds(),
      logged.map((item) => item.id),
    );

    await tab.page.select('#requests-status', '4xx');
    await tab.waitForCount('#requests-rows tr', 1);
    const refused = logged.filter((item) => item.status >= 400);
    assert.equal(refused.length, 1);
    assert.deepEqual(await rowIds(), [refused[0]!.id]);
    assert.match(tab.page.url(), /#\/requests\?status=4xx$/, 'the address keeps the filter');

    await tab.page.select('#requests-status', '');
    await tab.fill('#requests-model', UNPRICED_MODEL);
    await tab.page.click('#requests-filters button[type=submit]');
    await tab.waitForCount('#requests-rows tr', 2);
    const unpriced = await call('GET', `/admin/requests?model=${UNPRICED_MODEL}&${range()}`);
    assert.deepEqual(
      await rowIds(),
      unpriced.body.items.map((item: LogItem) => item.id),
    );
    assert.deepEqual(
      await tab.page.$$eval('#requests-rows td[data-field="cost"]', (tds) => tds.map((td) => td.textContent)),
      ['unknown', 'unknown'],
    );

    await tab.fill('#requests-model', '');
    await tab.fill('#requests-limit', '4');
    await tab.page.click('#requests-filters button[type=submit]');
    await tab.waitForCount('#requests-rows tr', 4);
    await tab.page.click('#requests-more');
    await tab.waitForCount('#requests-rows tr', 8);
    await tab.page.click('#requests-more');
    await tab.waitForCount('#requests-rows tr', 9);
    assert.deepEqual(
      await rowIds(),
      logged.map((item) => item.id),
      'every row once, newest first',
    );
    assert.equal(await tab.page.$eval('#requests-more', (button) => (button as HTMLElement).hidden), true);
  });

  it('shows one request in detail, without any secret', async () => {
    const served = logged.find((item) => item.requestedModel === 'gpt-4o' && item.status === 200)!;
    await tab.page.click(`#requests-rows tr[data-request-id="${served.id}"]`);
    await tab.waitForText('#request-detail dd[data-field="log-id"]', new RegExp(`^${served.id}$`));
    const field = (name: string) => tab.text(`#request-detail dd[data-field="${name}"]`);
    assert.equal(await field('attempts'), '1');
    assert.equal(await field('fallbacks'), '0');
    assert.equal(await field('status'), '200');
    assert.match(await field('input-tokens'), /^\d+$/);
    assert.match(await field('cost'), /^\$\d/);
    assert.match(await field('latency'), /\d+ (ms|s)$/);
    assert.match(await field('served-by'), /^openai \/ gpt-4o/);
    const detail = await tab.text('#request-detail');
    for (const secret of [TEST_CLIENT_KEY, TEST_ADMIN_TOKEN, 'sim-key-openai-usage'])
      assert.ok(!detail.includes(secret), 'no secret in the detail');
    await tab.screenshot('console-requests');
  });

  it('exports every matching request as CSV through fetch, never with the token in a URL', async () => {
    // The page shows 4 rows a page; the export follows the cursor to the end.
    await tab.page.click('#requests-export');
    await tab.waitForText('#requests-export-status', /^Exported 9 requests to requests-.*\.csv$/);
    const file = await waitFor('the CSV file to be downloaded', async () => {
      const names = await readdir(downloads);
      return names.find((name) => name.endsWith('.csv'));
    });
    const lines = (await readFile(join(downloads, file), 'utf8')).trimEnd().split('\r\n');
    assert.match(lines[0]!, /^time,id,requestId,keyId/);
    assert.equal(lines.length, 10, 'a header and the 9 requests');
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(',')[1]),
      logged.map((item) => item.id),
    );

    assert.deepEqual(
      tab.requestedUrls.filter((url) => url.includes(TEST_ADMIN_TOKEN)),
      [],
    );
    assert.deepEqual(tab.problems, [], 'no page error, console error or CSP violation');
  });
});
