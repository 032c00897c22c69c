/**
 * Billing's accounts export for end-to-end tests (SPEC §14): an HTTP server on loopback serving
 * one document (JSON or CSV) with an ETag, answering 304 to a matching If-None-Match, and
 * recording every request (its Authorization and conditional headers, and what was answered),
 * so a test can wait for the Nth sync instead of sleeping. It can refuse (failWith: 503…), require
 * a bearer token (401 without it), and go away and come back on the same port (stop, start).
 *
 * The daemon starts a sync only once the previous one has finished, so once request N+1 has
 * arrived, everything sync N did (its commit, its log line, its alert) is done.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { restartable } from '../../support/restartable-server.js';

export interface BillingRequest {
  method: string;
  path: string;
  /** The headers as sent; undefined when absent. */
  authorization?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  /** What the server answered. */
  status: number;
  /** The ETag of the document being served when the request came. */
  etag: string;
  at: number;
}

export interface BillingServer {
  /** http://127.0.0.1:PORT/export/accounts (no extension: the Content-Type says the format). */
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly requests: readonly BillingRequest[];
  /** The ETag of the document served now. */
  readonly etag: string;
  /** Serves this body from now on; its ETag is a digest of the body, so the same body keeps its ETag. */
  serve(body: string, contentType?: string): string;
  /** Answers this status (with no document) to every request until called with undefined. */
  failWith(status: number | undefined): void;
  /** Resolves once `count` requests have arrived in all; rejects after timeoutMs. */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly BillingRequest[]>;
  /** Stops listening and drops every connection; start() listens on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startBillingServer(opts: { token?: string; path?: string } = {}): Promise<BillingServer> {
  const host = '127.0.0.1';
  const path = opts.path ?? '/export/accounts';
  const requests: BillingRequest[] = [];
  const waiters = new Set<() => void>();
  let body = '[]';
  let contentType = 'application/json';
  let etag = etagOf(body);
  let failing: number | undefined;

  const server = http.createServer((req, res) => {
    const header = (name: string) => {
      const v = req.headers[name];
      return v === undefined ? undefined : String(v);
    };
    const record: BillingRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: header('authorization'),
      ifNoneMatch: header('if-none-match'),
      ifModifiedSince: header('if-modified-since'),
      status: 200,
      etag,
      at: Date.now(),
    };
    if (req.method !== 'GET' || req.url?.split('?')[0] !== path) record.status = 404;
    else if (opts.token && record.authorization !== `Bearer ${opts.token}`) record.status = 401;
    else if (failing !== undefined) record.status = failing;
    else if (record.ifNoneMatch !== undefined && record.ifNoneMatch.split(',').map((t) => t.trim()).includes(etag)) record.status = 304;
    requests.push(record);
    if (record.status === 200) res.writeHead(200, { 'content-type': contentType, etag, 'cache-control': 'no-cache' }).end(body);
    else if (record.status === 304) res.writeHead(304, { etag }).end();
    else res.writeHead(record.status, { 'content-type': 'text/plain' }).end(`refused (${record.status})`);
    for (const w of [...waiters]) w();
  });

  const listener = restartable(server, host);
  const { start, stop } = listener;
  await start();
  const port = listener.port;

  return {
    url: `http://${host}:${port}${path}`,
    port,
    requests,
    get etag() {
      return etag;
    },
    serve(next, type = 'application/json') {
      body = next;
      contentType = type;
      etag = etagOf(next);
      return etag;
    },
    failWith(status) {
      failing = status;
    },
    waitForRequests(count, timeoutMs = 15_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(requests);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the billing server had ${requests.length} requests, not ${count}, within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    stop,
    start,
    close: stop,
  };
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
}
