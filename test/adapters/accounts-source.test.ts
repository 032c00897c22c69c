/** The accounts source (ACCOUNTS_URL): conditional fetches over real HTTP and from files, and secrets kept out of sight. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountsSourceError, createAccountsSource } from '../../src/adapters/accounts-source.js';
import { findFreePort } from '../support/free-port.js';

const TOKEN = 'tok-s3cret-0123456789';
const JSON_DOC = '[{"account":"A1","pin":"1234"}]';
const CSV_DOC = 'account,pin\nA1,1234\n';

interface TestServer { url: string; requests: http.IncomingHttpHeaders[]; paths: string[] }
const servers: http.Server[] = [];

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
  const requests: http.IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    paths.push(req.url ?? '');
    res.on('error', () => {});
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, paths };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The error a fetch fails with (the test fails if it succeeds). */
async function failure(p: Promise<unknown>): Promise<AccountsSourceError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AccountsSourceError);
  return err as AccountsSourceError;
}

describe('http', () => {
  it('200 with an ETag, then a 304 for the same validators', async () => {
    const s = await serve((req, res) => {
      if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag: '"v1"' }).end(JSON_DOC);
    });
    const source = createAccountsSource(`${s.url}/export.json`);
    expect(source).toMatchObject({ kind: 'http', location: `${s.url}/export.json` });
    const first = await source.fetch();
    expect(first).toEqual({ changed: true, text: JSON_DOC, format: 'json', validators: { etag: '"v1"' }, bytes: Buffer.byteLength(JSON_DOC) });
    expect(s.requests[0]).toMatchObject({ accept: 'application/json, text/csv' });
    expect(s.requests[0]).not.toHaveProperty('authorization');
    expect(s.requests[0]).not.toHaveProperty('if-none-match');

    const second = await source.fetch(first.validators);
    expect(second).toEqual({ changed: false, validators: { etag: '"v1"' } });
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1]?.['if-none-match']).toBe('"v1"');
  });

  it('Last-Modified only: sent back as If-Modified-Since; a 304 keeps the old validators and takes new ones', async () => {
    const lastModified = 'Tue, 04 Jun 2024 10:00:00 GMT';
    const s = await serve((req, res) => {
      if (req.headers['if-modified-since'] === lastModified) return void res.writeHead(304, { etag: '"late"' }).end();
      res.writeHead(200, { 'content-type': 'application/json', 'last-modified': lastModified }).end(JSON_DOC);
    });
    const source = createAccountsSource(`${s.url}/export`);
    const first = await source.fetch();
    expect(first).toMatchObject({ changed: true, validators: { lastModified } });
    expect(first.validators).not.toHaveProperty('etag');
    expect(await source.fetch(first.validators)).toEqual({ changed: false, validators: { lastModified, etag: '"late"' } });
    expect(s.requests[1]?.['if-modified-since']).toBe(lastModified);
    expect(s.requests[1]).not.toHaveProperty('if-none-match');
  });

  it('sends the bearer token; a 503 names the status and the URL, never the token', async () => {
    const s = await serve((_req, res) => res.writeHead(503).end('down'));
    const source = createAccountsSource(`${s.url}/x.json`, { token: TOKEN });
    const err = await failure(source.fetch());
    expect(s.requests[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(err).toMatchObject({ code: 'SOURCE_HTTP_STATUS', status: 503, transient: true });
    expect(err.message).toBe(`the accounts source answered 503 Service Unavailable (${s.url}/x.json)`);
    expect(err.message).not.toContain(TOKEN);
    expect(JSON.stringify(err)).not.toContain(TOKEN);
  });

  it('a token fetch cannot send (a newline in it) is not quoted back by the error', async () => {
    const s = await serve((_req, res) => res.end(JSON_DOC));
    const err = await failure(createAccountsSource(`${s.url}/x.json`, { token: `abc\n${TOKEN}` }).fetch());
    expect(err.code).toBe('SOURCE_UNREACHABLE');
    expect(`${err.message} ${String((err.cause as Error | undefined)?.message)}`).not.toContain(TOKEN);
    expect(s.requests).toHaveLength(0);
  });

  it('connection refused is SOURCE_UNREACHABLE naming ECONNREFUSED', async () => {
    const port = await findFreePort();
    const err = await failure(createAccountsSource(`http://127.0.0.1:${port}/x.json`, { token: TOKEN }).fetch());
    expect(err).toMatchObject({ code: 'SOURCE_UNREACHABLE', transient: true });
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain(TOKEN);
  });

  it('a server that never answers times out as SOURCE_UNREACHABLE', async () => {
    const s = await serve(() => {});
    const started = Date.now();
    const err = await failure(createAccountsSource(`${s.url}/x.json`, { timeoutMs: 200 }).fetch());
    expect(err.code).toBe('SOURCE_UNREACHABLE');
    expect(err.message).toMatch(/timeout/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a body that stops half-way times out too (the deadline covers the body)', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[{"account":');
    });
    const err = await failure(createAccountsSource(`${s.url}/x.json`, { timeoutMs: 200 }).fetch());
    expect(err.code).toBe('SOURCE_UNREACHABLE');
  });

  it('over maxBytes: refused by Content-Length, and while streaming a chunked body', async () => {
    const big = `[${'"x",'.repeat(500)}"x"]`;
    const declared = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) }).end(big));
    const err = await failure(createAccountsSource(`${declared.url}/x.json`, { maxBytes: 1000 }).fetch());
    expect(err.code).toBe('SOURCE_TOO_LARGE');
    expect(err.message).toMatch(/Content-Length 2005/);

    const chunked = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 10; i++) res.write('x'.repeat(500));
      res.end();
    });
    const err2 = await failure(createAccountsSource(`${chunked.url}/x.json`, { maxBytes: 1000 }).fetch());
    expect(err2.code).toBe('SOURCE_TOO_LARGE');
    // At the limit exactly is fine.
    const exact = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end('a'.repeat(1000)));
    expect(await createAccountsSource(exact.url, { maxBytes: 1000 }).fetch()).toMatchObject({ changed: true, bytes: 1000 });
  });

  it('follows a same-origin redirect with the token', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/old.json') return void res.writeHead(302, { location: '/new.json' }).end();
      res.writeHead(200, { 'content-type': 'application/json', etag: '"n"' }).end(JSON_DOC);
    });
    const result = await createAccountsSource(`${s.url}/old.json`, { token: TOKEN }).fetch();
    expect(result).toMatchObject({ changed: true, text: JSON_DOC, validators: { etag: '"n"' } });
    expect(s.paths).toEqual(['/old.json', '/new.json']);
    expect(s.requests.map((h) => h.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('stops after 3 redirects', async () => {
    const s = await serve((req, res) => res.writeHead(301, { location: `/r${s.paths.length}` }).end());
    const err = await failure(createAccountsSource(`${s.url}/r0`, { token: TOKEN }).fetch());
    expect(err.code).toBe('SOURCE_HTTP_STATUS');
    expect(err.message).toMatch(/more than 3 redirects/);
    expect(s.requests).toHaveLength(4);
  });

  it('refuses a cross-origin redirect while a token is configured; the other origin never sees the token', async () => {
    const other = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON_DOC));
    const s = await serve((_req, res) => res.writeHead(307, { location: `${other.url}/elsewhere.json?sig=abc` }).end());
    const err = await failure(createAccountsSource(`${s.url}/x.json`, { token: TOKEN }).fetch());
    expect(err.code).toBe('SOURCE_HTTP_STATUS');
    expect(err.message).toContain(`${other.url}/elsewhere.json`);
    expect(err.message).not.toContain('sig=abc');
    expect(err.message).not.toContain(TOKEN);
    expect(other.requests).toHaveLength(0);

    // Without credentials there is nothing to leak: the redirect is followed.
    const plain = await createAccountsSource(`${s.url}/x.json`).fetch();
    expect(plain).toMatchObject({ changed: true, format: 'json' });
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]).not.toHaveProperty('authorization');
  });

  it('never follows a redirect to plain http on another machine, token or not', async () => {
    const s = await serve((_req, res) => res.writeHead(302, { location: 'http://billing.example.test/accounts.json' }).end());
    for (const opts of [{}, { token: TOKEN }]) {
      const err = await failure(createAccountsSource(`${s.url}/x.json`, opts).fetch());
      expect(err.code).toBe('SOURCE_HTTP_STATUS');
      expect(err.message).toMatch(/redirected to http:\/\/billing\.example\.test\/accounts\.json, (plain http to another machine|another origin)/);
    }
  });

  it('CSV by Content-Type, by extension, and by sniffing', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/typed') return void res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(CSV_DOC);
      if (req.url === '/sniff-json') return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(`\n  ${JSON_DOC}`);
      if (req.url === '/vendor') return void res.writeHead(200, { 'content-type': 'application/vnd.billing+json' }).end(JSON_DOC);
      if (req.url === '/empty') return void res.writeHead(200, { 'content-type': 'application/json' }).end(' \n');
      res.writeHead(200, { 'content-type': 'text/plain' }).end(CSV_DOC);
    });
    expect(await createAccountsSource(`${s.url}/typed`).fetch()).toMatchObject({ format: 'csv', text: CSV_DOC });
    expect(await createAccountsSource(`${s.url}/export.csv`).fetch()).toMatchObject({ format: 'csv' });
    expect(await createAccountsSource(`${s.url}/sniff-csv`).fetch()).toMatchObject({ format: 'csv' });
    expect(await createAccountsSource(`${s.url}/sniff-json`).fetch()).toMatchObject({ format: 'json' });
    expect(await createAccountsSource(`${s.url}/vendor`).fetch()).toMatchObject({ format: 'json' });
    const err = await failure(createAccountsSource(`${s.url}/empty`).fetch());
    expect(err.code).toBe('SOURCE_FORMAT');
    expect(err.message).toMatch(/^the accounts source sent an empty document/);
  });

  it('location masks user, password and query string; URL credentials go as Basic, not in the URL', async () => {
    expect(createAccountsSource('https://user:pw@host.example/x.json?key=secret#frag').location).toBe('https://host.example/x.json');
    const s = await serve((_req, res) => res.writeHead(500).end());
    const source = createAccountsSource(`${s.url.replace('//', '//user:pw@')}/x.json?key=secret`);
    const err = await failure(source.fetch());
    expect(s.paths).toEqual(['/x.json?key=secret']);
    expect(s.requests[0]?.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
    expect(err.message).not.toMatch(/pw|secret/);
    expect(source.location).toBe(`${s.url}/x.json`);
  });
});

