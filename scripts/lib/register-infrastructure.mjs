// Registers the stack's PostgreSQL and Redis in Consul as services with TCP checks run by the
// agent, so the Consul UI shows the whole system, not only the apps. Only host and port leave
// this script: never a user, password or database name from the URLs.
//   node scripts/lib/register-infrastructure.mjs            # from DATABASE_URL, REDIS_URL, CONSUL_HTTP_ADDR
//   node scripts/lib/register-infrastructure.mjs --deregister
// CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL and the token (CONSUL_HTTP_TOKEN, else the file named by
// CONSUL_HTTP_TOKEN_FILE) are read as the apps and consul/scripts read them. Exits 1 with what to
// do when Consul refuses.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The Consul service definitions for the given connection URLs (pure, for tests). */
export function infrastructureServices(databaseUrl, redisUrl, checkInterval = '10s') {
  const endpoint = (raw, defaultPort) => {
    const url = new URL(raw);
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || defaultPort) };
  };
  const service = (name, { host, port }, kind) => ({
    ID: `switchboard-${name}`,
    Name: name,
    Address: host,
    Port: port,
    Tags: ['switchboard', 'infrastructure'],
    Meta: { role: kind, registered_by: 'switchboard' },
    Check: {
      CheckID: `switchboard-${name}:tcp`,
      Name: `${name} accepts connections`,
      TCP: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      Interval: checkInterval,
      Timeout: '2s',
    },
  });
  return [
    service('postgres', endpoint(databaseUrl, 5432), 'database'),
    service('redis', endpoint(redisUrl, 6379), 'cache and events'),
  ];
}

/**
 * The agent's base URL from CONSUL_HTTP_ADDR, which may lack a scheme (127.0.0.1:8500): then
 * https when CONSUL_HTTP_SSL is true, else http, as the consul CLI decides.
 */
function consulBaseUrl(env) {
  const address = (env.CONSUL_HTTP_ADDR || '127.0.0.1:8500').replace(/\/+$/, '');
  if (/^https?:\/\//i.test(address)) return address;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address))
    throw new Error(`CONSUL_HTTP_ADDR=${address}: only an http(s) address or host:port is supported`);
  const ssl = ['true', '1'].includes((env.CONSUL_HTTP_SSL ?? '').toLowerCase());
  return `${ssl ? 'https' : 'http'}://${address}`;
}

/** The token to send: CONSUL_HTTP_TOKEN, else the content of CONSUL_HTTP_TOKEN_FILE, else none. */
function consulToken(env) {
  if (env.CONSUL_HTTP_TOKEN) return env.CONSUL_HTTP_TOKEN;
  if (!env.CONSUL_HTTP_TOKEN_FILE) return undefined;
  let token;
  try {
    token = readFileSync(env.CONSUL_HTTP_TOKEN_FILE, 'utf8').trim();
  } catch (error) {
    throw new Error(
      `CONSUL_HTTP_TOKEN_FILE ${env.CONSUL_HTTP_TOKEN_FILE} cannot be read (${error.code ?? error.message}): check the path and its permissions`,
    );
  }
  if (!token)
    throw new Error(`CONSUL_HTTP_TOKEN_FILE ${env.CONSUL_HTTP_TOKEN_FILE} is empty: write the Consul token into it`);
  return token;
}

async function consulPut(address, token, path, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers['x-consul-token'] = token;
  const response = await fetch(`${address}${path}`, {
    method: 'PUT',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok)
    throw new Error(
      `Consul answered ${response.status} to PUT ${path}: ${(await response.text()).slice(0, 200)}. With ACLs on, the token needs service:write on postgres and redis.`,
    );
}

async function main() {
  const address = consulBaseUrl(process.env);
  const token = consulToken(process.env);
  const services = infrastructureServices(
    process.env.DATABASE_URL ?? 'postgresql://127.0.0.1:5432/switchboard',
    process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    process.env.INFRASTRUCTURE_CHECK_INTERVAL ?? '10s',
  );
  for (const service of services) {
    if (process.argv.includes('--deregister'))
      await consulPut(address, token, `/v1/agent/service/deregister/${encodeURIComponent(service.ID)}`);
    else await consulPut(address, token, '/v1/agent/service/register', service);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(`error: could not register PostgreSQL and Redis in Consul: ${error.message}`);
    process.exit(1);
  });
}
