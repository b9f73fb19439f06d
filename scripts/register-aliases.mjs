// Resolves the workspace aliases (@switchboard/<lib>) of compiled code to dist/libs/<lib>/src/index.js.
// TypeScript maps them with "paths" at compile time; Node needs the same map at run time.
import { registerHooks } from 'node:module';

const distLibs = new URL('../dist/libs/', import.meta.url);
const alias = /^@switchboard\/([a-z0-9-]+)$/;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const match = alias.exec(specifier);
    if (match) return nextResolve(new URL(`${match[1]}/src/index.js`, distLibs).href, context);
    return nextResolve(specifier, context);
  },
});