describe('file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-accounts-source-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('changed, unchanged for the same size and mtime, changed after a rewrite', async () => {
    const file = path.join(dir, 'accounts.json');
    const when = new Date('2024-06-04T10:00:00Z');
    await writeFile(file, JSON_DOC);
    await utimes(file, when, when);
    const source = createAccountsSource(file);
    expect(source).toMatchObject({ kind: 'file', location: file });
    const first = await source.fetch();
    expect(first).toEqual({
      changed: true, text: JSON_DOC, format: 'json', bytes: Buffer.byteLength(JSON_DOC),
      validators: { etag: `"${Buffer.byteLength(JSON_DOC)}-${when.getTime()}"`, lastModified: when.toUTCString() },
    });

    // Same size and mtime: not read, even though the bytes differ.
    await writeFile(file, JSON_DOC.replace('1234', '9999'));
    await utimes(file, when, when);
    expect(await source.fetch(first.validators)).toEqual({ changed: false, validators: first.validators });

    await writeFile(file, JSON_DOC.replace('1234', '123456'));
    const third = await source.fetch(first.validators);
    expect(third).toMatchObject({ changed: true, text: JSON_DOC.replace('1234', '123456') });
    expect(third.validators.etag).not.toBe(first.validators.etag);
  });

  it('a missing file is SOURCE_NOT_FOUND with its path', async () => {
    const file = path.join(dir, 'nope.csv');
    const err = await failure(createAccountsSource(file).fetch());
    expect(err.code).toBe('SOURCE_NOT_FOUND');
    expect(err.message).toContain(file);
  });

  it('a relative path or file:// URL resolves to an absolute location; CSV by extension or sniffing', async () => {
    await writeFile(path.join(dir, 'accounts.csv'), CSV_DOC);
    await writeFile(path.join(dir, 'accounts'), `\uFEFF${CSV_DOC}`);
    const relative = createAccountsSource(path.relative(process.cwd(), path.join(dir, 'accounts.csv')));
    expect(relative.location).toBe(path.join(dir, 'accounts.csv'));
    expect(await relative.fetch()).toMatchObject({ changed: true, format: 'csv', text: CSV_DOC });
    const byUrl = createAccountsSource(pathToFileURL(path.join(dir, 'accounts')).href);
    expect(byUrl.location).toBe(path.join(dir, 'accounts'));
    expect(await byUrl.fetch()).toMatchObject({ format: 'csv', text: CSV_DOC });
  });

  it('maxBytes applies, and an empty file is SOURCE_FORMAT', async () => {
    await writeFile(path.join(dir, 'big.json'), 'x'.repeat(2000));
    await writeFile(path.join(dir, 'empty.json'), '');
    expect((await failure(createAccountsSource(path.join(dir, 'big.json'), { maxBytes: 1000 }).fetch())).code).toBe('SOURCE_TOO_LARGE');
    expect((await failure(createAccountsSource(path.join(dir, 'empty.json')).fetch())).code).toBe('SOURCE_FORMAT');
  });
});
