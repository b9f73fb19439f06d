// Records what was built in dist/build-info.json: the package version and a build identifier, which
// every app shows in its Consul meta (version, build) so an operator can tell which code a replica
// runs. The identifier is BUILD_ID when set (CI, or `docker build --build-arg BUILD_ID=...`, whose
// context has no .git), else the git commit (with -dirty for uncommitted changes), else "dev".
//   node scripts/write-build-info.mjs [dist-dir]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Consul meta values are free text, but an identifier that is one token reads and greps well. */
export const BUILD_ID_PATTERN = /^[A-Za-z0-9._+-]{1,64}$/;

/** The current commit of the repository at `cwd`, or undefined without git or a repository. */
export function gitCommit(cwd) {
  const git = (...args) =>
    execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  try {
    const commit = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${commit}-dirty` : commit;
  } catch {
    return undefined;
  }
}

/** BUILD_ID, else the commit, else "dev"; a malformed BUILD_ID is an error rather than a silent "dev". */
export function buildId(env, cwd) {
  const given = env.BUILD_ID;
  if (given && !BUILD_ID_PATTERN.test(given))
    throw new Error(`BUILD_ID ${JSON.stringify(given)} must be 1-64 letters, digits, ".", "_", "+" or "-"`);
  return given || gitCommit(cwd) || 'dev';
}

export function writeBuildInfo(root, distDir, env = process.env) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const info = { version, build: buildId(env, root) };
  mkdirSync(distDir, { recursive: true });
  writeFileSync(join(distDir, 'build-info.json'), `${JSON.stringify(info)}\n`);
  return info;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  try {
    writeBuildInfo(root, resolve(process.argv[2] ?? join(root, 'dist')));
  } catch (error) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
}
