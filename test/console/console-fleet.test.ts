import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { ProviderSimulator } from '../../apps/provider-simulator/src/simulator.js';
import { AppProcess } from '../support/app-process.js';
import { ConsoleTab, launchBrowser } from '../support/browser.js';
import { ConsulAgent } from '../support/consul-agent.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { admin, instanceManagerEnv, TEST_ADMIN_TOKEN } from '../support/instance-manager-env.js';
import { freePorts } from '../support/ports.js';

const FLEET_SIZE = 500;
const PROVIDERS = ['openai', 'claude', 'zai', 'perplexity'] as const;
const CREATE_CONCURRENCY = 8;

/**
 * The overview with a fleet of 500 instances: the board shows every one from one dashboard request
 * per refresh, and a refresh updates rows in place instead of building the table again.
 */
describe('operator console with a fleet of 500 instances', () => {
  let agent: ConsulAgent;
  let database: TestDatabase;
  let simulator: ProviderSimulator;
  let manager: AppProcess;
  let browser: Browser;
  let call: ReturnType<typeof admin>;
  const ids: string[] = [];

  before(async () => {
    [agent, database, simulator, browser] = await Promise.all([
      ConsulAgent.start(),
      createTestDatabase(),
      ProviderSimulator.start({ controlPort: 0 }),
      launchBrowser(),
    ]);
    const [port] = await freePorts(1);
    manager = await AppProcess.start(
      'instance-manager',
      port!,
      // The board is what is measured: 500 instances are not probed during the test (their status
      // stays as Consul first registers it), and Consul is reconciled rarely, on a loaded machine.
      instanceManagerEnv(agent.address, database.url, { PROBE_INTERVAL_MS: '600000', RECONCILE_INTERVAL_MS: '30000' }),
    );
    call = admin(manager.url);
    const upstreams = await Promise.all(
      PROVIDERS.map((provider) =>
        simulator.addInstance({ id: `${provider}-upstream`, provider, apiKey: `sim-key-${provider}` }),
      ),
    );
    const names = Array.from({ length: FLEET_SIZE }, (_, index) => index);
    const createNext = async () => {
      for (let index = names.shift(); index !== undefined; index = names.shift()) {
        const provider = PROVIDERS[index % PROVIDERS.length]!;
        const created = await call('POST', '/admin/instances', {
          name: `fleet-${String(index).padStart(3, '0')}`,
          provider,
          baseUrl: upstreams[index % PROVIDERS.length]!.baseUrl,
          apiKey: `sim-key-${provider}`,
          models: [`model-${index % 10}`],
        });
        assert.equal(created.status, 201, created.text);
        ids.push(created.body.id);
      }
    };
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, createNext));
  });

  after(async () => {
    await browser?.close();
    await manager?.stop();
    await Promise.all([agent?.stop(), simulator?.stop()]);
    await database?.drop();
  });

  it('shows all 500 on the board, and a refresh changes a row in place without rebuilding the others', async (t) => {
    const tab = await ConsoleTab.open(browser);
    await tab.page.goto(`${manager.url}/console/`);
    await tab.page.waitForSelector('#login-form', { visible: true });
    await tab.fill('#login-token', TEST_ADMIN_TOKEN);
    const started = Date.now();
    await tab.page.click('#login-form button[type=submit]');
    await tab.waitForCount('#instances-board tbody tr', FLEET_SIZE, 30_000);
    t.diagnostic(`board of ${FLEET_SIZE} rows shown ${Date.now() - started} ms after signing in`);
    await tab.waitForText('.card', new RegExp(`^${FLEET_SIZE}instances$`));

    // Remember every row element; a rebuilt table would consist of new ones.
    await tab.page.evaluate(() => {
      const rows = new WeakSet(document.querySelectorAll('#instances-board tbody tr'));
      Object.assign(window, { boardRows: rows });
    });
    const target = ids[FLEET_SIZE - 1]!;
    const disabled = await call('POST', `/admin/instances/${target}/disable`);
    assert.equal(disabled.status, 200, disabled.text);
    const changed = Date.now();
    await tab.waitForText(`#instances-board tr[data-instance-id="${target}"] [data-field="flags"]`, /disabled/, 30_000);
    t.diagnostic(`the change showed ${Date.now() - changed} ms after it was made`);

    const board = await tab.page.evaluate(() => {
      const known = (window as unknown as { boardRows: WeakSet<Element> }).boardRows;
      const rows = [...document.querySelectorAll('#instances-board tbody tr')];
      return { rows: rows.length, rebuilt: rows.filter((row) => !known.has(row)).length };
    });
    assert.deepEqual(board, { rows: FLEET_SIZE, rebuilt: 0 });
    assert.match(await tab.text('#refresh-status'), /^Live/);
    await tab.screenshot('console-fleet');
    assert.deepEqual(tab.problems, []);
  });
});
