/**
 * Where the accounts document comes from (ACCOUNTS_URL): billing's export over HTTP(S), or a file
 * a billing job drops. One `fetch` is one conditional read: the caller keeps the validators of the
 * document it applied and hands them back, so an unchanged export costs a 304 or a stat, not a
 * parse and an import. This only fetches; parsing the JSON or CSV is done elsewhere.
 *
 * The bearer token (ACCOUNTS_TOKEN) and a URL's password are secrets: never in `location` or an
 * error message, and never sent to another origin — redirects are followed here (at most 3, and
 * same-origin only while credentials are configured), not by fetch itself.
 */
import { open } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { isLoopbackHost } from '../config.js';
import type { AccountsSource, SourceFetch, SourceValidators } from '../ports/accounts-source.js';

export type { AccountsSource, SourceFetch, SourceValidators };
export interface AccountsSourceOptions { token?: string; timeoutMs?: number; maxBytes?: number }

export type AccountsSourceErrorCode = 'SOURCE_UNREACHABLE' | 'SOURCE_HTTP_STATUS' | 'SOURCE_TOO_LARGE' | 'SOURCE_FORMAT' | 'SOURCE_NOT_FOUND';

export class AccountsSourceError extends Error {
  /** The HTTP status, when the source answered with one it should not have. */
  readonly status?: number;
  /** Worth trying at the next poll: unreachable, or a 5xx / 408 / 429 answer. */
  readonly transient: boolean;
  constructor(readonly code: AccountsSourceErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AccountsSourceError';
    this.status = options.status;
    const s = options.status;
    this.transient = code === 'SOURCE_UNREACHABLE' || (s !== undefined && (s >= 500 || s === 408 || s === 429));
  }
}

const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createAccountsSource(location: string, opts: AccountsSourceOptions = {}): AccountsSource {
  const limits = { timeoutMs: opts.timeoutMs ?? 30_000, maxBytes: opts.maxBytes ?? 64 * 1024 * 1024 };
  if (/^https?:\/\//i.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      // URL's own error echoes the input, password and all.
      throw new AccountsSourceError('SOURCE_NOT_FOUND', 'ACCOUNTS_URL is not a valid URL');
    }
    return httpSource(url, opts.token?.trim() || undefined, limits);
  }
  if (/^file:/i.test(location)) return fileSource(fileURLToPath(location), limits.maxBytes);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1];
  if (scheme) throw new AccountsSourceError('SOURCE_NOT_FOUND', `ACCOUNTS_URL has the scheme ${scheme}:; only http(s) URLs and file paths are read`);
  return fileSource(path.resolve(location), limits.maxBytes);
}

function withoutCredentials(url: URL): URL {
  url.username = '';
  url.password = '';
  return url;
}

/** The URL as it may be shown: no user, password, query string or fragment. */
function publicUrl(url: URL): string {
  const shown = withoutCredentials(new URL(url.href));
  shown.search = '';
  shown.hash = '';
  return shown.href;
}

