/**
 * Data at rest (SPEC §10), at the store: no PIN in clear reaches desk.json, journal.jsonl or the
 * archive — whoever commits one, and when a data directory from before is opened (migrated once,
 * said once in the log) — and DATA_DIR is 0700 with its files 0600 whatever the umask.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/adapters/data-dir-lock.js';
import { secureDataDir } from '../../src/adapters/data-dir-modes.js';
import { JOURNAL_FILE, SNAPSHOT_FILE, openFileStore, type FileStore } from '../../src/adapters/file-store.js';
import { createScryptPins } from '../../src/adapters/scrypt-pins.js';
import type { PortOrder } from '../../src/domain/records.js';
import { prepareDataDir } from '../../src/main.js';
import { testPins } from '../support/test-pins.js';
import { T0, daysBefore, makeAccount, makeOrder, manualClock, orderId } from './store-records.js';

let dir: string;
const opened: FileStore[] = [];
let umask: number;

async function open(at = dir, log?: { warn: (...args: unknown[]) => void }): Promise<FileStore> {
  const store = await openFileStore(at, { clock: manualClock(), pins: testPins, ...(log ? { log: log as never } : {}) });
  opened.push(store);
  return store;
}

/** An order as a desk before sealed PINs wrote it: the carrier's PIN in clear. */
function legacyOrder(n: number, pin: string, over: Partial<PortOrder> = {}): PortOrder {
  const o = makeOrder(n, over);
  return { ...o, provided: { ...o.provided, pinGiven: undefined, pinMatched: undefined, pin } as PortOrder['provided'] };
}

function everything(at: string): string {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const name of readdirSync(p)) {
      const f = path.join(p, name);
      if (statSync(f).isDirectory()) walk(f);
      else out.push(readFileSync(f, 'utf8'));
    }
  };
  walk(at);
  return out.join('\n');
}

const modeOf = (p: string) => statSync(p).mode & 0o777;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portdesk-pins-'));
  umask = process.umask();
});

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('the store never writes a PIN in clear', () => {
  it('hashes a clear account PIN and reduces an order’s PIN to given / matched, whoever commits them', async () => {
    const store = await open();
    await store.commit({
      accounts: [makeAccount(1, { portOutPin: '2468' }), makeAccount(2, { portOutPin: ' -- ' })],
      orders: [legacyOrder(1, '24-68'), legacyOrder(2, '1357', { accountId: 'ACC-1', dids: ['+15035550101'] })],
    });
    const stored = store.getAccount('ACC-1')!.portOutPin!;
    expect(testPins.isHash(stored)).toBe(true);
    expect(testPins.matches('2468', stored)).toBe(true);
    // A PIN with nothing in it meant no PIN: it is dropped, not hashed.
    expect(store.getAccount('ACC-2')!.portOutPin).toBeUndefined();
    expect(store.getOrder(orderId(1))!.provided).toEqual({ name: 'Dana Example 1', zip: '98101', pinGiven: true, pinMatched: true });
    expect(store.getOrder(orderId(2))!.provided).toEqual({ name: 'Dana Example 2', zip: '98101', pinGiven: true, pinMatched: false });
    await store.flush();
    const journal = readFileSync(path.join(dir, JOURNAL_FILE), 'utf8');
    expect(journal).not.toMatch(/"2468"|"24-68"|"1357"|"pin"/);
  });

  it('uses scrypt at its default cost when given no adapter, in the format scrypt$N$r$p$salt$hash', async () => {
    const store = await openFileStore(dir, { clock: manualClock() });
    opened.push(store);
    await store.commit({ accounts: [makeAccount(1, { portOutPin: '8812' })] });
    const stored = store.getAccount('ACC-1')!.portOutPin!;
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(createScryptPins().matches('8812', stored)).toBe(true);
  });
});

