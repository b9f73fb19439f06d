import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/paths.js';

interface Rewriter {
  aliasesOf(tsconfigPath: string): Record<string, string>;
  rewriteAliases(distDir: string, aliases: Record<string, string>): number;
}

const rewriter = (await import(pathToFileURL(join(repoRoot, 'scripts/rewrite-aliases.mjs')).href)) as Rewriter;

describe('the build rewrites library aliases to relative paths', () => {
  const dist = mkdtempSync(join(tmpdir(), 'switchboard-dist-'));
  after(() => rmSync(dist, { recursive: true, force: true }));

  it('reads the aliases from tsconfig.json, their one home', () => {
    const aliases = rewriter.aliasesOf(join(repoRoot, 'tsconfig.json'));
    assert.equal(aliases['@switchboard/kernel'], './libs/kernel/src/index.ts');
    assert.ok(Object.keys(aliases).length >= 8);
  });

  it('rewrites static, re-export and dynamic imports; leaves packages alone; changes nothing twice', () => {
    mkdirSync(join(dist, 'apps/gateway/src'), { recursive: true });
    mkdirSync(join(dist, 'libs/kernel/src'), { recursive: true });
    const file = join(dist, 'apps/gateway/src/main.js');
    // Spelled in pieces: the build rewrites whole import statements even inside this file's strings.
    const kernel = ['@switchboard', 'kernel'].join('/');
    writeFileSync(
      file,
      [
        `import { AppConfig } from '${kernel}';`,
        `export { sleep } from "${kernel}";`,
        `const lazy = await import('${kernel}');`,
        "import { Injectable } from '@nestjs/common';",
        "import '@switchboard/unknown';",
      ].join('\n'),
    );
    const aliases = { [kernel]: './libs/kernel/src/index.ts' };
    assert.equal(rewriter.rewriteAliases(dist, aliases), 1);
    assert.deepEqual(readFileSync(file, 'utf8').split('\n'), [
      "import { AppConfig } from '../../../libs/kernel/src/index.js';",
      'export { sleep } from "../../../libs/kernel/src/index.js";',
      "const lazy = await import('../../../libs/kernel/src/index.js');",
      "import { Injectable } from '@nestjs/common';",
      "import '@switchboard/unknown';",
    ]);
    assert.equal(rewriter.rewriteAliases(dist, aliases), 0, 'a second run finds nothing to do');
  });

  it('left no alias in the real dist/ this test runs from', () => {
    const compiled = readFileSync(join(repoRoot, 'dist/apps/api-gateway/src/main.js'), 'utf8');
    assert.doesNotMatch(compiled, /@switchboard\//);
    assert.match(compiled, /from '\.\.\/\.\.\/\.\.\/libs\/platform\/src\/index\.js'/);
  });
});
