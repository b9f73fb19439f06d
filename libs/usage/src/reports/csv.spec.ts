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

  it('writes text that a spreadsheet would run as a formula after a single quote, and numbers as they are', () => {
    const csv = toCsv<{ text: unknown }>(
      ['text'],
      [
        { text: '=HYPERLINK("http://evil.example","x")' },
        { text: '+1' },
        { text: '-2+3' },
        { text: '@SUM(A1)' },
        { text: '\tcmd' },
        { text: '\rcmd' },
        { text: 'gpt-4o' },
        { text: -1.5 },
      ],
    );
    assert.equal(
      csv,
      'text\r\n"\'=HYPERLINK(""http://evil.example"",""x"")"\r\n\'+1\r\n\'-2+3\r\n\'@SUM(A1)\r\n\'\tcmd\r\n"\'\rcmd"\r\ngpt-4o\r\n-1.5\r\n',
    );
  });
});
