import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toCsv } from './csv.js';

describe('toCsv', () => {
  it('writes a header and one line per row, quoting what needs it and leaving nulls empty', () => {
    const csv = toCsv<{ a: unknown; b: unknown; c: unknown }>(
      ['a', 'b', 'c'],
      [
        { a: 'plain', b: 'with, comma', c: null },
        { a: 'say "hi"', b: new Date('2026-12-01T00:00:00Z'), c: 1.5 },
      ],
    );
    assert.equal(csv, 'a,b,c\r\nplain,"with, comma",\r\n"say ""hi""",2026-12-01T00:00:00.000Z,1.5\r\n');
  });
});
