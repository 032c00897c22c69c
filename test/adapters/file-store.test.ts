import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, LOCK_FILE } from '../../src/adapters/data-dir-lock.js';
import { JOURNAL_FILE, SNAPSHOT_FILE, StoreError, openFileStore, type FileStore } from '../../src/adapters/file-store.js';
import { JOURNAL_LINE_VERSION } from '../../src/adapters/file-store/schemas.js';
import { testPins } from '../support/test-pins.js';
import { T0, daysBefore, makeAccount, makeCsr, makeInbound, makeOrder, makeOutbox, manualClock, orderId } from './store-records.js';

let dir: string;
const opened: FileStore[] = [];

async function open(opts: Parameters<typeof openFileStore>[1] = {}): Promise<FileStore> {
  const store = await openFileStore(dir, { clock: manualClock(), ...opts });
  opened.push(store);
  return store;
}

async function reopen(store: FileStore, opts: Parameters<typeof openFileStore>[1] = {}): Promise<FileStore> {
  await store.close();
  return open(opts);
}

async function expectStoreError(promise: Promise<unknown>, code: string): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  return err as StoreError;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portdesk-store-'));
});

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('file store: records and indexes', () => {
  it('round-trips every record type through a reopen', async () => {
    const store = await open();
    const account = makeAccount(1, { portOutPin: testPins.hash('2468'), company: undefined });
    delete (account as { company?: string }).company;
    const order = makeOrder(1, {
      decision: {
        by: 'auto-match',
        at: T0.toISOString(),
        reasonCodes: ['ZIP_MISMATCH'],
        matchReport: {
          matched: false,
          fields: [{ field: 'zip', provided: '98102', onFile: '98101', result: 'mismatch', reason: 'different ZIP', code: 'ZIP_MISMATCH' }],
          reasonCodes: ['ZIP_MISMATCH'],
        },
      },
    });
    const csr = makeCsr('CSR-1');
    const inbound = makeInbound('<req-1@northwind.example.test>', { orderIds: [order.id] });
    const outbox = makeOutbox('OUT-1', { orderId: order.id, lastError: '451 try later', attempts: 2 });
    await store.commit({
      accounts: [account],
      orders: [order],
      csrRequests: [csr],
      inbound: [inbound],
      outbox: [outbox],
      cursors: { INBOX: { uidValidity: '1001', lastUid: 42 } },
    });

    const again = await reopen(store);
    expect(again.getAccount('ACC-1')).toEqual(account);
    expect(again.getOrder(order.id)).toEqual(order);
    expect(again.listCsrRequests()).toEqual([csr]);
    expect(again.getInbound(inbound.key)).toEqual(inbound);
    expect(again.getOutbox('OUT-1')).toEqual(outbox);
    expect(again.getCursor('INBOX')).toEqual({ uidValidity: '1001', lastUid: 42 });

    // And once more after the records have gone through a snapshot.
    await again.compact();
    const third = await reopen(again);
    expect(third.getAccount('ACC-1')).toEqual(account);
    expect(third.getOrder(order.id)).toEqual(order);
    expect(third.getOutbox('OUT-1')).toEqual(outbox);
    expect(third.getCursor('INBOX')).toEqual({ uidValidity: '1001', lastUid: 42 });
  });

  it('fills in schema defaults and hands out frozen records', async () => {
    const store = await open();
    const { portOutLock: _lock, status: _status, ...bare } = makeAccount(2);
    await store.commit({ accounts: [bare as never] });
    const account = store.getAccount('ACC-2')!;
    expect(account.portOutLock).toBe(false);
    expect(account.status).toBe('open');
    expect(() => {
      (account as { name: string }).name = 'changed without commit';
    }).toThrow(TypeError);
  });

  it('keeps every index right after updates and after a reload', async () => {
    const store = await open();
    await store.commit({
      accounts: [makeAccount(1), makeAccount(2)],
      orders: [makeOrder(1), makeOrder(2, { state: 'approved', createdAt: daysBefore(T0, 1) })],
      outbox: [
        makeOutbox('OUT-B', { orderId: orderId(1), createdAt: daysBefore(T0, 1), messageId: 'reminder-1@desk.example.test' }),
        makeOutbox('OUT-A', { orderId: orderId(2), createdAt: daysBefore(T0, 2) }),
        makeOutbox('OUT-C', { status: 'sent', sentAt: T0.toISOString() }),
      ],
    });
    // Number +12065550101 moves from ACC-1 to ACC-2; order 1 is completed.
    await store.commit({
      accounts: [
        makeAccount(1, { dids: [{ number: '+15035550101', status: 'active' }] }),
        makeAccount(2, {
          dids: [
            { number: '+12065550102', status: 'active' },
            { number: '+12065550101', status: 'active' },
          ],
        }),
      ],
      orders: [makeOrder(1, { state: 'completed', completedAt: T0.toISOString() })],
    });

    const check = (s: FileStore) => {
      expect(s.findAccountByDid('+12065550101')?.id).toBe('ACC-2');
      expect(s.findAccountByDid('+15035550101')?.id).toBe('ACC-1');
      expect(s.findAccountByDid('+15035550102')?.id).toBeUndefined();
      expect(s.findAccountByDid('+12065550199')).toBeUndefined();
      expect(s.listOpenOrders().map((o) => o.id)).toEqual([orderId(2)]);
      expect(s.openOrdersForDid('+12065550101')).toEqual([]);
      expect(s.openOrdersForDid('+12065550102').map((o) => o.id)).toEqual([orderId(2)]);
      expect(s.findOrderByToken('tok00000001')?.state).toBe('completed');
      expect(s.findOrderByOutboundMessageId('verify-2@desk.example.test')?.id).toBe(orderId(2));
      expect(s.findOrderByOutboundMessageId('reminder-1@desk.example.test')?.id).toBe(orderId(1));
      expect(s.findOrderByOutboundMessageId('OUT-C@desk.example.test')).toBeUndefined();
      expect(s.listQueuedOutbox().map((e) => e.id)).toEqual(['OUT-A', 'OUT-B']);
      expect(s.listOutbox()).toHaveLength(3);
      expect(s.listOrders({ state: 'completed' }).map((o) => o.id)).toEqual([orderId(1)]);
      expect(s.listOrders({ accountId: 'ACC-2' }).map((o) => o.id)).toEqual([orderId(2)]);
      expect(s.listAccounts().map((a) => a.id).sort()).toEqual(['ACC-1', 'ACC-2']);
    };
    check(store);
    const again = await reopen(store);
    check(again);
    await again.compact();
    check(await reopen(again));
  });

  it('refuses an invalid record and writes nothing', async () => {
    const store = await open();
    const err = await expectStoreError(store.commit({ accounts: [makeAccount(1, { email: 'not an address' })] }), 'STORE_INVALID');
    expect(err.message).toContain('accounts.0.email');
    expect(store.getAccount('ACC-1')).toBeUndefined();
    expect(store.stats().seq).toBe(0);
    const journal = path.join(dir, JOURNAL_FILE);
    expect(existsSync(journal) ? readFileSync(journal, 'utf8') : '').toBe('');
  });
});

