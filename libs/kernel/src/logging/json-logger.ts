import type { LoggerService, LogLevel } from '@nestjs/common';
import { requestContext } from './request-context.js';

const severity: Record<string, number> = { verbose: 0, debug: 0, log: 1, info: 1, warn: 2, error: 3, fatal: 4 };
const levelName: Record<string, string> = {
  verbose: 'debug',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** Nest's start-up chatter (one line per module and route) is debug detail, not news. */
const startupContexts = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

export type LogSink = (line: string) => void;

/**
 * Nest's logger, as one JSON object per line on stdout: time, level, app, context, message and
 * the request id of the request being served, when there is one.
 */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;

  constructor(
    private readonly app: string,
    level: 'debug' | 'info' | 'warn' | 'error' = 'info',
    private readonly sink: LogSink = (line) => process.stdout.write(line),
  ) {
    this.threshold = severity[level] ?? 1;
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }
  setLogLevels(_levels: LogLevel[]): void {
    // The level comes from LOG_LEVEL at start-up.
  }

  private write(level: string, message: unknown, rest: unknown[]): void {
    // Nest passes the context last, and for errors a stack before it.
    const context = typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'log' && context && startupContexts.has(context)) level = 'debug';
    if ((severity[level] ?? 1) < this.threshold) return;
    const stack = level === 'error' && typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level: levelName[level] ?? level,
      app: this.app,
    };
    if (context) entry.context = context;
    const requestId = requestContext.getStore()?.requestId;
    if (requestId) entry.requestId = requestId;
    if (message instanceof Error) {
      entry.msg = message.message;
      entry.stack = message.stack;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(entry, message);
    } else {
      entry.msg = String(message);
    }
    if (stack) entry.stack = stack;
    this.sink(`${JSON.stringify(entry)}\n`);
  }
}