function httpSource(given: URL, token: string | undefined, limits: { timeoutMs: number; maxBytes: number }): AccountsSource {
  const user = unescape(given.username);
  const password = unescape(given.password);
  const secrets = [token, given.password, password].filter((s): s is string => !!s);
  const basic = user || password ? Buffer.from(`${user}:${password}`).toString('base64') : undefined;
  const authorization = token ? `Bearer ${token}` : basic ? `Basic ${basic}` : undefined;
  // fetch refuses URLs with credentials: they travel in the Authorization header instead.
  const start = withoutCredentials(new URL(given.href));
  start.hash = '';
  const location = publicUrl(given);

  const fetchOnce = async (previous?: SourceValidators): Promise<SourceFetch> => {
    const headers: Record<string, string> = { accept: 'application/json, text/csv' };
    if (authorization) headers.authorization = authorization;
    if (previous?.etag) headers['if-none-match'] = previous.etag;
    if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
    // One deadline for the whole fetch: every redirect and the body included.
    const signal = AbortSignal.timeout(limits.timeoutMs);
    let url = start;
    try {
      for (let hops = 0; ; hops++) {
        const res = await fetch(url, { headers, signal, redirect: 'manual' });
        const where = publicUrl(url);
        const next = res.headers.get('location');
        if (REDIRECTS.has(res.status) && next !== null) {
          await res.body?.cancel();
          const target = withoutCredentials(new URL(next, url));
          const fail = (why: string) => new AccountsSourceError('SOURCE_HTTP_STATUS', `the accounts source redirected to ${publicUrl(target)}, ${why} (${where})`, { status: res.status });
          if (hops === MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`);
          if (target.protocol !== 'http:' && target.protocol !== 'https:') throw fail('which is not an http(s) URL');
          if (authorization && target.origin !== start.origin) throw fail('another origin, which is not sent the credentials; set ACCOUNTS_URL to the new address');
          // The accounts say where verifications go: never read in clear from another machine.
          if (target.protocol === 'http:' && !isLoopbackHost(target.hostname)) throw fail('plain http to another machine, which anyone on the way could rewrite');
          url = target;
          continue;
        }
        if (res.status === 304) {
          await res.body?.cancel();
          return { changed: false, validators: { ...previous, ...validatorsOf(res.headers) } };
        }
        if (res.status !== 200) {
          await res.body?.cancel();
          const text = res.statusText || STATUS_CODES[res.status] || '';
          throw new AccountsSourceError('SOURCE_HTTP_STATUS', `the accounts source answered ${`${res.status} ${text}`.trim()} (${where})`, { status: res.status });
        }
        const declared = Number(res.headers.get('content-length') ?? NaN);
        if (declared > limits.maxBytes) {
          await res.body?.cancel();
          throw tooLarge(`Content-Length ${declared}`, limits.maxBytes, where);
        }
        const body = res.body ? await collect(res.body, limits.maxBytes, where) : Buffer.alloc(0);
        const contentType = res.headers.get('content-type') ?? undefined;
        const text = decode(body, /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]);
        return document(text, body.length, formatOf(text, contentType, url.pathname), validatorsOf(res.headers), where);
      }
    } catch (err) {
      if (err instanceof AccountsSourceError) throw err;
      throw unreachable(err, publicUrl(url), limits.timeoutMs, secrets);
    }
  };
  return { location, kind: 'http', fetch: fetchOnce };
}

function fileSource(file: string, maxBytes: number): AccountsSource {
  const fetchOnce = async (previous?: SourceValidators): Promise<SourceFetch> => {
    let fh;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new AccountsSourceError('SOURCE_NOT_FOUND', `there is no accounts file at ${file}`, { cause: err });
      throw new AccountsSourceError('SOURCE_UNREACHABLE', `the accounts file cannot be read: ${code ?? String(err)} (${file})`, { cause: err });
    }
    try {
      // The open file's own stat: what is read below is the file these validators describe.
      const st = await fh.stat();
      if (!st.isFile()) throw new AccountsSourceError('SOURCE_NOT_FOUND', `the accounts source is not a file (${file})`);
      const validators = { etag: `"${st.size}-${st.mtimeMs}"`, lastModified: st.mtime.toUTCString() };
      if (previous?.etag === validators.etag) return { changed: false, validators };
      if (st.size > maxBytes) throw tooLarge(`${st.size} bytes`, maxBytes, file);
      const body = await collect(fh.createReadStream({ autoClose: false }), maxBytes, file);
      const text = decode(body);
      return document(text, body.length, formatOf(text, undefined, file), validators, file);
    } catch (err) {
      if (err instanceof AccountsSourceError) throw err;
      throw new AccountsSourceError('SOURCE_UNREACHABLE', `the accounts file cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)} (${file})`, { cause: err });
    } finally {
      await fh.close();
    }
  };
  return { location: file, kind: 'file', fetch: fetchOnce };
}

/** Reads a body up to maxBytes; one byte more stops the read (the rest is never buffered). */
async function collect(chunks: AsyncIterable<Uint8Array>, maxBytes: number, where: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(`over ${maxBytes} bytes read`, maxBytes, where);
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

function document(text: string, bytes: number, format: 'json' | 'csv', validators: SourceValidators, where: string): SourceFetch {
  if (text.trim() === '') throw new AccountsSourceError('SOURCE_FORMAT', `the accounts source sent an empty document (${where})`);
  return { changed: true, text, format, validators, bytes };
}

/** Content-Type first, then the path's extension, then the first character. */
function formatOf(text: string, contentType: string | undefined, pathname: string): 'json' | 'csv' {
  const mime = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mime === 'application/json' || mime.endsWith('+json')) return 'json';
  if (mime === 'text/csv' || mime === 'application/csv') return 'csv';
  const ext = path.posix.extname(pathname).toLowerCase();
  if (ext === '.json' || ext === '.csv') return ext === '.json' ? 'json' : 'csv';
  return /^\s*[[{]/.test(text) ? 'json' : 'csv';
}

/** UTF-8 unless the server names another charset; a leading BOM is dropped. */
function decode(body: Buffer, charset?: string): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

function unescape(part: string): string {
  try { return decodeURIComponent(part); } catch { return part; }
}

function validatorsOf(headers: Headers): SourceValidators {
  const etag = headers.get('etag');
  const lastModified = headers.get('last-modified');
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}

function tooLarge(what: string, maxBytes: number, where: string): AccountsSourceError {
  return new AccountsSourceError('SOURCE_TOO_LARGE', `the accounts document is larger than the limit of ${maxBytes} bytes: ${what} (${where})`);
}

/** Names the cause as node does (ECONNREFUSED, ENOTFOUND…), or the timeout; scrubbed of secrets. */
function unreachable(err: unknown, where: string, timeoutMs: number, secrets: string[]): AccountsSourceError {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; errors?: { code?: string }[] } } | undefined;
  let why = e?.name === 'TimeoutError' ? `timeout, no answer within ${timeoutMs} ms` : (e?.cause?.code ?? e?.cause?.errors?.[0]?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(err));
  for (const secret of secrets) why = why.split(secret).join('***');
  // A cause that quotes a secret (an invalid header value) is not kept: loggers print causes.
  const quoted = `${e?.message} ${e?.cause?.message}`;
  const cause = secrets.some((secret) => quoted.includes(secret)) ? {} : { cause: err };
  return new AccountsSourceError('SOURCE_UNREACHABLE', `the accounts source could not be reached: ${why} (${where})`, cause);
}