describe('a data directory with PINs in clear is migrated when opened', () => {
  /** desk.json, journal.jsonl and archive/orders.jsonl as an older desk wrote them. */
  function writeLegacyDir(): void {
    const old = daysBefore(T0, 40);
    const snapshot = {
      version: 1,
      seq: 0,
      accounts: [makeAccount(1, { portOutPin: '2468' })],
      orders: [legacyOrder(1, '2468'), legacyOrder(3, '0000', { accountId: 'ACC-1', dids: ['+15035550101'], state: 'rejected' })],
      csrRequests: [],
      inbound: [],
      outbox: [],
      cursors: {},
    };
    writeFileSync(path.join(dir, SNAPSHOT_FILE), JSON.stringify(snapshot));
    const line = { v: 1, seq: 1, changes: { accounts: [makeAccount(2, { portOutPin: '1357' })], orders: [legacyOrder(2, '9753')] } };
    writeFileSync(path.join(dir, JOURNAL_FILE), `${JSON.stringify(line)}\n`);
    mkdirSync(path.join(dir, 'archive'));
    const archived = legacyOrder(9, '4242', {
      state: 'rejected',
      createdAt: old,
      updatedAt: old,
      decision: { by: 'desk', at: old, reasonCodes: ['PIN_INVALID'] },
    });
    const header = { id: archived.id, token: archived.token, mid: archived.verification!.messageId };
    writeFileSync(path.join(dir, 'archive', 'orders.jsonl'), `${JSON.stringify(header)}\t${JSON.stringify(archived)}\n`);
  }

  it('hashes account PINs, reduces order PINs (live and archived), rewrites the files and says so once', async () => {
    writeLegacyDir();
    expect(everything(dir)).toMatch(/"2468"/);
    const warnings: unknown[][] = [];
    const log = { warn: (...args: unknown[]) => void warnings.push(args) };
    const store = await open(dir, log);

    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toMatchObject({ accountPinsHashed: 2, orderPinsReduced: 3, archivedOrderPinsReduced: 1 });
    expect(String(warnings[0]![1])).toMatch(/PINs in clear/);
    expect(testPins.matches('2468', store.getAccount('ACC-1')!.portOutPin!)).toBe(true);
    expect(testPins.matches('1357', store.getAccount('ACC-2')!.portOutPin!)).toBe(true);
    // An open order keeps whether its PIN was the account's; no order keeps the PIN.
    expect(store.getOrder(orderId(1))!.provided).toMatchObject({ pinGiven: true, pinMatched: true });
    expect(store.getOrder(orderId(2))!.provided).toMatchObject({ pinGiven: true, pinMatched: false });
    expect(store.getOrder(orderId(3))!.provided).toMatchObject({ pinGiven: true, pinMatched: false });
    expect(store.getOrder(orderId(9))!.provided).toEqual({ name: 'Dana Example 9', zip: '98101', pinGiven: true, pinMatched: false });
    expect(statSync(path.join(dir, JOURNAL_FILE)).size).toBe(0);
    const files = everything(dir);
    for (const pin of ['2468', '1357', '9753', '0000', '4242']) expect(files).not.toContain(`"${pin}"`);
    expect(files).not.toContain('"pin"');

    // Once: a second open finds nothing to do and says nothing.
    await store.close();
    opened.splice(opened.indexOf(store), 1);
    const again = await open(dir, log);
    expect(warnings).toHaveLength(1);
    expect(again.getOrder(orderId(9))!.provided.pinGiven).toBe(true);
  });

  it('leaves a read-only open alone: it reads, and writes nothing', async () => {
    writeLegacyDir();
    const before = everything(dir);
    const store = await openFileStore(dir, { readOnly: true, pins: testPins });
    opened.push(store);
    expect(store.getOrder(orderId(1))!.provided).not.toHaveProperty('pin');
    expect(everything(dir)).toBe(before);
  });
});

describe('modes: DATA_DIR 0700, its files 0600', () => {
  it('creates them so even under a permissive umask', async () => {
    process.umask(0o022);
    const data = path.join(dir, 'data');
    const clock = manualClock();
    const store = await openFileStore(data, { clock, pins: testPins });
    opened.push(store);
    const old = daysBefore(T0, 31);
    await store.commit({ accounts: [makeAccount(1)], orders: [makeOrder(1, { state: 'rejected', createdAt: old, updatedAt: old })] });
    await store.compact();

    expect(modeOf(data)).toBe(0o700);
    expect(modeOf(path.join(data, 'archive'))).toBe(0o700);
    for (const f of [SNAPSHOT_FILE, JOURNAL_FILE, LOCK_FILE, 'archive/orders.jsonl', 'archive/.pins-sealed']) {
      expect(modeOf(path.join(data, f)), f).toBe(0o600);
    }
  });

  it('puts right a directory that group or others can read, without following links', async () => {
    process.umask(0o022);
    const data = path.join(dir, 'data');
    mkdirSync(path.join(data, 'parked'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(data, SNAPSHOT_FILE), '{}', { mode: 0o644 });
    writeFileSync(path.join(data, 'parked', 'a.eml'), 'x', { mode: 0o644 });
    const outside = path.join(dir, 'outside.txt');
    writeFileSync(outside, 'not the desk’s', { mode: 0o644 });
    symlinkSync(outside, path.join(data, 'link.txt'));

    const first = await secureDataDir(data);
    expect(first.fixed.map((p) => path.relative(data, p)).sort()).toEqual(['', SNAPSHOT_FILE, 'parked', 'parked/a.eml'].sort());
    expect(first.failed).toEqual([]);
    expect(modeOf(data)).toBe(0o700);
    expect(modeOf(path.join(data, 'parked'))).toBe(0o700);
    expect(modeOf(path.join(data, SNAPSHOT_FILE))).toBe(0o600);
    expect(modeOf(path.join(data, 'parked', 'a.eml'))).toBe(0o600);
    expect(modeOf(outside)).toBe(0o644);
    expect((await secureDataDir(data)).fixed).toEqual([]);
  });

  it('prepareDataDir: the daemon’s start makes DATA_DIR private and warns once about what it fixed; the umask stays the embedding program’s', async () => {
    process.umask(0o022);
    const data = path.join(dir, 'data');
    mkdirSync(data, { mode: 0o755 });
    const warnings: unknown[][] = [];
    const log = { warn: (...args: unknown[]) => void warnings.push(args) };
    await prepareDataDir(data, log as never);
    expect(modeOf(data)).toBe(0o700);
    expect(process.umask()).toBe(0o022);
    expect(warnings).toHaveLength(1);
    await prepareDataDir(data, log as never);
    expect(warnings).toHaveLength(1);
    const fresh = path.join(dir, 'fresh');
    await prepareDataDir(fresh, log as never);
    expect(modeOf(fresh)).toBe(0o700);
  });
});
