// Prints the last lines of an app's log readably:  node scripts/lib/log-tail.mjs .run/logs/api-gateway.log [20]
// The apps log JSON lines (time, level, context, msg, stack); anything else (a crash before the
// logger exists, a config error) is printed as it is.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** One log line as "12:00:01 warn  [Context] message", with the first lines of a stack. */
export function formatLogLine(line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return line;
  const { time, level, app: _app, context, msg, stack, ...rest } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 19) : '';
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  const head = `${clock} ${String(level ?? '').padEnd(5)} ${context ? `[${context}] ` : ''}${msg ?? ''}${extra}`;
  if (typeof stack !== 'string') return head.trim();
  const frames = stack
    .split('\n')
    .slice(1, 4)
    .map((frame) => `    ${frame.trim()}`);
  return [head.trim(), ...frames].join('\n');
}

/** The last `count` non-empty lines of a log text, formatted. */
export function tailLog(text, count = 20) {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .map(formatLogLine);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, count] = process.argv.slice(2);
  if (!file || !existsSync(file)) {
    console.log(`  (no log at ${file})`);
  } else {
    const lines = tailLog(readFileSync(file, 'utf8'), Number(count) || 20);
    console.log(lines.length > 0 ? lines.map((line) => `  ${line}`).join('\n') : '  (the log is empty)');
  }
}
