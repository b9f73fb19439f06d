// The control API: JSON over HTTP to create, inspect, tune and remove simulated instances.
//
//   POST   /instances                  create  -> 201 instance view
//   GET    /instances                  list    -> { instances: [...] }
//   GET    /instances/:id              one instance
//   PATCH  /instances/:id/knobs        merge knobs (null clears one)
//   POST   /instances/:id/reset       knobs and counters back to defaults
//   DELETE /instances/:id              204
//   GET    /instances/:id/requests     { served, requests: last 50 }
//   GET    /health                     { status: "ok", instances }
//
// Errors are `{ error: { message, field? } }`: 400 for bad input (naming the field), 404 for an
// unknown instance or route, 409 for a duplicate id or a busy port.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathOf, readBody, sendEmpty, sendJson } from './http-util.js';
import { SimulatorInputError } from './knobs.js';
import { SimulatorConflictError, SimulatorNotFoundError, type ProviderSimulator } from './simulator.js';
import { describeError } from '@switchboard/kernel';

export async function handleControlRequest(
  simulator: ProviderSimulator,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    await route(simulator, request, response);
  } catch (error) {
    if (error instanceof SimulatorInputError)
      sendJson(response, 400, { error: { message: error.message, field: error.field } });
    else if (error instanceof SimulatorConflictError)
      sendJson(response, 409, { error: { message: error.message, field: error.field } });
    else if (error instanceof SimulatorNotFoundError) sendJson(response, 404, { error: { message: error.message } });
    else sendJson(response, 500, { error: { message: describeError(error) } });
  }
}

async function route(simulator: ProviderSimulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const segments = pathOf(request).split('/').filter(Boolean).map(decodeURIComponent);

  if (method === 'GET' && segments.length === 1 && segments[0] === 'health') {
    return sendJson(response, 200, { status: 'ok', instances: simulator.list().length });
  }
  if (segments[0] !== 'instances') return notFound(response, method, request);

  const [, id, action] = segments;
  if (segments.length === 1) {
    if (method === 'GET') return sendJson(response, 200, { instances: simulator.list() });
    if (method === 'POST') return sendJson(response, 201, await simulator.addInstance(await readJson(request)));
  } else if (id !== undefined && segments.length === 2) {
    if (method === 'GET') return sendJson(response, 200, simulator.get(id));
    if (method === 'DELETE') {
      await simulator.removeInstance(id);
      return sendEmpty(response, 204);
    }
  } else if (id !== undefined && segments.length === 3) {
    if (action === 'knobs' && method === 'PATCH')
      return sendJson(response, 200, await simulator.updateKnobs(id, await readJson(request)));
    if (action === 'reset' && method === 'POST') return sendJson(response, 200, await simulator.reset(id));
    if (action === 'requests' && method === 'GET') return sendJson(response, 200, simulator.requests(id));
  }
  return notFound(response, method, request);
}

function notFound(response: ServerResponse, method: string, request: IncomingMessage): void {
  sendJson(response, 404, { error: { message: `no route for ${method} ${pathOf(request)}` } });
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const text = await readBody(request);
  if (text.trim() === '') throw new SimulatorInputError('body', 'is required (a JSON object)');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimulatorInputError('body', 'must be valid JSON');
  }
}
