// Starts one compiled app (or the migration runner) by name:  node scripts/run-app.mjs api-gateway
import { existsSync } from 'node:fs';

const entries = {
  'api-gateway': '../dist/apps/api-gateway/src/main.js',
  'instance-manager': '../dist/apps/instance-manager/src/main.js',
  'intelligent-router': '../dist/apps/intelligent-router/src/main.js',
  'load-balancer': '../dist/apps/load-balancer/src/main.js',
  'provider-simulator': '../dist/apps/provider-simulator/src/main.js',
  migrate: '../dist/scripts/migrate.js',
};

const name = process.argv[2];
const entry = entries[name];
if (!entry) {
  console.error(`usage: node scripts/run-app.mjs <${Object.keys(entries).join('|')}>`);
  process.exit(2);
}
const url = new URL(entry, import.meta.url);
if (!existsSync(url)) {
  console.error(`${name} is not built (${url.pathname} is missing): run npm run build first`);
  process.exit(1);
}
await import(url.href);
