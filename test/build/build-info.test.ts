import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/paths.js';

interface BuildInfoWriter {
  buildId(env: Record<string, string | undefined>, cwd: string): string;
  writeBuildInfo(
    root: string,
    distDir: string,
    env: Record<string, string | undefined>,
  ): { version: string; build: string };
}

const writer = (await import(pathToFileURL(join(repoRoot, 'scripts/write-build-info.mjs')).href)) as BuildInfoWriter;

describe('the build records its version and identifier for the apps’ Consul meta', () => {
  // A project outside any git repository, as in the Docker build (whose context leaves .git out).
  const outside = mkdtempSync(join(tmpdir(), 'switchboard-build-info-'));
  after(() => rmSync(outside, { recursive: true, force: true }));

  it('names the commit it was built from when git knows it', () => {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot }).toString().trim();
    assert.match(writer.buildId({}, repoRoot), new RegExp(`^${head}(-dirty)?$`));
  });

  it('prefers BUILD_ID, and refuses one that is not a single token', () => {
    assert.equal(writer.buildId({ BUILD_ID: 'release-42' }, repoRoot), 'release-42');
    assert.throws(() => writer.buildId({ BUILD_ID: 'two words' }, repoRoot), /BUILD_ID "two words" must be 1-64/);
  });

  it('falls back to dev without git, and writes dist/build-info.json with the package version', () => {
    writeFileSync(join(outside, 'package.json'), JSON.stringify({ name: 'x', version: '9.8.7' }));
    const info = writer.writeBuildInfo(outside, join(outside, 'dist'), {});
    assert.deepEqual(info, { version: '9.8.7', build: 'dev' });
    assert.deepEqual(JSON.parse(readFileSync(join(outside, 'dist/build-info.json'), 'utf8')), info);
  });
});
