import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../support/paths.js';

const run = promisify(execFile);
/** Where a command is on the test runner's PATH. */
const located = (command: string) => execFileSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();

describe('npm test: the observability and deploy tools only for the tests that use them', () => {
  const include = async (dir: string, ...targets: string[]) => {
    const { stdout } = await run(
      'bash',
      [
        '-c',
        'source scripts/lib/common.sh; if tests_include "$@"; then echo yes; else echo no; fi',
        'tests_include',
        dir,
        ...targets,
      ],
      { cwd: repoRoot },
    );
    return stdout.trim() === 'yes';
  };

  it('a run without targets includes everything', async () => {
    assert.equal(await include('test/observability'), true);
    assert.equal(await include('test/deploy'), true);
  });

  it('a target in the directory, or a directory or glob above it, includes it', async () => {
    for (const target of [
      'dist/test/observability/rules.test.js',
      './dist/test/observability',
      'dist/test',
      'dist/test/',
      'dist/test/**/*.test.js',
    ])
      assert.equal(await include('test/observability', target), true, target);
    assert.equal(await include('test/deploy', 'dist/test/routing/x.test.js', 'dist/test/deploy'), true);
  });

  it('targets elsewhere leave it out', async () => {
    for (const targets of [
      ['dist/test/routing/x.test.js'],
      ['dist/test/start/register-infrastructure.test.js', 'dist/test/consul/token-rotation.test.js'],
      ['dist/test/deploy'],
      ['dist/test/r*'],
      ['dist/libs'],
    ])
      assert.equal(await include('test/observability', ...targets), false, targets.join(' '));
  });
});

describe('scripts/install-prometheus.sh: a failed build says what failed', () => {
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'install-prometheus-test-'));
    // A PATH with only what the script needs before building, and a go whose build fails: no
    // prometheus or promtool of the machine can answer instead.
    const bin = join(work, 'bin');
    await mkdir(bin);
    for (const tool of ['awk', 'mktemp', 'rm', 'mkdir', 'dirname']) await symlink(located(tool), join(bin, tool));
    await writeFile(
      join(bin, 'go'),
      '#!/bin/sh\necho "go: github.com/prometheus/prometheus/cmd/prometheus: module lookup disabled"\nexit 1\n',
    );
    await chmod(join(bin, 'go'), 0o755);
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('exits 1 with the command and module version that did not build', async () => {
    await assert.rejects(
      run(located('bash'), [join(repoRoot, 'scripts/install-prometheus.sh')], {
        env: {
          PATH: join(work, 'bin'),
          HOME: work,
          SWITCHBOARD_CACHE_DIR: join(work, 'cache'),
          PROMETHEUS_VERSION: '3.16.0',
        },
      }),
      (error: { code: number; stdout: string; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.equal(error.stdout, '');
        assert.match(error.stderr, /go: github\.com\/prometheus\/prometheus\/cmd\/prometheus: module lookup disabled/);
        assert.match(error.stderr, /install-prometheus: building prometheus v0\.316\.0 failed: see the messages above/);
        return true;
      },
    );
  });
});
