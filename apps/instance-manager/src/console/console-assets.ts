import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

/** The browser files of the console; the build copies apps/instance-manager/console/ here, next to the compiled server. */
const CONSOLE_ROOT = fileURLToPath(new URL('../../console/', import.meta.url));
/** uPlot is served from its npm package, never a CDN: the console works where the internet does not. */
const UPLOT_ROOT = dirname(createRequire(import.meta.url).resolve('uplot'));
const UPLOT_FILES = new Set(['/uPlot.esm.js', '/uPlot.min.css']);

export const CONSOLE_PATH = '/console/';

/**
 * Scripts and styles only from this origin, and no inline script: a value the console shows (an
 * upstream error, an instance name) can never run as code, and no page of another origin can frame
 * the console or receive what it reads. connect-src 'self' keeps the admin token on this origin.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secureHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
  // A new deployment's files are picked up at the next load; they are small.
  reply.header('cache-control', 'no-cache');
}

/**
 * Serves the operator console at /console/: static files that need no token (the login form is
 * among them). Everything the console shows comes from the admin API, each call with the token.
 */
export async function serveConsole(app: NestFastifyApplication): Promise<void> {
  // The page's relative links need the trailing slash; people type the address without it.
  app
    .getHttpAdapter()
    .getInstance()
    .get(CONSOLE_PATH.slice(0, -1), (_request, reply) => reply.redirect(CONSOLE_PATH, 301));
  await app.register(fastifyStatic, {
    root: CONSOLE_ROOT,
    prefix: CONSOLE_PATH,
    decorateReply: false,
    redirect: true,
    index: 'index.html',
    dotfiles: 'deny',
    setHeaders: secureHeaders,
  });
  await app.register(fastifyStatic, {
    root: UPLOT_ROOT,
    prefix: `${CONSOLE_PATH}vendor/uplot/`,
    decorateReply: false,
    allowedPath: (path) => UPLOT_FILES.has(path),
    setHeaders: secureHeaders,
  });
}
