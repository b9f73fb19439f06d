import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/support/. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
