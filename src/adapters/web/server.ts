/**
 * The daemon's HTTP server (SPEC §12), with fastify: the console for support, the one-click
 * answer pages for customers, /healthz and /metrics. Pages are rendered on the server
 * (views.ts) and work without JavaScript; htmx, served from the package, only makes searches
 * update as one types. Every response carries the security headers; every POST is checked for
 * its origin and its CSRF token. Request URLs are never logged: an answer link is a secret.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { Desk } from '../../app/desk.js';
import type { AnswerLinks } from '../../app/answer-links.js';
import type { HttpConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../ports/clock.js';
import type { MessageParser } from '../../ports/message-parser.js';
import type { ParkedMail } from '../../ports/parked-mail.js';
import type { Passwords } from '../../ports/passwords.js';
import type { Store } from '../../ports/store.js';
import { DeskError } from '../../errors.js';
import { countPendingEvents, type Metrics } from './metrics.js';
import { registerConsoleRoutes } from './console-routes.js';
import { registerLinkRoutes } from './link-routes.js';
import { createViews, WEB_TEMPLATES_DIR, type Views } from './views.js';

export interface Health {
  store: 'ok' | 'failed';
  /** `listening`: the embedded SMTP listener takes the mail (no IMAP). */
  imap: 'ok' | 'down' | 'listening';
  /** `files`: e-mails are written as .eml files (no SMTP). `retrying`: the server refuses or is unreachable. */
  smtp: 'ok' | 'retrying' | 'files';
}

export interface WebDeps {
  config: HttpConfig;
  desk: Desk;
  store: Store;
  links: AnswerLinks;
  passwords: Passwords;
  clock: Clock;
  log: Logger;
  timezone: string;
  supportEmail: string;
  health: () => Health;
  metrics: Metrics;
  parkedMail?: ParkedMail;
  parser?: MessageParser;
}

export interface WebContext extends WebDeps {
  views: Views;
  /** The page, with the security headers every page has. */
  html(reply: FastifyReply, status: number, page: string, data: Record<string, unknown>): FastifyReply;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const STATIC: Record<string, { type: string; file: () => string }> = {
  'console.css': { type: 'text/css; charset=utf-8', file: () => path.join(WEB_TEMPLATES_DIR, 'static', 'console.css') },
  'htmx.min.js': { type: 'text/javascript; charset=utf-8', file: () => createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js') },
};

/** The fastify app with every route; `listen` is the caller's (tests use app.inject). */
export async function buildWebApp(deps: WebDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, trustProxy: false, return503OnClosing: true, forceCloseConnections: true });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  const views = createViews({ timezone: deps.timezone });
  const https = deps.config.publicUrl.startsWith('https:');
  const publicOrigin = new URL(deps.config.publicUrl).origin;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the
    // page's own forms. Either way an answer link's address never goes to another site.
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    reply.header('Cache-Control', 'no-store');
    if (https) reply.header('Strict-Transport-Security', 'max-age=31536000');
    if (request.method === 'POST' && !sameOrigin(request, publicOrigin)) {
      return reply.code(403).type('text/plain; charset=utf-8').send('refused: the form was sent from another site');
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern (/v/:token), never the URL: an answer link is a secret.
    deps.log.debug({ method: request.method, route: request.routeOptions.url ?? '(no route)', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'http');
  });

  const ctx: WebContext = {
    ...deps,
    views,
    html: (reply, status, page, data) => reply.code(status).type('text/html; charset=utf-8').send(views.page(page, data)),
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) deps.log.error({ err: { message: err.message, code: err.code }, route: request.routeOptions.url }, 'http request failed');
    return ctx.html(reply, status, 'message', {
      title: status === 500 ? 'Something went wrong' : 'Not accepted',
      heading: status === 500 ? 'Something went wrong' : 'That request was not accepted',
      lines: [status === 500 ? 'The desk could not answer this request. It has been logged; please try again.' : (err.message ?? 'bad request')],
      bare: true,
    });
  });
  app.setNotFoundHandler((_request, reply) => ctx.html(reply, 404, 'message', { title: 'Not found', heading: 'Not found', lines: ['There is no page here.'], bare: true }));

  app.get('/static/:file', async (request, reply) => {
    const entry = STATIC[(request.params as { file: string }).file];
    if (!entry) return reply.callNotFound();
    reply.header('Cache-Control', 'public, max-age=3600');
    return reply.type(entry.type).send(await readFile(entry.file()));
  });

  app.get('/healthz', async (_request, reply) => {
    const h = deps.health();
    // Counted by the store as records change (queued e-mails are always live), not listed and sorted per request.
    const outboxQueued = deps.store.countRecords?.().outbox.queued ?? deps.store.listQueuedOutbox().length;
    const down = h.store !== 'ok' || h.imap === 'down' || h.smtp === 'retrying';
    // Events waiting for an endpoint are told, not a failure of the desk: the endpoint is another system's.
    const webhooksPending = countPendingEvents(deps.store);
    return reply.code(down ? 503 : 200).send({ status: down ? 'down' : 'ok', store: h.store, imap: h.imap, smtp: h.smtp, outboxQueued, webhooksPending });
  });

  app.get('/metrics', async (request, reply) => {
    if (!deps.config.metricsFromAnywhere && !isLoopback(request.socket.remoteAddress)) {
      return reply.code(403).type('text/plain; charset=utf-8').send('metrics are served to this host only (METRICS_FROM_ANYWHERE=true opens them)');
    }
    return reply.type(deps.metrics.contentType).send(await deps.metrics.render());
  });

  registerLinkRoutes(app, ctx);
  registerConsoleRoutes(app, ctx, { secureCookies: https });
  return app;
}

export interface WebServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:8025`: where it listens (the port chosen when HTTP_PORT asked for any). */
  address: string;
  close(): Promise<void>;
}

export async function startWebServer(deps: WebDeps): Promise<WebServer> {
  const app = await buildWebApp(deps);
  try {
    await app.listen({ host: deps.config.host, port: deps.config.port });
  } catch (err) {
    await app.close();
    const e = err as NodeJS.ErrnoException;
    throw new DeskError('HTTP_LISTEN_FAILED', `the console cannot listen on ${deps.config.host}:${deps.config.port}: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another program uses the port; set HTTP_PORT, or HTTP_PORT=0 to turn the console off)' : ''}`);
  }
  const a = app.server.address();
  const address = a && typeof a === 'object' ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : deps.config.publicUrl;
  return { app, address, close: () => app.close() };
}

function isLoopback(ip: string | undefined): boolean {
  return !!ip && (ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.'));
}

/**
 * A POST from a page of this desk: no Origin (an older client, or a tool) or one naming this
 * server (as PUBLIC_URL says, or as the client reached it); a browser's Sec-Fetch-Site saying
 * "cross-site" is refused whatever the Origin.
 */
function sameOrigin(request: FastifyRequest, publicOrigin: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  // A browser that hides the origin (a no-referrer policy) still says where the form came from.
  if (origin === 'null') return site === 'same-origin';
  if (origin === publicOrigin) return true;
  const host = request.headers.host;
  return !!host && (origin === `http://${host}` || origin === `https://${host}`);
}
