import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from './sse-parser.js';

const transcript =
  'event: message_start\ndata: {"a":1}\n\n: keep-alive comment\n\ndata: line one\ndata: line two\n\nid: 7\ndata: [DONE]\n\n';

describe('SseParser', () => {
  it('parses named events, comments, multi-line data and ids', () => {
    const events = new SseParser().push(transcript);
    assert.deepEqual(events, [
      { event: 'message_start', data: '{"a":1}', id: undefined },
      { event: 'message', data: 'line one\nline two', id: undefined },
      { event: 'message', data: '[DONE]', id: '7' },
    ]);
  });

  it('gives the same events whatever the chunk boundaries, bytes split inside UTF-8 included', () => {
    const text = 'data: {"text":"héllo – wörld ✓"}\r\n\r\ndata: {"n":2}\r\n\r\n';
    const bytes = new TextEncoder().encode(text);
    const whole = new SseParser().push(bytes);
    for (let size = 1; size <= 7; size += 1) {
      const parser = new SseParser();
      const events = [];
      for (let offset = 0; offset < bytes.length; offset += size)
        events.push(...parser.push(bytes.subarray(offset, offset + size)));
      assert.deepEqual(events, whole, `chunks of ${size} bytes`);
    }
    assert.equal(JSON.parse(whole[0]!.data).text, 'héllo – wörld ✓');
  });

  it('discards an event cut off without its blank line when the stream ends', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: {"a":1}\n\ndata: {"partial":true}'), [
      { event: 'message', data: '{"a":1}', id: undefined },
    ]);
    assert.equal(parser.pending, true);
    assert.deepEqual(parser.flush(), []);
    assert.equal(parser.pending, false);
  });

  it('parses a large chunk in one go and refuses an endless line', () => {
    const big = 'data: {"t":"x"}\n\n'.repeat(50_000);
    assert.equal(new SseParser().push(big).length, 50_000);
    assert.throws(() => new SseParser(100).push(`data: ${'x'.repeat(200)}`), /longer than 100 characters/);
  });
});
