import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { prometheusDir } from '../support/prometheus.js';
import { alertRules, dashboardQueries, observabilityDir, readShipped } from './observability-config.js';

const run = promisify(execFile);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(join(prometheusDir(), 'promtool'), args, { cwd: observabilityDir });
    return stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${failed.stdout ?? ''}${failed.stderr ?? failed.message}`);
  }
}

describe('observability files: promtool and the dashboard', () => {
  it('promtool accepts prometheus.yml (consul_sd_configs and relabeling included)', async () => {
    // --syntax-only: the file names paths inside the Prometheus container (rules, secrets).
    assert.match(await promtool('check', 'config', '--syntax-only', 'prometheus.yml'), /is valid prometheus config/);
  });

  it('promtool accepts every rule in alerts.yml', async () => {
    const output = await promtool('check', 'rules', 'alerts.yml');
    assert.match(output, new RegExp(`SUCCESS: ${alertRules().length} rules found`));
  });

  it('the unit tests of alerts.test.yml pass, and cover each rule firing and not firing', async () => {
    assert.match(await promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
    const tests = readShipped('alerts.test.yml');
    for (const { name } of alertRules()) {
      const cases = [...tests.matchAll(new RegExp(`alertname: ${name}\\n\\s+exp_alerts:( \\[\\])?\\n`, 'g'))];
      assert.ok(
        cases.some((match) => match[1] === undefined),
        `${name}: no case in alerts.test.yml where it fires`,
      );
      assert.ok(
        cases.some((match) => match[1] !== undefined),
        `${name}: no case in alerts.test.yml where it stays silent`,
      );
    }
  });

  it('every dashboard query uses the provisioned Prometheus datasource', () => {
    const provisioned = /uid: (\S+)/.exec(readShipped('grafana/provisioning/datasources/prometheus.yml'))![1];
    const dashboard = readShipped('grafana/dashboards/switchboard.json');
    const uids = new Set([...dashboard.matchAll(/"uid": "([^"]+)"/g)].map((match) => match[1]));
    uids.delete('switchboard-overview');
    assert.deepEqual([...uids], [provisioned]);
    assert.ok(dashboardQueries('5m').length >= 20, 'the dashboard has its queries');
  });
});
