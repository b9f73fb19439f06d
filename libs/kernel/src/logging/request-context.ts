import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  requestId: string;
}

/** Carries the request id through every await of a request, so each log line can name it. */
export const requestContext = new AsyncLocalStorage<RequestContext>();

const acceptableId = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's x-request-id when it is sane, otherwise makes one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate && acceptableId.test(candidate) ? candidate : randomUUID();
}