describe('file store: group commit', () => {
  it('makes 100 concurrent commits durable with fewer fsyncs than commits', async () => {
    const store = await open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.commit({ inbound: [makeInbound(`<m${i}@example.test>`)] })));
    const stats = store.stats();
    expect(stats.commits).toBe(100);
    expect(stats.journalSyncs).toBeLessThan(100);
    expect(stats.journalSyncs).toBeGreaterThanOrEqual(1);
    const lines = readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(100);
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));

    const again = await reopen(store);
    for (let i = 0; i < 100; i++) expect(again.getInbound(`<m${i}@example.test>`)).toBeDefined();
  });

  it('shows a commit to readers at once and resolves once its journal line is on disk', async () => {
    const store = await open();
    const journal = path.join(dir, JOURNAL_FILE);
    const onDisk = () => (existsSync(journal) ? readFileSync(journal, 'utf8') : '');
    const pending = store.commit({ accounts: [makeAccount(3)] });
    expect(store.getAccount('ACC-3')).toBeDefined();
    const flushed = store.flush();
    await pending;
    expect(onDisk()).toContain('ACC-3');
    await flushed;
  });

  it('flush() waits for every commit accepted before it', async () => {
    const store = await open();
    const journal = path.join(dir, JOURNAL_FILE);
    void store.commit({ accounts: [makeAccount(4)] });
    void store.commit({ accounts: [makeAccount(5)] });
    await store.flush();
    const text = readFileSync(journal, 'utf8');
    expect(text).toContain('ACC-4');
    expect(text).toContain('ACC-5');
  });

  it('after a failed journal write refuses every commit, says so once, and a restart has only what was durable', async () => {
    const failures: StoreError[] = [];
    const store = await open({ onFailure: (err) => failures.push(err) });
    await store.commit({ accounts: [makeAccount(7)] });
    // The disk goes away under the store: its journal handle is closed behind its back.
    await (store as unknown as { writer: { close(): Promise<void> } }).writer.close();
    const lost = await expectStoreError(store.commit({ accounts: [makeAccount(8)] }), 'STORE_IO');
    expect(lost.transient).toBe(true);
    await expectStoreError(store.commit({ accounts: [makeAccount(9)] }), 'STORE_IO');
    await expectStoreError(store.flush(), 'STORE_IO');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/restart portdesk/);

    opened.splice(opened.indexOf(store), 1);
    await store.close().catch(() => undefined);
    const again = await open();
    expect(again.getAccount('ACC-7')).toBeDefined();
    expect(again.getAccount('ACC-8')).toBeUndefined();
    expect(again.getAccount('ACC-9')).toBeUndefined();
  });

  it('journals a delivery outcome without the e-mail again, and replays it onto the queued entry', async () => {
    const store = await open();
    const body = 'x'.repeat(5000);
    const queued = makeOutbox('OUT-1', { text: body, html: `<p>${body}</p>`, lastError: 'ECONNREFUSED', attempts: 1 });
    await store.commit({ outbox: [queued] });
    const { lastError: _gone, ...rest } = queued;
    await store.commit({ outbox: [{ ...rest, status: 'sent', attempts: 2, sentAt: T0.toISOString() }] });
    const lines = readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ v: 1 });
    expect(lines[1]!.length).toBeLessThan(300);
    expect(JSON.parse(lines[1]!)).toMatchObject({ v: 2, changes: { outboxStatus: [{ id: 'OUT-1', status: 'sent', attempts: 2 }] } });

    const again = await reopen(store);
    const e = again.getOutbox('OUT-1')!;
    expect(e).toMatchObject({ status: 'sent', attempts: 2, sentAt: T0.toISOString(), text: body });
    expect(e.lastError).toBeUndefined();
    expect(again.listQueuedOutbox()).toEqual([]);
  });

  it("journals an event's delivery without the event again, and replays it onto the event", async () => {
    const store = await open();
    const at = T0.toISOString();
    const data = { id: 'PO-000001', note: 'y'.repeat(3000) };
    const event = {
      id: 'msg_00000000000001',
      type: 'order.approved' as const,
      timestamp: at,
      orderId: 'PO-000001',
      data,
      deliveries: [{ endpoint: 'https://crm.example.test/hook', status: 'pending' as const, attempts: 0, nextAttemptAt: at }],
    };
    await store.commit({ events: [event] });
    await store.commit({ events: [{ ...event, deliveries: [{ ...event.deliveries[0]!, status: 'delivered', attempts: 1, deliveredAt: at }] }] });
    // Changed content is written whole.
    await store.commit({ events: [{ ...event, id: 'msg_00000000000002', data: { id: 'PO-000002' } }] });
    await store.commit({ events: [{ ...event, id: 'msg_00000000000002', data: { id: 'PO-000002', corrected: true } }] });
    const lines = readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]!.length).toBeLessThan(300);
    expect(JSON.parse(lines[1]!)).toMatchObject({ v: 4, changes: { eventStatus: [{ id: 'msg_00000000000001', deliveries: [{ status: 'delivered' }] }] } });
    expect(JSON.parse(lines[3]!)).toMatchObject({ v: 4, changes: { events: [{ id: 'msg_00000000000002', data: { corrected: true } }] } });

    const again = await reopen(store);
    expect(again.getEvent('msg_00000000000001')).toMatchObject({ data, deliveries: [{ status: 'delivered', attempts: 1 }] });
    expect(again.listPendingEvents().map((e) => e.id)).toEqual(['msg_00000000000002']);
    expect(again.getEvent('msg_00000000000002')?.data).toEqual({ id: 'PO-000002', corrected: true });
  });

  it('journals an outbox entry whole when its e-mail changed', async () => {
    const store = await open();
    await store.commit({ outbox: [makeOutbox('OUT-2')] });
    await store.commit({ outbox: [makeOutbox('OUT-2', { subject: 'Port-out request (corrected)', to: ['other@example.test'] })] });
    const lines = readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[1]!)).toMatchObject({ v: 1, changes: { outbox: [{ id: 'OUT-2', subject: 'Port-out request (corrected)' }] } });
    expect((await reopen(store)).getOutbox('OUT-2')?.to).toEqual(['other@example.test']);
  });

  it('a refused commit changes nothing a reader can see', async () => {
    const store = await open();
    const bad = { ...makeAccount(6), dids: [{ number: 'not a number', status: 'active' as const }] };
    await expect(store.commit({ accounts: [bad] })).rejects.toMatchObject({ code: 'STORE_INVALID' });
    expect(store.getAccount('ACC-6')).toBeUndefined();
  });
});

