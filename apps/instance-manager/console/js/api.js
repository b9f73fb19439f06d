// Calls to the instance-manager's admin API, always with the admin token as a bearer header:
// never in a URL, never in a cookie.

const TOKEN_KEY = 'switchboard.adminToken';

export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details ?? [];
  }

  /** The endpoint is not on this instance-manager (an older build): that part is shown as unavailable. */
  get missing() {
    return this.status === 404 && /^Cannot (GET|POST|PUT|DELETE|PATCH) /.test(this.message);
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

let onUnauthorized = () => {};

/** Called when a call is refused with 401: the token was changed on the server, or is wrong. */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export async function api(method, path, body, token = session.token) {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'x-admin-actor': 'console' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'The instance-manager did not answer (is it running?)');
  }
  const text = await response.text();
  const data = parseJson(text);
  if (!response.ok) {
    if (response.status === 401 && token === session.token) onUnauthorized();
    throw new ApiError(response.status, data?.message ?? (text || response.statusText), data?.details);
  }
  return data;
}

/** api() with an If-Match header, for the compare-and-set writes (the routing policy). */
export async function apiIfMatch(method, path, body, version) {
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${session.token}`,
      'content-type': 'application/json',
      'if-match': String(version),
      'x-admin-actor': 'console',
    },
    body: JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  }).catch(() => {
    throw new ApiError(0, 'The instance-manager did not answer (is it running?)');
  });
  const data = parseJson(await response.text());
  if (!response.ok) throw new ApiError(response.status, data?.message ?? response.statusText, data?.details);
  return data;
}

/**
 * One page of a report as CSV, and the cursor of the next page (`x-next-cursor`). Fetched like
 * every other call, with the token in a header: a download link could only carry it in its URL.
 */
export async function apiCsv(path) {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${session.token}`, accept: 'text/csv', 'x-admin-actor': 'console' },
    cache: 'no-store',
    credentials: 'omit',
  }).catch(() => {
    throw new ApiError(0, 'The instance-manager did not answer (is it running?)');
  });
  const text = await response.text();
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, parseJson(text)?.message ?? (text || response.statusText));
  }
  return { text, nextCursor: response.headers.get('x-next-cursor') };
}

function parseJson(text) {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
