/**
 * Text a spreadsheet would read as a formula (OWASP CSV injection): a model name or user agent
 * such as =HYPERLINK(…) runs when the export is opened. Such text is written after a single quote.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: text that would start a formula prefixed with ', then quoted when it holds a
 * comma, a quote or a line break (RFC 4180). Numbers and dates are written as they are.
 */
function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV with a header line, the columns in the order given. */
export function toCsv<Row>(columns: readonly (keyof Row & string)[], rows: readonly Row[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((column) => field(row[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
