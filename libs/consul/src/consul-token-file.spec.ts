import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConsulTokenFile } from './consul-token-file.js';

describe('ConsulTokenFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'consul-token-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the token without surrounding white space, and says what to do when it cannot', () => {
    const path = join(dir, 'trimmed');
    writeFileSync(path, '  first-token\n');
    assert.equal(new ConsulTokenFile(path, () => {}).current, 'first-token');
    assert.throws(() => new ConsulTokenFile(join(dir, 'missing'), () => {}), /cannot be read \(ENOENT\): create it/);
    writeFileSync(join(dir, 'empty'), '\n');
    assert.throws(() => new ConsulTokenFile(join(dir, 'empty'), () => {}), /is empty: write the app's Consul token/);
  });

  it('reports a new token once, and keeps the one in use while the file is missing or empty', () => {
    const path = join(dir, 'rotating');
    writeFileSync(path, 'old-token');
    const seen: string[] = [];
    const file = new ConsulTokenFile(path, (token) => seen.push(token));
    assert.equal(file.reload(), false);
    rmSync(path);
    assert.equal(file.reload(), false);
    writeFileSync(path, '');
    assert.equal(file.reload(), false);
    assert.equal(file.current, 'old-token');
    writeFileSync(path, 'new-token\n');
    assert.equal(file.reload(), true);
    assert.equal(file.reload(), false);
    assert.equal(file.current, 'new-token');
    assert.deepEqual(seen, ['new-token']);
  });

  it('notices a file replaced by a rename while watching, without being asked', { timeout: 10_000 }, async () => {
    const path = join(dir, 'watched');
    writeFileSync(path, 'old-token');
    let reportChange!: (token: string) => void;
    const changed = new Promise<string>((resolve) => (reportChange = resolve));
    const file = new ConsulTokenFile(path, (token) => reportChange(token));
    file.watch(50);
    try {
      writeFileSync(`${path}.new`, 'new-token');
      renameSync(`${path}.new`, path);
      assert.equal(await changed, 'new-token');
    } finally {
      file.close();
    }
  });
});
