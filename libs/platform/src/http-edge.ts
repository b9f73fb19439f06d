import { type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { HttpException, UnsupportedMediaTypeException } from '@nestjs/common';
import { type AppConfig, DomainError, describeError } from '@switchboard/kernel';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions } from 'fastify';

/**
 * The limits an app enforces before any handler runs: body size, JSON depth, the time a client has
 * to send its request, and header size. Each names the setting that changes it, for the messages.
 */
export interface HttpLimits {
  maxBodyBytes: number;
  maxBodySetting: 'GATEWAY_MAX_BODY_BYTES' | 'ADMIN_MAX_BODY_BYTES';
  maxJsonDepth: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  maxHeaderBytes: number;
}

export function httpLimitsOf(config: AppConfig, servesClients: boolean): HttpLimits {
  return {
    maxBodyBytes: servesClients ? config.GATEWAY_MAX_BODY_BYTES : config.ADMIN_MAX_BODY_BYTES,
    maxBodySetting: servesClients ? 'GATEWAY_MAX_BODY_BYTES' : 'ADMIN_MAX_BODY_BYTES',
    maxJsonDepth: config.MAX_JSON_DEPTH,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    // Node refuses a headers timeout longer than the request timeout.
    headersTimeoutMs: Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS),
    maxHeaderBytes: config.HTTP_MAX_HEADER_BYTES,
  };
}

/** A request refused at the edge: its status and a message that says what to do. */
export interface EdgeRefusal {
  status: number;
  message: string;
  field?: string;
}

/**
 * How an app writes a refusal for a URL (undefined when the request line never arrived), in the
 * format its callers read: the gateway answers /v1/* as OpenAI or Anthropic would.
 */
export type EdgeRenderer = (
  url: string | undefined,
  refusal: EdgeRefusal,
) => { body: unknown; headers?: Record<string, string> };

/** A JSON body the edge refuses: empty, not JSON, nested too deep, or with a prototype key. */
export class InvalidJsonBodyError extends DomainError {
  readonly kind = 'invalid_request';

  constructor(
    message: string,
    override readonly field?: string,
  ) {
    super(message);
    this.name = 'InvalidJsonBodyError';
  }
}

/**
 * Fastify's options for the limits. Node checks request deadlines on an interval (30 s by
 * default), so the interval is shortened to let a stalled body end close to its deadline.
 */
export function edgeServerOptions(limits: HttpLimits, render: EdgeRenderer): FastifyHttpOptions<Server> {
  return {
    bodyLimit: limits.maxBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      maxHeaderSize: limits.maxHeaderBytes,
    },
    clientErrorHandler: (error, socket) => answerClientError(error, socket, limits, render),
  };
}

/**
 * Errors Node's HTTP parser raises before a route runs (a stalled request, headers too large, a
 * malformed request line): written straight to the socket, which then closes.
 */
function answerClientError(
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
  limits: HttpLimits,
  render: EdgeRenderer,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal = clientErrorRefusal(error, limits);
  // A request whose body stalls has its response object on the socket already (Node's own link),
  // and with it the URL: the refusal is answered in that route's format.
  const inFlight = (socket as SocketWithResponse)._httpMessage;
  const url = inFlight?.req?.url ?? requestLineUrl(Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined);
  const { body, headers = {} } = render(url, refusal);
  const text = JSON.stringify(body);
  // A response already under way cannot take a second status line.
  if (socket.writable && !inFlight?.headersSent) {
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n${extra.join('')}\r\n${text}`,
    );
  }
  socket.destroy();
}

/** Node keeps the response a socket is serving as socket._httpMessage (ServerResponse, with .req). */
type SocketWithResponse = Socket & { _httpMessage?: { headersSent?: boolean; req?: { url?: string } } };

export function clientErrorRefusal(error: { code?: string }, limits: HttpLimits): EdgeRefusal {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      message: `The request did not arrive in full within ${limits.requestTimeoutMs} ms (HTTP_REQUEST_TIMEOUT_MS): send the whole body at once, with a Content-Length that matches it`,
    };
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return {
      status: 431,
      message: `The request headers are larger than ${limits.maxHeaderBytes} bytes (HTTP_MAX_HEADER_BYTES): send fewer or smaller headers`,
    };
  return { status: 400, message: `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'})` };
}

function requestLineUrl(rawPacket: Buffer | undefined): string | undefined {
  if (!rawPacket) return undefined;
  return /^[A-Z]+ (\S+) HTTP\//.exec(rawPacket.toString('latin1', 0, 4096))?.[1];
}

const ONLY_JSON = 'This content type is not accepted: send the body as JSON with Content-Type: application/json';

/**
 * The body parsers: JSON only. Its parser also refuses bodies nested deeper than the limit (the
 * validation pipe recurses over a body, and 10,000 levels overflow its stack) and keys named
 * __proto__ (prototype pollution), with messages that name the field. Plain text and form bodies,
 * which Fastify and Nest would parse by default, are refused with 415 like any other type.
 */
export function installBodyParsers(app: NestFastifyApplication, maxDepth: number): void {
  app.useBodyParser('application/json', {}, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body.toString('utf8'), maxDepth));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.useBodyParser('application/x-www-form-urlencoded', {}, (_request, _body, done) =>
    done(new UnsupportedMediaTypeException(ONLY_JSON), undefined),
  );
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
}

export function parseJsonBody(text: string, maxDepth: number): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Told apart only when parsing failed: a copy of every body to trim it showed in profiles.
    if (text.trim() === '')
      throw new InvalidJsonBodyError('The request body is empty: send a JSON object (Content-Type: application/json)');
    throw new InvalidJsonBodyError(`The request body is not valid JSON: ${describeError(error)}`);
  }
  const problem = findStructureProblem(value, maxDepth, 1);
  if (!problem) return value;
  const shown = problem.path.slice(0, 4).join('.') + (problem.path.length > 4 ? '…' : '');
  throw new InvalidJsonBodyError(
    problem.reason === 'depth'
      ? `${shown}: the JSON body nests deeper than ${maxDepth} levels (MAX_JSON_DEPTH); flatten it`
      : `${shown}: a key named __proto__ is not accepted`,
    String(problem.path[0]),
  );
}

interface StructureProblem {
  reason: 'depth' | 'proto';
  path: string[];
}

/** Recursion stops at the depth limit, so a deep body cannot overflow this walk either. */
function findStructureProblem(value: unknown, maxDepth: number, depth: number): StructureProblem | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > maxDepth) return { reason: 'depth', path: [] };
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return { reason: 'proto', path: [key] };
    const problem = findStructureProblem((value as Record<string, unknown>)[key], maxDepth, depth + 1);
    if (problem) return { ...problem, path: [key, ...problem.path] };
  }
  return undefined;
}

/**
 * A framework refusal (Fastify's body reading, mapped to an HttpException by Nest) with a message
 * that says what to do; undefined for anything else.
 */
export function explainFrameworkError(error: unknown, limits: HttpLimits): EdgeRefusal | undefined {
  if (!(error instanceof HttpException)) return undefined;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        message: `The request body is larger than ${limits.maxBodyBytes} bytes (${limits.maxBodySetting}): send a smaller one`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: ONLY_JSON };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'The request body does not match its Content-Length' };
    default:
      return typeof code === 'string' && code.startsWith('FST_')
        ? { status: error.getStatus(), message: error.message }
        : undefined;
  }
}
