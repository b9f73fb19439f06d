// Writes a provider's stream as Server-Sent Events, applying the stream knobs: time to first
// token, token pacing, stalls, cut connections and a malformed chunk. Providers only build the
// list of frames; nothing here knows about a particular provider.
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Knobs } from './knobs.js';

export interface StreamFrame {
  /** The SSE `event:` name; absent for providers that send bare `data:` lines. */
  event?: string;
  /** The `data:` payload: JSON text, or a sentinel such as `[DONE]`. */
  data: string;
  /** Output tokens this frame carries, for `tokensPerSecond` pacing. */
  tokens: number;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
} as const;

export function jsonFrame(payload: unknown, tokens = 0, event?: string): StreamFrame {
  return event === undefined
    ? { data: JSON.stringify(payload), tokens }
    : { event, data: JSON.stringify(payload), tokens };
}

export function serializeFrame(frame: StreamFrame, malformed = false): string {
  // A cut-off JSON object is what a broken upstream really produces: the prefix parses as far
  // as it goes and then the parser fails.
  const data = malformed ? `${frame.data.slice(0, Math.max(1, Math.floor(frame.data.length / 2)))}{"` : frame.data;
  return frame.event === undefined ? `data: ${data}\n\n` : `event: ${frame.event}\ndata: ${data}\n\n`;
}

/** True when the knobs change how a stream is written (the fast path writes it in one go). */
function needsPacing(knobs: Knobs): boolean {
  return (
    knobs.ttftMs !== undefined ||
    (knobs.tokensPerSecond !== undefined && knobs.tokensPerSecond > 0) ||
    knobs.stallAfterChunks !== undefined ||
    knobs.cutAfterChunks !== undefined ||
    knobs.malformedChunkAt !== undefined
  );
}

/**
 * Sends the frames on `response` (status 200 with SSE headers). Chunk numbers in the knobs
 * count frames from 1, terminator included.
 */
export async function writeStream(
  response: ServerResponse,
  frames: StreamFrame[],
  knobs: Knobs,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  response.writeHead(200, { ...SSE_HEADERS, ...headers });
  if (!needsPacing(knobs)) {
    response.end(frames.map((frame) => serializeFrame(frame)).join(''));
    return;
  }
  response.flushHeaders();
  const tokensPerSecond = knobs.tokensPerSecond ?? 0;
  try {
    for (let index = 0; index < frames.length; index++) {
      const frame = frames[index]!;
      const number = index + 1;
      if (index === 0 && knobs.ttftMs !== undefined) await delay(knobs.ttftMs, undefined, { signal });
      else if (tokensPerSecond > 0 && frame.tokens > 0)
        await delay((frame.tokens / tokensPerSecond) * 1000, undefined, { signal });
      if (response.destroyed) return;
      const canContinue = response.write(serializeFrame(frame, knobs.malformedChunkAt === number));
      if (knobs.cutAfterChunks === number) {
        // Give the written bytes a moment to leave, then drop the connection without the
        // terminating chunk, as a crashed upstream or a proxy reset would.
        await delay(20, undefined, { signal });
        response.socket?.destroy();
        return;
      }
      // A stall keeps the connection open and silent; only the client's timeout or the
      // simulator stopping ends it.
      if (knobs.stallAfterChunks === number) return;
      if (!canContinue) await waitForDrain(response, signal);
    }
    response.end();
  } catch (error) {
    if (signal.aborted) {
      response.destroy();
      return;
    }
    throw error;
  }
}

function waitForDrain(response: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
