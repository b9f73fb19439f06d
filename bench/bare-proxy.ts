// The yardstick for the gateway: the least a Node proxy can do. `node dist/bench/bare-proxy.js
// <upstream origin>` listens on a free loopback port, prints "bare-proxy listening on <port>", and
// forwards every request (method, path, headers, body) to the upstream over kept-alive undici
// connections, piping the answer back untouched. No parsing, no auth, no routing, no metrics: what
// the gateway costs beyond this is the price of its features. It imports nothing of Switchboard
// (the kernel alone would double its memory), so its RSS is that of a bare proxy.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Agent } from 'undici';
import { exitWhenParentGoes } from './bench-child.js';

/** Headers that describe one hop's connection, not the message (RFC 9110 §7.6.1), plus host. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

function endToEnd(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
}

const upstream = process.argv[2];
if (!upstream) {
  console.error('usage: node dist/bench/bare-proxy.js <upstream origin, e.g. http://127.0.0.1:9000>');
  process.exit(2);
}

// The same connection settings as the gateway's ProviderClient, so the comparison is about work
// per request, not about pooling.
const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

const server = createServer((request, response) => {
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  dispatcher
    .request({
      origin: upstream,
      method: request.method as 'POST',
      path: request.url ?? '/',
      headers: endToEnd(request.headers),
      body: hasBody ? request : null,
    })
    .then(async (answer) => {
      response.writeHead(answer.statusCode, endToEnd(answer.headers));
      await pipeline(answer.body, response);
    })
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (response.headersSent) response.destroy();
      else response.writeHead(502, { 'content-type': 'text/plain' }).end(`bare-proxy: ${message}`);
    });
});
// Clients keep their connections for the whole run.
server.keepAliveTimeout = 65_000;
server.requestTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  console.log(`bare-proxy listening on ${(server.address() as AddressInfo).port}`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void dispatcher.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
exitWhenParentGoes(stop);