describe('file store: compaction and archive', () => {
  it('archives old finished records and still finds them after a reload', async () => {
    const clock = manualClock();
    const store = await open({ clock });
    const old = daysBefore(T0, 31);
    await store.commit({
      accounts: [makeAccount(1)],
      orders: [
        makeOrder(1, { state: 'rejected', createdAt: old, updatedAt: old }),
        makeOrder(2, { state: 'completed', createdAt: daysBefore(T0, 5), updatedAt: daysBefore(T0, 5) }),
        makeOrder(3, { state: 'pending_verification', createdAt: old, updatedAt: old }),
      ],
      outbox: [
        makeOutbox('OUT-OLD', { orderId: orderId(1), status: 'sent', createdAt: daysBefore(T0, 8), sentAt: daysBefore(T0, 8), messageId: 'clarify-1@desk.example.test' }),
        makeOutbox('OUT-FAILED', { status: 'failed', createdAt: daysBefore(T0, 20) }),
        makeOutbox('OUT-NEW', { status: 'sent', sentAt: daysBefore(T0, 1) }),
      ],
      inbound: [makeInbound('<old@northwind.example.test>', { at: daysBefore(T0, 8) }), makeInbound('<new@northwind.example.test>')],
    });
    await store.compact();

    const archiveDir = path.join(dir, 'archive');
    expect(readFileSync(path.join(archiveDir, 'orders.jsonl'), 'utf8')).toContain(orderId(1));
    expect(readFileSync(path.join(archiveDir, 'outbox.jsonl'), 'utf8')).toContain('OUT-OLD');
    expect(readFileSync(path.join(archiveDir, 'inbound.jsonl'), 'utf8')).toContain('<old@northwind.example.test>');
    const snapshot = readFileSync(path.join(dir, SNAPSHOT_FILE), 'utf8');
    expect(snapshot).not.toContain(orderId(1));
    expect(snapshot).not.toContain('OUT-OLD');
    expect(snapshot).not.toContain('<old@northwind.example.test>');
    expect(snapshot).toContain(orderId(2));
    expect(snapshot).toContain(orderId(3)); // open orders never leave, however old
    expect(snapshot).toContain('OUT-FAILED');
    expect(statSync(path.join(dir, JOURNAL_FILE)).size).toBe(0);

    const check = (s: FileStore) => {
      expect(s.getOrder(orderId(1))?.state).toBe('rejected');
      expect(s.findOrderByToken('tok00000001')?.id).toBe(orderId(1));
      expect(s.findOrderByOutboundMessageId('verify-1@desk.example.test')?.id).toBe(orderId(1));
      expect(s.findOrderByOutboundMessageId('clarify-1@desk.example.test')?.id).toBe(orderId(1));
      expect(s.getInbound('<old@northwind.example.test>')?.at).toBe(daysBefore(T0, 8));
      expect(s.getOutbox('OUT-OLD')?.status).toBe('sent');
      expect(s.listOrders().map((o) => o.id)).toEqual([orderId(3), orderId(2)]);
      expect(s.listOrders({ includeArchived: true }).map((o) => o.id)).toEqual([orderId(1), orderId(3), orderId(2)]);
      expect(s.listOrders({ includeArchived: true, state: 'rejected' }).map((o) => o.id)).toEqual([orderId(1)]);
      expect(s.listOutbox().map((e) => e.id).sort()).toEqual(['OUT-FAILED', 'OUT-NEW']);
      expect(s.stats().archived).toEqual({ orders: 1, inbound: 1, outbox: 1 });
    };
    check(store);
    const again = await reopen(store, { clock });
    check(again);

    // A second compaction does not archive anything twice.
    await again.compact();
    const archived = readFileSync(path.join(archiveDir, 'orders.jsonl'), 'utf8').trimEnd().split('\n');
    expect(archived).toHaveLength(1);
    check(await reopen(again, { clock }));
  });

  it('reads back archived records larger than one read buffer', async () => {
    const store = await open();
    const old = daysBefore(T0, 40);
    const history = Array.from({ length: 200 }, (_, i) => ({ at: old, event: `note-${i}`, detail: 'x'.repeat(300) }));
    await store.commit({ orders: [makeOrder(7, { state: 'canceled', createdAt: old, updatedAt: old, history })] });
    await store.compact();
    const again = await reopen(store);
    expect(again.stats().archived.orders).toBe(1);
    expect(again.getOrder(orderId(7))?.history).toEqual(history);
  });

  it('compacts by itself once the journal outgrows the threshold', async () => {
    const store = await open({ compactBytes: 4096 });
    for (let i = 0; i < 40; i++) await store.commit({ inbound: [makeInbound(`<auto-${i}@example.test>`)] });
    const stats = store.stats();
    expect(stats.compactions).toBeGreaterThan(0);
    expect(stats.journalBytes).toBeLessThan(4096 + 1024);
    const snap = JSON.parse(readFileSync(path.join(dir, SNAPSHOT_FILE), 'utf8')) as { seq: number };
    expect(snap.seq).toBeGreaterThan(0);
    const again = await reopen(store);
    expect(again.stats().seq).toBe(40);
    for (let i = 0; i < 40; i++) expect(again.getInbound(`<auto-${i}@example.test>`)).toBeDefined();
  });

  it('replays nothing twice when a crash left the journal behind a newer snapshot', async () => {
    const store = await open();
    await store.commit({ orders: [makeOrder(1, { history: [{ at: T0.toISOString(), event: 'received' }] })] });
    await store.commit({ orders: [makeOrder(1, { state: 'approved' })] });
    const journalBefore = readFileSync(path.join(dir, JOURNAL_FILE));
    await store.compact();
    await store.close();
    // As if the process died between writing desk.json and truncating the journal.
    writeFileSync(path.join(dir, JOURNAL_FILE), journalBefore);

    const again = await open();
    expect(again.stats().seq).toBe(2);
    expect(again.getOrder(orderId(1))?.state).toBe('approved');
    await again.commit({ orders: [makeOrder(1, { state: 'completed' })] });
    const third = await reopen(again);
    expect(third.stats().seq).toBe(3);
    expect(third.getOrder(orderId(1))?.state).toBe('completed');
  });
});

