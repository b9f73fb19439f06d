import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConsulAgent } from '../support/consul-agent.js';
import { consulApi, runConsulScript } from '../support/consul-scripts.js';

const DAY_MS = 24 * 60 * 60 * 1000;

interface AclToken {
  AccessorID: string;
  SecretID?: string;
  Description: string;
  Policies?: { Name: string }[];
}

describe('backup_consul.sh and restore_consul.sh against a Consul with ACLs', () => {
  let agent: ConsulAgent;
  let work: string;
  let backups: string;
  let managementTokenFile: string;
  const api = <T>(method: string, path: string, body?: unknown) =>
    consulApi<T>(agent.address, agent.managementToken!, method, path, body);
  /** Every key under switchboard/ as key=value, in key order. */
  const switchboardKeys = async () =>
    ((await api<{ Key: string; Value: string | null }[]>('GET', '/v1/kv/switchboard/?recurse=true')) ?? []).map(
      (entry) => `${entry.Key}=${Buffer.from(entry.Value ?? '', 'base64').toString()}`,
    );

  before(async () => {
    agent = await ConsulAgent.start({ acl: true });
    work = await mkdtemp(join(tmpdir(), 'consul-backup-test-'));
    backups = join(work, 'backups');
    managementTokenFile = join(work, 'management-token');
    await writeFile(managementTokenFile, `${agent.managementToken}\n`, { mode: 0o600 });
  });

  after(async () => {
    await agent?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('backs up, drops backups past the retention, and restores KV and ACL state', async () => {
    // What an operator would lose: run-time configuration, and a policy with a token of its own.
    const policy = '{"strategy":"weighted"}';
    await api('PUT', '/v1/kv/switchboard/config/routing-policy', policy);
    await api('PUT', '/v1/kv/switchboard/config/feature-flags', '{"streaming":true}');
    const rules = await readFile(new URL('../../../consul/acl/service-registration.hcl', import.meta.url), 'utf8');
    await api('PUT', '/v1/acl/policy', { Name: 'switchboard-services', Rules: rules });
    const appToken = (await api<AclToken>('PUT', '/v1/acl/token', {
      Description: 'Switchboard apps',
      Policies: [{ Name: 'switchboard-services' }],
    }))!;

    // Earlier backups: one past the 7-day retention, one within it, and a directory the script did not make.
    await mkdir(backups, { recursive: true });
    const expired = join(backups, 'consul-20200101T000000Z');
    const recent = join(backups, 'consul-20200102T000000Z');
    const foreign = join(backups, 'notes');
    for (const [dir, ageDays] of [
      [expired, 8],
      [recent, 6],
      [foreign, 30],
    ] as const) {
      await mkdir(dir);
      await writeFile(join(dir, 'consul.snap'), 'old');
      const mtime = new Date(Date.now() - ageDays * DAY_MS);
      await utimes(dir, mtime, mtime);
    }

    const backup = await runConsulScript('backup_consul.sh', ['--token-file', managementTokenFile], {
      CONSUL_HTTP_ADDR: agent.address,
      BACKUP_DIR: backups,
      BACKUP_RETENTION_DAYS: '7',
    });
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(
      backup.stdout,
      /^Backup complete: .*consul-\d{8}T\d{6}Z \(snapshot index \d+, \d+ bytes; .*\); 1 older backup\(s\) removed$/m,
    );
    for (const secret of [agent.managementToken!, appToken.SecretID!])
      assert.ok(!`${backup.stdout}${backup.stderr}`.includes(secret), 'the script printed a token secret');

    assert.equal(existsSync(expired), false, 'the backup past the retention is deleted');
    assert.equal(existsSync(recent), true, 'the backup within the retention is kept');
    assert.equal(existsSync(foreign), true, 'a directory the script did not make is left alone');
    const made = (await readdir(backups)).filter(
      (name) => /^consul-\d{8}T\d{6}Z$/.test(name) && name !== 'consul-20200102T000000Z',
    );
    assert.equal(made.length, 1, `one new backup, got ${made.join(', ')}`);
    const dir = join(backups, made[0]!);
    assert.deepEqual((await readdir(dir)).sort(), [
      'SHA256SUMS',
      'acl',
      'config.tar.gz',
      'consul.snap',
      'snapshot-inspect.json',
    ]);
    const inspected = JSON.parse(await readFile(join(dir, 'snapshot-inspect.json'), 'utf8')) as {
      Meta: { Index: number };
    };
    assert.ok(inspected.Meta.Index > 0);

    const policies = JSON.parse(await readFile(join(dir, 'acl/policies.json'), 'utf8')) as {
      Name: string;
      Rules: string;
    }[];
    assert.equal(policies.find((entry) => entry.Name === 'switchboard-services')?.Rules, rules);
    const tokensText = await readFile(join(dir, 'acl/tokens.json'), 'utf8');
    const tokens = JSON.parse(tokensText) as AclToken[];
    assert.ok(tokens.some((token) => token.AccessorID === appToken.AccessorID));
    assert.ok(
      !tokensText.includes(appToken.SecretID!) && !tokensText.includes('SecretID'),
      'the token list holds no secret',
    );
    const archived = execFileSync('tar', ['-tzf', join(dir, 'config.tar.gz')], { encoding: 'utf8' }).split('\n');
    for (const file of ['consul/config/server.hcl', 'consul/acl/service-registration.hcl', 'consul/acl/README.md'])
      assert.ok(archived.includes(file), `${file} is archived`);

    // The disaster: configuration wiped, the policy and its token deleted, a stray key written.
    await api('DELETE', '/v1/kv/switchboard/?recurse=true');
    await api('DELETE', `/v1/acl/token/${appToken.AccessorID}`);
    const deletedPolicy = (await api<{ ID: string }>('GET', '/v1/acl/policy/name/switchboard-services'))!;
    await api('DELETE', `/v1/acl/policy/${deletedPolicy.ID}`);
    await api('PUT', '/v1/kv/switchboard/config/written-after-the-backup', 'x');

    // Without a terminal and without --yes, nothing happens.
    const env = { CONSUL_HTTP_ADDR: agent.address, CONSUL_HTTP_TOKEN_FILE: managementTokenFile };
    const unconfirmed = await runConsulScript('restore_consul.sh', [dir], env);
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stderr, /rerun with --yes/);
    assert.deepEqual(await switchboardKeys(), ['switchboard/config/written-after-the-backup=x']);

    const restore = await runConsulScript('restore_consul.sh', ['--yes', dir], env);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(
      restore.stderr,
      /\[1\/4\] Inspecting[\s\S]*\[3\/4\] Restoring[\s\S]*KV readable: 2 key\(s\) under switchboard\//,
    );
    assert.match(
      restore.stdout,
      /^Restore complete: .*consul\.snap \(index \d+\) into http:\/\/127\.0\.0\.1:\d+; leader .+; 2 key\(s\) under switchboard\/$/m,
    );

    assert.deepEqual(await switchboardKeys(), [
      'switchboard/config/feature-flags={"streaming":true}',
      `switchboard/config/routing-policy=${policy}`,
    ]);
    const restoredToken = await api<AclToken>('GET', `/v1/acl/token/${appToken.AccessorID}`);
    assert.equal(restoredToken?.Description, 'Switchboard apps');
    assert.deepEqual(
      restoredToken?.Policies?.map((entry) => entry.Name),
      ['switchboard-services'],
    );
    // The restored token works again, with the restored policy's rules.
    const read = await consulApi<{ Value: string }[]>(
      agent.address,
      appToken.SecretID!,
      'GET',
      '/v1/kv/switchboard/config/routing-policy',
    );
    assert.equal(Buffer.from(read![0]!.Value, 'base64').toString(), policy);
  });

  it('refuses a damaged snapshot before touching the cluster, and leaves no backup behind a refused token', async () => {
    await api('PUT', '/v1/kv/switchboard/config/canary', 'still-here');
    const damaged = join(work, 'damaged.snap');
    await writeFile(damaged, 'not a snapshot');
    const restore = await runConsulScript('restore_consul.sh', ['--yes', damaged], {
      CONSUL_HTTP_ADDR: agent.address,
      CONSUL_HTTP_TOKEN: agent.managementToken!,
    });
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /does not inspect as a Consul snapshot .*nothing was restored/);
    assert.ok((await switchboardKeys()).includes('switchboard/config/canary=still-here'));

    const refusedDir = join(work, 'refused');
    const backup = await runConsulScript('backup_consul.sh', ['--dir', refusedDir], {
      CONSUL_HTTP_ADDR: agent.address,
      CONSUL_HTTP_TOKEN: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(backup.code, 1);
    assert.match(backup.stderr, /consul snapshot save failed: under ACLs it needs a management token/);
    assert.deepEqual(await readdir(refusedDir), [], 'a failed backup leaves nothing that looks like one');
  });
});
