import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from './sse-parser.js';

const transcript = 'event: message_start\ndata: {"a":1}\n\n: keep-alive comment\n\ndata: line one\ndata: line two\n\nid: 7\ndata: [DONE]\n\n';

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
      for (let offset = 0; offset < bytes.length; offset += size) events.push(...parser.push(bytes.subarray(offset, offset + size)));
      assert.deepEqual(events, whole, `chunks of ${size} bytes`);
    }
    assert.equal(JSON.parse(whole[0]!.data).text, 'héllo – wörld ✓');
  });

  it('keeps an unterminated event pending until flush', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: {"partial":true}'), []);
    assert.equal(parser.pending, true);
    assert.deepEqual(parser.flush(), [{ event: 'message', data: '{"partial":true}', id: undefined }]);
  });
});
