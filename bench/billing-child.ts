/**
 * Billing's accounts export for the accounts-sync scenario (SPEC §14), in its own process like the
 * SMTP sink, so serving it does not run on the measuring process's event loop and the document
 * (tens of MB) is not held there. An HTTP server on loopback serving one JSON document with an
 * ETag, answering 304 to a matching If-None-Match, as test/e2e/support/billing-server.ts does.
 *
 * The document is generated here (bench/fixtures.ts's accounts, with numbers every one of which
 * libphonenumber accepts, as the daemon checks them): `accounts` accounts of `didsPerAccount`
 * numbers, every `lockEvery`-th locked, every `hashedPinEvery`-th with a PIN already in the stored
 * form (real scrypt hashes of 16 PINs, made once here and shared: the desk checks the form, not
 * which PIN it is) and `clearPins` accounts with a PIN in clear (the desk hashes each with scrypt,
 * ~35 ms, on the first sync).
 *
 * IPC: `{type: 'build', …DocumentSpec}` → `{type: 'ready', url, bytes, etag, buildMs}`;
 * `{type: 'lock', id}` locks that account in a new document (new ETag) → `{type: 'changed', at,
 * etag, bytes}`; every request is told as `{type: 'request', …BillingRequestNote}` once answered.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createScryptPins } from '../src/adapters/scrypt-pins.js';
import type { Account } from '../src/domain/records.js';
import { billingNumber, makeAccount } from './fixtures.js';

export interface DocumentSpec {
  accounts: number;
  didsPerAccount: number;
  lockEvery: number;
  hashedPinEvery: number;
  clearPins: number;
}

export interface BillingRequestNote {
  /** Date.now() when the request arrived and when its answer was written out. */
  at: number;
  doneAt: number;
  status: number;
  /** The ETag of the document served when it came. */
  etag: string;
  ifNoneMatch?: string;
  /** Body bytes answered. */
  bytes: number;
}

type Request = ({ type: 'build' } & DocumentSpec) | { type: 'lock'; id: string } | { type: 'stop' };

/** Indices of the accounts with a PIN in clear: spread over the document. */
export function clearPinIndices(spec: DocumentSpec): Set<number> {
  const step = Math.max(1, Math.floor(spec.accounts / Math.max(1, spec.clearPins)));
  return new Set(Array.from({ length: Math.min(spec.clearPins, spec.accounts) }, (_, k) => k * step + 5));
}

function makeDocument(spec: DocumentSpec): Account[] {
  const pins = createScryptPins();
  const hashes = Array.from({ length: 16 }, (_, k) => pins.hash(`${4100 + k}`));
  const clear = clearPinIndices(spec);
  return Array.from({ length: spec.accounts }, (_, i) => {
    // The fixtures' account without its stored numbers (they run out before 100,000), billing's instead.
    const a = makeAccount(i, { didsPerAccount: 0, lockEvery: spec.lockEvery });
    const dids = Array.from({ length: spec.didsPerAccount }, (_d, k) => billingNumber(i * spec.didsPerAccount + k));
    const portOutPin = clear.has(i) ? `${3000 + i}` : spec.hashedPinEvery && i % spec.hashedPinEvery === 7 ? hashes[i % hashes.length] : undefined;
    // Billing sends its numbers as strings; the desk reads them as it reads an import.
    return { ...a, dids: dids as unknown as Account['dids'], ...(portOutPin ? { portOutPin } : {}) };
  });
}

async function main(): Promise<void> {
  let accounts: Account[] = [];
  let body = Buffer.from('[]');
  let etag = '"empty"';
  const publish = () => {
    body = Buffer.from(JSON.stringify(accounts));
    etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
  };

  const server = http.createServer((req, res) => {
    const at = Date.now();
    const ifNoneMatch = req.headers['if-none-match'];
    const served = etag;
    let status = 200;
    if (req.method !== 'GET') status = 405;
    else if (ifNoneMatch !== undefined && String(ifNoneMatch).split(',').map((t) => t.trim()).includes(served)) status = 304;
    const payload = status === 200 ? body : Buffer.alloc(0);
    res.on('finish', () => {
      const note: BillingRequestNote = { at, doneAt: Date.now(), status, etag: served, ...(ifNoneMatch !== undefined ? { ifNoneMatch: String(ifNoneMatch) } : {}), bytes: payload.length };
      process.send?.({ type: 'request', ...note });
    });
    if (status === 200) res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length, etag: served, 'cache-control': 'no-cache' }).end(payload);
    else if (status === 304) res.writeHead(304, { etag: served }).end();
    else res.writeHead(status).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  process.on('message', (msg: Request) => {
    switch (msg.type) {
      case 'build': {
        const t0 = performance.now();
        accounts = makeDocument(msg);
        publish();
        process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}/export/accounts`, bytes: body.length, etag, buildMs: performance.now() - t0 });
        break;
      }
      case 'lock': {
        accounts = accounts.map((a) => (a.id === msg.id ? { ...a, portOutLock: true } : a));
        publish();
        process.send?.({ type: 'changed', at: Date.now(), etag, bytes: body.length });
        break;
      }
      case 'stop':
        server.close(() => process.exit(0));
        server.closeAllConnections();
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// No top-level await: the file must load the same whether the loader treats it as ESM or not.
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
