/** One server-sent event: the `event:` name (default "message") and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * An incremental parser of the text/event-stream format (WHATWG HTML, "server-sent events"):
 * feed it chunks as they arrive, in any split, and it returns the complete events.
 */
export class SseParser {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  /** A single line longer than this is not an event stream we can trust. */
  constructor(private readonly maxLineLength = 4 * 1024 * 1024) {}

  push(chunk: Uint8Array | string): SseEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    // One pass with a cursor: each character is looked at once, however the chunks are cut.
    let cursor = 0;
    const length = this.buffer.length;
    while (cursor < length) {
      let end = cursor;
      while (end < length && this.buffer.charCodeAt(end) !== 10 && this.buffer.charCodeAt(end) !== 13) end += 1;
      if (end === length) break;
      // A CR as the last character may be half of a CRLF: wait for the next chunk to know.
      if (this.buffer.charCodeAt(end) === 13 && end + 1 === length) break;
      const line = this.buffer.slice(cursor, end);
      cursor = end + (this.buffer.charCodeAt(end) === 13 && this.buffer.charCodeAt(end + 1) === 10 ? 2 : 1);
      this.line(line, events);
    }
    this.buffer = this.buffer.slice(cursor);
    if (this.buffer.length > this.maxLineLength)
      throw new Error(`event stream line longer than ${this.maxLineLength} characters`);
    return events;
  }

  /**
   * The stream ended. As the SSE specification says, an event without its terminating blank line
   * is incomplete and is discarded; the caller decides whether the stream ended properly.
   */
  flush(): SseEvent[] {
    // A CR held back as a possible half of CRLF was a line end after all.
    const complete = this.buffer.endsWith('\r') ? this.push('\n') : [];
    this.buffer = '';
    this.data = [];
    this.event = '';
    return complete;
  }

  /** True when a partial event is pending (data seen, no terminating blank line yet). */
  get pending(): boolean {
    return this.buffer.length > 0 || this.data.length > 0;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0)
        events.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }
}
