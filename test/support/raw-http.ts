import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** From the first byte sent to the connection's close. */
  elapsedMs: number;
}

/**
 * One HTTP/1.1 exchange written by hand, for what fetch will not send: a Content-Length larger than
 * the body, a body trickled byte by byte, oversized headers. Reads until the server closes.
 */
export function rawHttp(
  baseUrl: string,
  head: string,
  options: { body?: string; trickleEveryMs?: number; maxMs?: number } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let trickle: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => socket.destroy(new Error('no close within maxMs')), options.maxMs ?? 60_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      // A reset after the answer arrived is how some refusals end; the answer is what counts.
      if (chunks.length === 0) reject(error);
    });
    socket.on('close', () => {
      clearTimeout(guard);
      clearInterval(trickle);
      const text = Buffer.concat(chunks).toString('utf8');
      const [headText = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
      resolve({ status, headers, body: rest.join('\r\n\r\n'), elapsedMs: Date.now() - started });
    });
    socket.write(head.replaceAll('\n', '\r\n') + '\r\n');
    const body = options.body ?? '';
    if (options.trickleEveryMs === undefined) {
      socket.write(body);
      return;
    }
    let sent = 0;
    trickle = setInterval(() => {
      if (sent >= body.length || socket.destroyed) return clearInterval(trickle);
      socket.write(body[sent]!);
      sent += 1;
    }, options.trickleEveryMs);
  });
}
