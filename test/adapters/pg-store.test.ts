/**
 * What only the PostgreSQL store has (SPEC §13): fencing by the lease, a reader following the
 * writer, a connection dropped mid-transaction or a database restart survived without losing a
 * commit, outbox claims, shared settings.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pgLib from 'pg';
import { Lease, createPgPool, newHolderName, openPgStore, type PgStore } from '../../src/adapters/pg-store.js';
import { migrate } from '../../src/adapters/pg-store/schema.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { testPins } from '../support/test-pins.js';
import { makeAccount, makeOrder, makeOutbox, manualClock } from './store-records.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server?.stop());

let url: string;
const pools: pgLib.Pool[] = [];
const stores: PgStore[] = [];
const pool = () => {
  const p = createPgPool(url, { idleInTransactionMs: 2_000 });
  pools.push(p);
  return p;
};

async function writer(clock = manualClock(), ttlMs = 15_000): Promise<{ store: PgStore; lease: Lease; failures: Error[] }> {
  const p = pool();
  const lease = new Lease(p, newHolderName('test'), clock, ttlMs);
  if (!(await lease.tryAcquire())) throw new Error('lease held');
  const failures: Error[] = [];
  const store = await openPgStore(p, { clock, pins: testPins, lease, onFailure: (e) => failures.push(e) });
  stores.push(store);
  return { store, lease, failures };
}

beforeEach(async () => {
  url = await server.createDatabase();
  await migrate(pool());
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const p of pools.splice(0)) await p.end().catch(() => undefined);
});

describe('fencing', () => {
  it('a writer whose lease was taken over writes nothing more and fails', async () => {
    const clock = manualClock();
    const old = await writer(clock, 10_000);
    await old.store.commit({ accounts: [makeAccount(1)] });
    // Its lease ends (paused past it) and another process takes over.
    clock.advanceDays(1);
    const next = new Lease(pool(), newHolderName('standby'), clock, 10_000);
    expect(await next.tryAcquire()).toBe(true);
    await expect(old.store.commit({ accounts: [makeAccount(2)] })).rejects.toMatchObject({ code: 'STORE_FENCED' });
    expect(old.failures.map((f) => (f as { code?: string }).code)).toEqual(['STORE_FENCED']);
    await expect(old.store.commit({ accounts: [makeAccount(3)] })).rejects.toMatchObject({ code: 'STORE_FENCED' });
    const rows = await pool().query('SELECT id FROM accounts ORDER BY id');
    expect(rows.rows.map((r) => r.id)).toEqual(['ACC-1']);
    expect(await old.store.claimOutbox('anything')).toBe(false);
  });

  it('a lease cannot be taken while it lasts, and is renewed by its holder', async () => {
    const clock = manualClock();
    const a = new Lease(pool(), 'a', clock, 10_000);
    const b = new Lease(pool(), 'b', clock, 10_000);
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    clock.advanceDays(0.0001); // ~8.6 s
    expect(await a.renew()).toBe(true);
    clock.advanceDays(0.0001);
    expect(await b.tryAcquire()).toBe(false);
    await a.release();
    expect(await b.tryAcquire()).toBe(true);
    expect(b.holding!.generation).toBe(2);
    expect(await a.renew()).toBe(false);
  });
});

describe('readers', () => {
  it('a reader sees what the writer commits through follow(), and cannot commit', async () => {
    const w = await writer();
    await w.store.commit({ accounts: [makeAccount(1)], orders: [makeOrder(1)] });
    const reader = await openPgStore(pool(), { pins: testPins });
    stores.push(reader);
    expect(reader.getOrder(makeOrder(1).id)?.state).toBe('pending_verification');
    await w.store.commit({ orders: [makeOrder(1, { state: 'approved' })], cursors: { INBOX: { uidValidity: '1', lastUid: 9 } } });
    expect(await reader.follow()).toBe(2);
    expect(reader.getOrder(makeOrder(1).id)?.state).toBe('approved');
    expect(reader.getCursor('INBOX')?.lastUid).toBe(9);
    expect(await reader.follow()).toBe(0);
    await expect(reader.commit({ accounts: [makeAccount(2)] })).rejects.toMatchObject({ code: 'STORE_READ_ONLY' });
  });
});

describe('a database that goes away for a moment', () => {
  it('a connection ended mid-transaction: the commit is written once the next try succeeds', async () => {
    const w = await writer();
    await w.store.commit({ accounts: [makeAccount(1)] });
    // Hold a transaction open on the writer's pool by committing while the server ends connections.
    const pending = Array.from({ length: 20 }, (_, i) => w.store.commit({ orders: [makeOrder(100 + i, { accountId: 'ACC-1' })] }));
    const ended = server.terminateConnections(new URL(url).pathname.slice(1));
    await Promise.all(pending);
    await ended;
    expect(w.failures).toEqual([]);
    const rows = await pool().query('SELECT count(*)::int AS n FROM orders');
    expect(rows.rows[0].n).toBe(20);
  });

  it('a database restart: commits made during it are written after it', async () => {
    const w = await writer();
    await w.store.commit({ accounts: [makeAccount(1)] });
    const restarting = server.restart();
    const during = w.store.commit({ accounts: [makeAccount(2)] });
    await restarting;
    await during;
    expect(w.failures).toEqual([]);
    const rows = await pool().query('SELECT id FROM accounts ORDER BY id');
    expect(rows.rows.map((r) => r.id)).toEqual(['ACC-1', 'ACC-2']);
  });
});

describe('outbox claims and settings', () => {
  it('an outbox row is claimed by one process once, and only while queued', async () => {
    const w = await writer();
    await w.store.commit({ outbox: [makeOutbox('mail-1'), makeOutbox('mail-2', { status: 'sent', sentAt: new Date().toISOString() })] });
    expect(await w.store.claimOutbox('mail-1')).toBe(true);
    expect(await w.store.claimOutbox('mail-2')).toBe(false);
    expect(await w.store.claimOutbox('no-such-mail')).toBe(false);
    // A row locked by another transaction is skipped, not waited for.
    const other = await pool().connect();
    try {
      await other.query('BEGIN');
      await other.query("SELECT id FROM outbox WHERE id = 'mail-1' FOR UPDATE");
      expect(await w.store.claimOutbox('mail-1')).toBe(false);
      await other.query('ROLLBACK');
    } finally {
      other.release();
    }
    expect(await w.store.claimOutbox('mail-1')).toBe(true);
  });

  it('a setting is made once: the first writer’s value holds', async () => {
    const w = await writer();
    expect(await w.store.getSetting('link-secret')).toBeUndefined();
    expect(await w.store.putSettingOnce('link-secret', 'first')).toBe('first');
    expect(await w.store.putSettingOnce('link-secret', 'second')).toBe('first');
  });
});

describe('a long-running writer', () => {
  it('moves what aged out of the live set to the cold rows, still found by id and token', async () => {
    const clock = manualClock();
    const w = await writer(clock);
    const done = makeOrder(1, { state: 'completed' });
    await w.store.commit({ accounts: [makeAccount(1)], orders: [done, makeOrder(2)] });
    expect(w.store.coolDown()).toBe(0);
    clock.advanceDays(31);
    expect(w.store.coolDown()).toBe(1);
    expect(w.store.listOrders().map((o) => o.id)).toEqual([makeOrder(2).id]);
    expect(w.store.getOrder(done.id)?.state).toBe('completed');
    expect(w.store.findOrderByToken(done.token)?.id).toBe(done.id);
    expect(w.store.stats().cold.orders).toBe(1);
  });

  it('deletes the rows of events spent more than 7 days ago; pending ones and recent ones stay; a reader deletes nothing', async () => {
    const clock = manualClock();
    const w = await writer(clock);
    const at = clock.now().toISOString();
    const event = (id: string, status: 'pending' | 'delivered' | 'dropped') => ({
      id,
      type: 'accounts.synced' as const,
      timestamp: at,
      data: { total: 1 },
      deliveries: [{ endpoint: 'https://crm.example.test/hook', status, attempts: 1, nextAttemptAt: at }],
    });
    await w.store.commit({ events: [event('msg_000000000001', 'delivered'), event('msg_000000000002', 'dropped'), event('msg_000000000003', 'pending')] });
    const rows = async () => (await w.store.pool.query<{ id: string }>('SELECT id FROM events ORDER BY id')).rows.map((r) => r.id);
    expect(await w.store.pruneSpentEvents()).toBe(0);
    clock.advanceDays(8);
    const reader = await openPgStore(pool(), { clock, pins: testPins });
    stores.push(reader);
    expect(await reader.pruneSpentEvents()).toBe(0);
    expect(await rows()).toHaveLength(3);
    // Nor a writer whose lease ended by its clock; renewed (as the daemon does every FAILOVER_AFTER/3), it does.
    expect(await w.store.pruneSpentEvents()).toBe(0);
    expect(await w.lease.renew()).toBe(true);
    expect(await w.store.pruneSpentEvents()).toBe(2);
    expect(await rows()).toEqual(['msg_000000000003']);
  });
});
