import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'node:net';
import {
  DESTINATION_REFUSED,
  DestinationRefusedError,
  guardedConnector,
  guardedLookup,
  type ResolveAll,
} from './destination-guard.js';

/** A resolver answering from a table, as DNS would; records the names it was asked. */
function fakeDns(table: Record<string, LookupAddress[]>): ResolveAll & { asked: string[] } {
  const asked: string[] = [];
  const resolve: ResolveAll = (hostname, _options, callback) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (addresses) callback(null, addresses);
    else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
  };
  return Object.assign(resolve, { asked });
}

const DNS = {
  'api.example.com': [{ address: '93.184.215.14', family: 4 }],
  'sneaky.example.com': [{ address: '169.254.169.254', family: 4 }],
  'mixed.example.com': [
    { address: '93.184.215.14', family: 4 },
    { address: '::ffff:a9fe:a9fe', family: 6 },
  ],
  'vllm.internal': [{ address: '10.0.0.8', family: 4 }],
};

type LookupResult = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

function lookupOnce(lookup: ReturnType<typeof guardedLookup>, hostname: string, all = false): Promise<LookupResult> {
  return new Promise((resolve) => {
    lookup(hostname, { all }, (error, address, family) => resolve({ error, address, family }));
  });
}

describe('guardedLookup', () => {
  it('passes on what DNS answered when every address is allowed, one or all', async () => {
    const lookup = guardedLookup({ allowPrivate: true }, fakeDns(DNS));
    assert.deepEqual(await lookupOnce(lookup, 'api.example.com'), {
      error: null,
      address: '93.184.215.14',
      family: 4,
    });
    assert.deepEqual((await lookupOnce(lookup, 'vllm.internal', true)).address, [{ address: '10.0.0.8', family: 4 }]);
  });

  it('refuses a name that resolves to a metadata address, saying which', async () => {
    const { error } = await lookupOnce(guardedLookup({ allowPrivate: true }, fakeDns(DNS)), 'sneaky.example.com');
    assert.ok(error instanceof DestinationRefusedError);
    assert.equal(error.code, DESTINATION_REFUSED);
    assert.match(error.message, /^baseUrl resolves to a cloud metadata address \(169\.254\.169\.254\); refused: /);
  });

  it('refuses when any one of the addresses is refused, in any IPv6 spelling', async () => {
    const { error } = await lookupOnce(guardedLookup({ allowPrivate: true }, fakeDns(DNS)), 'mixed.example.com', true);
    assert.match(error?.message ?? '', /resolves to a cloud metadata address \(::ffff:a9fe:a9fe\)/);
  });

  it('refuses private addresses only when they are turned off', async () => {
    const { error } = await lookupOnce(guardedLookup({ allowPrivate: false }, fakeDns(DNS)), 'vllm.internal');
    assert.match(
      error?.message ?? '',
      /resolves to a private-network address \(10\.0\.0\.8\).*INSTANCE_URL_ALLOW_PRIVATE=true/,
    );
  });

  it('refuses metadata host names without asking DNS, and passes DNS failures on unchanged', async () => {
    const dns = fakeDns(DNS);
    const lookup = guardedLookup({ allowPrivate: true }, dns);
    const metadata = await lookupOnce(lookup, 'Metadata.Google.Internal.');
    assert.match(metadata.error?.message ?? '', /points at a cloud metadata host \(metadata\.google\.internal\)/);
    const unknown = await lookupOnce(lookup, 'nowhere.example.com');
    assert.equal(unknown.error?.code, 'ENOTFOUND');
    assert.deepEqual(dns.asked, ['nowhere.example.com']);
  });
});

describe('guardedConnector', () => {
  let server: Server;
  let port = 0;
  const accepted: Socket[] = [];

  before(async () => {
    server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const connectWith = (connector: ReturnType<typeof guardedConnector>, hostname: string) =>
    new Promise<{ error: Error | null; socket: Socket | null }>((resolve) =>
      connector({ hostname, protocol: 'http:', port: String(port) }, (error, socket) =>
        resolve({ error, socket: socket as Socket | null }),
      ),
    );

  it('refuses an IP literal without a lookup and without a connection', async () => {
    const dns = fakeDns(DNS);
    const connector = guardedConnector({ allowPrivate: true }, { timeoutMs: 1_000 }, dns);
    for (const hostname of ['169.254.169.254', '[::ffff:a9fe:a9fe]', '0.0.0.0']) {
      const { error, socket } = await connectWith(connector, hostname);
      assert.ok(error instanceof DestinationRefusedError, hostname);
      assert.match(error.message, /^baseUrl points at /);
      assert.equal(socket, null);
    }
    assert.deepEqual(dns.asked, []);
    assert.equal(accepted.length, 0);
  });

  it('connects to an allowed literal, and refuses a name resolving to a refused address', async () => {
    const dns = fakeDns({ 'local.test': [{ address: '127.0.0.1', family: 4 }] });
    const open = await connectWith(guardedConnector({ allowPrivate: true }, { timeoutMs: 1_000 }, dns), '127.0.0.1');
    assert.equal(open.error, null);
    open.socket?.destroy();
    const strict = guardedConnector({ allowPrivate: false }, { timeoutMs: 1_000 }, dns);
    const refused = await connectWith(strict, 'local.test');
    assert.match(refused.error?.message ?? '', /resolves to a loopback address \(127\.0\.0\.1\)/);
    assert.deepEqual(dns.asked, ['local.test']);
  });
});
