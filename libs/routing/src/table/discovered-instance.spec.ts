import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServiceHealthEntry } from '@switchboard/consul';
import { discoveredInstance, discoveredKeyProblem, offersDiscovery } from './discovered-instance.js';
import { type CatalogInstance, InstanceTable } from './instance-table.js';

function entry(meta: Record<string, string>, address = '10.0.0.7', port = 8000): ServiceHealthEntry {
  return {
    Node: { Node: 'gpu-1', Address: '10.0.0.1' },
    Service: {
      ID: 'vllm-a',
      Service: 'ai-provider-openai-compatible',
      Address: address,
      Port: port,
      Tags: [],
      Meta: meta,
    },
    Checks: [],
  };
}

describe('discovered instances', () => {
  test('meta becomes a catalog row with defaults for what it leaves out', () => {
    const discovery = discoveredInstance(entry({ switchboard_models: 'llama-3-70b, qwen-2' }), 'openai_compatible');
    assert.ok('instance' in discovery);
    const { row, apiKeyEnv } = discovery.instance;
    assert.equal(row.id, 'consul:vllm-a');
    assert.equal(row.baseUrl, 'http://10.0.0.7:8000/v1');
    assert.deepEqual(row.models, ['llama-3-70b', 'qwen-2']);
    assert.equal(row.weight, 100);
    assert.equal(row.priority, 0);
    assert.equal(row.discovered, true);
    assert.equal(apiKeyEnv, undefined);
  });

  test('the node address stands in for a service without one; IPv6 is bracketed; base path and scheme come from meta', () => {
    const fromNode = discoveredInstance(entry({ switchboard_models: 'm' }, ''), 'openai');
    assert.ok('instance' in fromNode && fromNode.instance.row.baseUrl === 'http://10.0.0.1:8000/v1');
    const v6 = discoveredInstance(
      entry(
        { switchboard_models: 'm', switchboard_base_path: '/api/v1/', switchboard_scheme: 'https' },
        'fd00::7',
        443,
      ),
      'openai',
    );
    assert.ok('instance' in v6 && v6.instance.row.baseUrl === 'https://[fd00::7]:443/api/v1');
  });

  test('bad meta is refused with the key named', () => {
    for (const [meta, key] of [
      [{ switchboard_models: ' , ' }, 'switchboard_models'],
      [{ switchboard_models: 'm', switchboard_weight: '1.5' }, 'switchboard_weight'],
      [{ switchboard_models: 'm', switchboard_priority: '-1' }, 'switchboard_priority'],
      [{ switchboard_models: 'm', switchboard_base_path: 'v1' }, 'switchboard_base_path'],
      [{ switchboard_models: 'm', switchboard_scheme: 'ftp' }, 'switchboard_scheme'],
    ] as const) {
      const discovery = discoveredInstance(entry(meta), 'openai');
      assert.ok('problem' in discovery, JSON.stringify(meta));
      assert.match(discovery.problem, new RegExp(key));
    }
  });

  test('a managed registration never counts as discovered', () => {
    assert.equal(offersDiscovery(entry({ switchboard_models: 'm' }), 'switchboard_instance_id'), true);
    assert.equal(
      offersDiscovery(entry({ switchboard_models: 'm', switchboard_instance_id: 'uuid' }), 'switchboard_instance_id'),
      false,
    );
    assert.equal(offersDiscovery(entry({}), 'switchboard_instance_id'), false);
  });

  test('the table routes a discovered endpoint once a managed instance serves it, and follows its critical check', () => {
    const table = new InstanceTable();
    const discovery = discoveredInstance(entry({ switchboard_models: 'm' }), 'openai');
    assert.ok('instance' in discovery);
    table.replaceDiscovered('openai', [discovery.instance.row]);
    assert.deepEqual(
      table.pool('openai/m').map((member) => member.id),
      ['consul:vllm-a'],
    );
    const managed: CatalogInstance = {
      ...discovery.instance.row,
      id: 'uuid-1',
      name: 'adopted',
      discovered: undefined,
    };
    table.replaceCatalog([managed]);
    assert.deepEqual(
      table.pool('openai/m').map((member) => member.id),
      ['uuid-1'],
    );
    table.replaceCatalog([]);
    const back = table.get('consul:vllm-a')!;
    // Recent successful traffic does not overrule a self-registered server's own failing check.
    back.observed.lastSuccessAt = Date.now();
    table.setConsulStatus(back.id, 'critical', false);
    assert.equal(table.statusOf(back), 'critical');
  });

  test("a registration may name only a discovered server's key variable, never a managed instance's", () => {
    const prefixes = {
      DISCOVERED_KEY_ENV_PREFIX: 'SWITCHBOARD_DISCOVERED_KEY_',
      INSTANCE_KEY_ENV_PREFIX: 'SWITCHBOARD_PROVIDER_KEY_',
    };
    assert.equal(discoveredKeyProblem('SWITCHBOARD_DISCOVERED_KEY_VLLM', prefixes), undefined);
    assert.match(
      discoveredKeyProblem('SWITCHBOARD_PROVIDER_KEY_OPENAI', prefixes)!,
      /may only use variables starting with SWITCHBOARD_DISCOVERED_KEY_/,
    );
    assert.match(discoveredKeyProblem('HOME', prefixes)!, /DISCOVERED_KEY_ENV_PREFIX/);
    // Prefixes set to overlap: the managed side wins.
    const overlapping = { DISCOVERED_KEY_ENV_PREFIX: 'KEY_', INSTANCE_KEY_ENV_PREFIX: 'KEY_MANAGED_' };
    assert.match(discoveredKeyProblem('KEY_MANAGED_OPENAI', overlapping)!, /a managed instance's key variable/);
  });
});
