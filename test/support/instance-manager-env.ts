/** The environment an instance-manager process needs in tests, with fast probe and reconcile loops. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_CREDENTIALS_KEY = 'ab'.repeat(32);

export function instanceManagerEnv(
  consulAddress: string,
  databaseUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    CONSUL_HTTP_ADDR: consulAddress,
    CONSUL_CHECK_INTERVAL: '1s',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    SERVICE_ADDRESS: '127.0.0.1',
    HOST: '127.0.0.1',
    NODE_ENV: 'test',
    // One process per gateway: tests read a replica's own state (/pools, cool-downs) between requests.
    GATEWAY_WORKERS: '1',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
    PROBE_INTERVAL_MS: '400',
    PROBE_TIMEOUT_MS: '1000',
    RECONCILE_INTERVAL_MS: '1000',
    HEALTH_WARN_AFTER_FAILURES: '1',
    HEALTH_CRITICAL_AFTER_FAILURES: '3',
    HEALTH_RECOVER_AFTER_SUCCESSES: '2',
    ...overrides,
  };
}

/** fetch against the admin API with the admin token. */
export function admin(baseUrl: string) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    token = TEST_ADMIN_TOKEN,
  ): Promise<{ status: number; body: any; text: string }> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  };
}