describe('file store: damaged files', () => {
  async function seed(): Promise<void> {
    const store = await open();
    await store.commit({ accounts: [makeAccount(1)] });
    await store.compact();
    await store.commit({ accounts: [makeAccount(2)] });
    await store.close();
  }

  it('refuses a desk.json that is not JSON and leaves it byte for byte', async () => {
    await seed();
    const file = path.join(dir, SNAPSHOT_FILE);
    const damaged = Buffer.concat([readFileSync(file).subarray(0, 50), Buffer.from('\u0000garbage')]);
    writeFileSync(file, damaged);
    const err = await expectStoreError(openFileStore(dir), 'STORE_CORRUPT');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not valid JSON/);
    expect(readFileSync(file).equals(damaged)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['archive', JOURNAL_FILE, SNAPSHOT_FILE].sort());
  });

  it('refuses a desk.json that breaks the schemas and names the field', async () => {
    await seed();
    const file = path.join(dir, SNAPSHOT_FILE);
    const snap = JSON.parse(readFileSync(file, 'utf8')) as { accounts: { email: string }[] };
    snap.accounts[0]!.email = 'nobody';
    const text = JSON.stringify(snap);
    writeFileSync(file, text);
    const err = await expectStoreError(openFileStore(dir), 'STORE_CORRUPT');
    expect(err.message).toContain(file);
    expect(err.message).toContain('accounts.0.email');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('refuses a snapshot from a newer format version', async () => {
    await seed();
    const file = path.join(dir, SNAPSHOT_FILE);
    const snap = JSON.parse(readFileSync(file, 'utf8')) as { version: number };
    snap.version = 99;
    writeFileSync(file, JSON.stringify(snap));
    await expectStoreError(openFileStore(dir), 'STORE_VERSION');
  });

  it('writes format 2 only when the snapshot holds events, so a release without them refuses it instead of dropping them', async () => {
    await seed();
    const file = path.join(dir, SNAPSHOT_FILE);
    const version = () => (JSON.parse(readFileSync(file, 'utf8')) as { version: number }).version;
    expect(version()).toBe(1);
    const store = await open();
    const at = T0.toISOString();
    await store.commit({
      events: [{ id: 'msg_00000000000001', type: 'accounts.synced', timestamp: at, data: { total: 2 }, deliveries: [{ endpoint: 'https://crm.example.test/hook', status: 'pending', attempts: 0, nextAttemptAt: at }] }],
    });
    await store.compact();
    await store.close();
    expect(version()).toBe(2);
    const again = await open();
    expect(again.listPendingEvents().map((e) => e.id)).toEqual(['msg_00000000000001']);
    await again.close();
  });

  it('refuses a journal line from a newer format version', async () => {
    await seed();
    appendFileSync(path.join(dir, JOURNAL_FILE), `{"v":${JOURNAL_LINE_VERSION + 1},"seq":99,"changes":{}}\n`);
    await expectStoreError(openFileStore(dir), 'STORE_VERSION');
  });

  it('ignores and cuts away a torn journal tail', async () => {
    await seed();
    const journal = path.join(dir, JOURNAL_FILE);
    const good = readFileSync(journal);
    appendFileSync(journal, '{"v":1,"seq":3,"changes":{"accounts":[{"id":"ACC-');
    const store = await open();
    expect(store.getAccount('ACC-2')).toBeDefined();
    expect(store.stats().seq).toBe(2);
    expect(readFileSync(journal).equals(good)).toBe(true);
    await store.commit({ accounts: [makeAccount(3)] });
    const again = await reopen(store);
    expect(again.getAccount('ACC-3')).toBeDefined();
  });

  it('treats unreadable lines at the very end as torn', async () => {
    await seed();
    const journal = path.join(dir, JOURNAL_FILE);
    appendFileSync(journal, '\u0000\u0000\u0000\n{"v":1,"se\n');
    const store = await open();
    expect(store.stats().seq).toBe(2);
  });

  it('refuses an unreadable line followed by good ones', async () => {
    await seed();
    const journal = path.join(dir, JOURNAL_FILE);
    const lines = readFileSync(journal, 'utf8');
    const damaged = `{"v":1,"seq":2,"chan\n${lines}`;
    writeFileSync(journal, damaged);
    const err = await expectStoreError(openFileStore(dir), 'STORE_CORRUPT');
    expect(err.message).toContain(`${JOURNAL_FILE} line 1`);
    expect(readFileSync(journal, 'utf8')).toBe(damaged);
  });

  it('refuses a journal with commits missing after the snapshot', async () => {
    await seed();
    const journal = path.join(dir, JOURNAL_FILE);
    writeFileSync(journal, readFileSync(journal, 'utf8').replace('"seq":2', '"seq":5'));
    await expectStoreError(openFileStore(dir), 'STORE_CORRUPT');
  });
});

describe('file store: one writer, many readers', () => {
  it('allows one writer at a time and names the holder', async () => {
    const lock = await acquireDataDirLock(dir);
    const err = await expectStoreError(acquireDataDirLock(dir), 'STORE_LOCKED');
    expect(err.pid).toBe(process.pid);
    expect(err.message).toContain('this process');
    await lock.release();
    const again = await acquireDataDirLock(dir);
    await again.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a second writable store, and uses a lock the caller already holds', async () => {
    const first = await open();
    await expectStoreError(openFileStore(dir), 'STORE_LOCKED');
    await first.close();

    const lock = await acquireDataDirLock(dir);
    const store = await open();
    await store.commit({ accounts: [makeAccount(1)] });
    await store.close();
    // The caller's lock outlives the store.
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    await lock.release();
  });

  it('names the other process that holds the lock, and takes over once it is gone', async () => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(path.join(dir, LOCK_FILE))}, process.pid + '\\n'); console.log('held'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(child.stdout!, 'data');
      const err = await expectStoreError(acquireDataDirLock(dir), 'STORE_LOCKED');
      expect(err.pid).toBe(child.pid);
      expect(err.message).toContain(`process ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    // The holder died without releasing: the lock is stale and is taken over.
    const lock = await acquireDataDirLock(dir);
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    await lock.release();
  });

  it('opens read-only without writing anything and follows the writer with reload()', async () => {
    const writer = await open({ compactBytes: 2048 });
    await writer.commit({ accounts: [makeAccount(1)] });
    const before = readdirSync(dir).sort();

    const reader = await open({ readOnly: true });
    expect(reader.getAccount('ACC-1')).toBeDefined();
    await expectStoreError(reader.commit({ accounts: [makeAccount(2)] }), 'STORE_READ_ONLY');
    expect(readdirSync(dir).sort()).toEqual(before);

    await writer.commit({ accounts: [makeAccount(2)] });
    expect(reader.getAccount('ACC-2')).toBeUndefined();
    await reader.reload();
    expect(reader.getAccount('ACC-2')).toBeDefined();

    // Enough commits that the writer compacts (new snapshot, emptied journal) in between.
    for (let i = 3; i < 30; i++) await writer.commit({ accounts: [makeAccount(i)] });
    expect(writer.stats().compactions).toBeGreaterThan(0);
    await reader.reload();
    expect(reader.listAccounts()).toHaveLength(29);
    expect(reader.stats().seq).toBe(writer.stats().seq);
  });

  it('opens a missing data directory read-only as an empty store without creating it', async () => {
    rmSync(dir, { recursive: true });
    const reader = await open({ readOnly: true });
    expect(reader.listAccounts()).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
