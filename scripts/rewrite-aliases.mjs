// Rewrites the library aliases (@switchboard/<lib>) in compiled JavaScript to relative paths, so
// dist/ runs on plain Node with no loader hook. The aliases come from tsconfig.json "paths" (their
// one home): "@switchboard/kernel" -> "./libs/kernel/src/index.ts" becomes, in dist/apps/x/src/y.js,
// "../../../libs/kernel/src/index.js". Idempotent: a rewritten file has no alias left. It matches
// the text of import and export statements, so a string that spells one out is rewritten too.
//   node scripts/rewrite-aliases.mjs [dist-dir]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The alias -> source path map of a tsconfig.json (JSON with no comments). */
export function aliasesOf(tsconfigPath) {
  const paths = JSON.parse(readFileSync(tsconfigPath, 'utf8')).compilerOptions?.paths ?? {};
  return Object.fromEntries(Object.entries(paths).map(([alias, [target]]) => [alias, target]));
}

/** Rewrites every .js file under distDir; returns how many files changed. */
export function rewriteAliases(distDir, aliases) {
  const targets = new Map(
    Object.entries(aliases).map(([alias, source]) => [alias, join(distDir, source.replace(/\.ts$/, '.js'))]),
  );
  const specifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(@[a-z0-9-]+\/[a-z0-9-]+)\2/g;
  let changed = 0;
  for (const file of javascriptFiles(distDir)) {
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(specifier, (whole, keyword, quote, name) => {
      const target = targets.get(name);
      if (!target) return whole;
      let path = relative(dirname(file), target).split(sep).join('/');
      if (!path.startsWith('.')) path = `./${path}`;
      return `${keyword}${quote}${path}${quote}`;
    });
    if (rewritten !== text) {
      writeFileSync(file, rewritten);
      changed += 1;
    }
  }
  return changed;
}

function* javascriptFiles(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* javascriptFiles(path);
    else if (entry.name.endsWith('.js')) yield path;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const dist = resolve(process.argv[2] ?? join(root, 'dist'));
  rewriteAliases(dist, aliasesOf(join(root, 'tsconfig.json')));
}
