import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { StreamedAnswer } from './streamed-answer.js';

const BODY_BYTES = 8 * 1024 * 1024;
const PIECE = Buffer.alloc(16 * 1024, 'x');

describe('StreamedAnswer', () => {
  let server: Server;
  let origin: string;
  const agent = new Agent();

  before(async () => {
    // Writes its whole body as fast as the connection takes it; /hang never answers.
    server = createServer((request, response) => {
      if (request.url === '/hang') return;
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const pump = () => {
        while (sent < BODY_BYTES) {
          sent += PIECE.length;
          if (!response.write(PIECE)) return void response.once('drain', pump);
        }
        response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    await agent.close();
  });

  const call = (path: string, signal: AbortSignal) =>
    StreamedAnswer.start(agent, { origin, path, method: 'GET', headers: {}, body: undefined, signal });

  it('pauses the connection while its consumer falls behind, and loses nothing', async () => {
    const answer = call('/', new AbortController().signal);
    assert.equal((await answer.head).statusCode, 200);
    // Nothing read for a while: the upstream keeps sending, the answer must stop taking it.
    await sleep(300);
    assert.ok(answer.unread < 1024 * 1024, `${answer.unread} bytes piled up unread`);
    let received = 0;
    for (let chunk = await answer.next(); chunk !== null; chunk = await answer.next()) received += chunk.length;
    assert.equal(received, BODY_BYTES);
  });

  it('fails a waiting read at once with the abort reason', async () => {
    const controller = new AbortController();
    const answer = call('/hang', controller.signal);
    const reason = new Error('gave up');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(answer.head, (error) => error === reason);
    await assert.rejects(answer.next(), (error) => error === reason);
  });
});
