import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { ConsoleTab, launchBrowser } from '../support/browser.js';
import { GatewayStack } from '../support/gateway-stack.js';
import { admin, TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { waitFor } from '../support/wait.js';

const POLICY_KEY = 'switchboard/config/routing-policy';
const DEMO = ['openai-demo', 'claude-demo', 'zai-demo', 'perplexity-demo'] as const;
const FAILING = 'openai-demo';

interface AgentService {
  ID: string;
  Tags: string[];
  Meta: Record<string, string>;
}

/**
 * The operator console end to end in a real headless Chromium, against a real stack (Consul,
 * Postgres, Redis, the instance-manager, a gateway, the provider simulator): sign-in, the live
 * board, an instance failing and its alert, draining from the instance page as Consul shows it,
 * and the routing policy edited with a mistake, then fixed.
 */
describe('operator console in a browser', () => {
  let stack: GatewayStack;
  let browser: Browser;
  let tab: ConsoleTab;
  let call: ReturnType<typeof admin>;
  let alertsEngine = false;

  before(async () => {
    [stack, browser] = await Promise.all([
      GatewayStack.start({
        instances: DEMO.map((name) => ({ name, provider: name.replace('-demo', '') as 'openai' })),
        // One failed probe is critical, alerts are evaluated often and the gateway reports its
        // traffic often: what the console shows follows the simulator within a few seconds.
        managerEnv: {
          PROBE_INTERVAL_MS: '1000',
          HEALTH_CRITICAL_AFTER_FAILURES: '1',
          ALERT_EVAL_INTERVAL_MS: '250',
          REPORT_INTERVAL_MS: '500',
        },
        gatewayEnv: { REPORT_INTERVAL_MS: '500' },
      }),
      launchBrowser(),
    ]);
    call = admin(stack.manager.url);
    // Fire at once instead of after the default 30 s, so the test need not wait that long.
    const thresholds = await call('PUT', '/admin/alerts/thresholds', {
      rules: { ProviderInstanceCritical: { forSeconds: 0 } },
    });
    alertsEngine = thresholds.status !== 404;
    assert.ok(!alertsEngine || thresholds.status === 200, thresholds.text);
    tab = await ConsoleTab.open(browser);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('refuses a wrong token with a message, takes the right one, and never puts it in a URL or cookie', async () => {
    await tab.page.goto(`${stack.manager.url}/console`);
    assert.equal(new URL(tab.page.url()).pathname, '/console/', 'redirected to the directory');
    await tab.page.waitForSelector('#login-form', { visible: true });

    await tab.page.type('#login-token', 'not-the-admin-token-000');
    await tab.page.click('#login-form button[type=submit]');
    await tab.waitForText('#login-error', /not valid/);
    assert.equal(await tab.page.$eval('#topbar', (element) => (element as HTMLElement).hidden), true);

    await tab.fill('#login-token', TEST_ADMIN_TOKEN);
    await tab.page.click('#login-form button[type=submit]');
    await tab.page.waitForSelector('#instances-board', { visible: true });
    assert.equal(await tab.page.$eval('#login-token', (element) => (element as HTMLInputElement).value), '');

    await tab.page.reload();
    await tab.page.waitForSelector('#instances-board', { visible: true });
    assert.equal(await tab.page.$eval('#login', (element) => (element as HTMLElement).hidden), true, 'still signed in');
    const storage = await tab.page.evaluate(() => ({ cookie: document.cookie, session: { ...sessionStorage } }));
    assert.equal(storage.cookie, '');
    assert.deepEqual(Object.values(storage.session), [TEST_ADMIN_TOKEN]);
    assert.ok(tab.requestedUrls.length > 5, 'the page made its requests');
    assert.deepEqual(
      tab.requestedUrls.filter((url) => url.includes(TEST_ADMIN_TOKEN)),
      [],
      'the token is in no URL the page requested',
    );
  });

  it('shows every demo instance on the live board, passing', async () => {
    for (let sent = 0; sent < 8; sent += 1) {
      const chat = await stack.chat({ model: 'auto', messages: [{ role: 'user', content: `hello ${sent}` }] });
      assert.equal(chat.status, 200, await chat.text());
    }
    await tab.waitForCount('#instances-board tbody tr[data-status="passing"]', DEMO.length, 20_000);
    const names = await tab.page.$$eval('#instances-board tbody tr [data-field="name"]', (cells) =>
      cells.map((cell) => cell.textContent).sort(),
    );
    assert.deepEqual(names, [...DEMO].sort());
    await tab.waitForText('#overview-alerts', /No active alerts/);
    await tab.screenshot('console-overview-healthy');
  });

  it('pauses its refresh while the tab is hidden, and resumes when it is shown again', async () => {
    const other = await browser.newPage();
    await other.bringToFront();
    await tab.waitForText('#refresh-status', /^Paused while this tab is hidden$/);
    const polled = () => tab.requestedUrls.filter((url) => url.endsWith('/admin/monitoring/dashboard')).length;
    const whileHidden = polled();
    await tab.page.bringToFront();
    await other.close();
    await tab.waitForText('#refresh-status', /^Live/);
    await waitFor('a refresh after the tab is shown', () => polled() > whileHidden);
  });

  it('turns an instance critical when its provider fails, and shows the alert', async () => {
    const id = stack.ids.get(FAILING)!;
    const knobs = await fetch(`${stack.simulator.controlUrl}/instances/${FAILING}/knobs`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: { kind: 'server' } }),
    });
    assert.equal(knobs.status, 200, await knobs.text());
    await tab.waitForCount(`#instances-board tr[data-instance-id="${id}"][data-status="critical"]`, 1, 20_000);
    const first = await tab.page.$eval('#instances-board tbody tr', (row) => (row as HTMLElement).dataset.instanceId);
    assert.equal(first, id, 'the critical instance leads the board');
    if (!alertsEngine) assert.fail('GET/PUT /admin/alerts is missing on this instance-manager: no alert can appear');
    await tab.waitForText('#overview-alerts', new RegExp(`ProviderInstanceCritical[\\s\\S]*${FAILING}`), 20_000);
    await tab.screenshot('console-overview-critical');
  });

  it('drains the instance from its page, and Consul shows the draining tag and meta', async () => {
    const id = stack.ids.get(FAILING)!;
    await tab.page.click(`#instances-board tr[data-instance-id="${id}"] [data-field="name"] a`);
    await tab.waitForText('#view h1', new RegExp(FAILING));
    assert.match(tab.page.url(), new RegExp(`#/instances/${id}$`));
    await tab.waitForText('#instance-health', /critical/);
    await tab.waitForText('#recent-failures', /\S/);

    await tab.page.click('button[data-action="drain"]');
    await tab.waitForText('#action-result', /draining/);
    const serviceId = (await call('GET', '/admin/monitoring/dashboard')).body.instances.find(
      (instance: { id: string }) => instance.id === id,
    ).serviceId as string;
    const service = await waitFor('Consul to show the instance draining', async () => {
      const services = await stack.agent.api<Record<string, AgentService>>('GET', '/v1/agent/services');
      const registered = services[serviceId];
      return registered?.Tags.includes('draining') && registered.Meta.draining === 'true' ? registered : undefined;
    });
    assert.equal(service.Meta.draining, 'true');
    await tab.page.waitForFunction(() => {
      const drain = document.querySelector<HTMLButtonElement>('button[data-action="drain"]');
      const undrain = document.querySelector<HTMLButtonElement>('button[data-action="undrain"]');
      return drain?.disabled === true && undrain?.disabled === false;
    });
    await tab.screenshot('console-instance-drained');
  });

  it('shows a routing policy mistake next to the editor, then saves the fix', async () => {
    await tab.page.click('a[data-nav="routing"]');
    await tab.page.waitForFunction(
      () => document.querySelector<HTMLTextAreaElement>('#policy-editor')?.value.includes('"tiers"'),
      { polling: 100, timeout: 15_000 },
    );
    const stored = (await stack.consul.kvGet(POLICY_KEY)).body!;
    const policy = JSON.parse(
      await tab.page.$eval('#policy-editor', (element) => (element as HTMLTextAreaElement).value),
    );

    await tab.fill('#policy-editor', '{ "defaultTier": ');
    await tab.page.click('#policy-save');
    await tab.waitForText('#policy-problems', /not valid JSON/);

    await tab.fill('#policy-editor', JSON.stringify({ ...policy, defaultTier: 'nowhere' }, null, 2));
    await tab.page.click('#policy-save');
    await tab.waitForText('#policy-problems', /defaultTier: unknown tier 'nowhere'/);
    assert.equal((await stack.consul.kvGet(POLICY_KEY)).body!.ModifyIndex, stored.ModifyIndex, 'nothing was stored');
    await tab.screenshot('console-routing-mistake');

    await tab.fill('#policy-editor', JSON.stringify({ ...policy, defaultTier: 'fast' }, null, 2));
    await tab.page.click('#policy-save');
    await tab.waitForText('#policy-saved', /Saved: version \d+/);
    assert.equal(await tab.text('#policy-problems'), '');
    const saved = (await stack.consul.kvGet(POLICY_KEY)).body!;
    assert.ok(saved.ModifyIndex > stored.ModifyIndex);
    assert.equal(JSON.parse(saved.Value!).defaultTier, 'fast');

    // The tester routes by what was just saved: auto now goes to the fast tier first.
    await tab.page.click('#preview-run');
    await tab.page.waitForSelector('#preview-candidates tbody tr');
    const pools = await tab.page.$$eval('#preview-candidates tbody tr', (rows) =>
      rows.map((row) => (row as HTMLElement).dataset.pool),
    );
    assert.deepEqual(pools, ['openai/gpt-4o-mini', 'claude/claude-haiku-4-5', 'zai/glm-4.5-air']);
  });

  it('lists alerts with their history, and audit entries of what the console did', async () => {
    await tab.page.click('a[data-nav="alerts"]');
    if (alertsEngine)
      await tab.waitForText('#alerts-active', new RegExp(`ProviderInstanceCritical[\\s\\S]*${FAILING}`));
    await tab.page.click('a[data-nav="audit"]');
    await tab.waitForText('#audit-rows', /console\s*instance\.drain/);
    await tab.waitForText('#audit-rows', /console\s*routing_policy\.replace/);
  });

  it('serves its files with a policy that forbids inline scripts and other origins, and none was blocked', async () => {
    const page = await fetch(`${stack.manager.url}/console/`);
    assert.equal(page.status, 200);
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /script-src 'self'(;|$)/);
    assert.match(policy, /connect-src 'self'(;|$)/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|https?:/);
    assert.doesNotMatch(
      await page.text(),
      /<script>|<script(?![^>]*\bsrc=)[^>]*>|\son\w+=/,
      'no inline script or handler',
    );

    const uplot = await fetch(`${stack.manager.url}/console/vendor/uplot/uPlot.esm.js`);
    assert.equal(uplot.status, 200);
    assert.match(uplot.headers.get('content-type') ?? '', /javascript/);
    assert.equal(
      (await fetch(`${stack.manager.url}/console/vendor/uplot/uPlot.cjs.js`)).status,
      404,
      'only its two files',
    );
    assert.deepEqual(tab.problems, [], 'no page error, console error or blocked resource');
  });
});
