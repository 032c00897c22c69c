/**
 * The Store port's contract (src/ports/store.ts), run against both stores: the file store and
 * PostgreSQL (SPEC §13: "the same Store port, the same tests"). Each test gets a fresh store;
 * `reopen` closes it and opens what is on disk or in the database, with the clock where the test
 * put it, so what lasts and what moves out of the live set is checked the same way for both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import { Lease, createPgPool, newHolderName, openPgStore } from '../../src/adapters/pg-store.js';
import { migrate } from '../../src/adapters/pg-store/schema.js';
import type { Store } from '../../src/ports/store.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { testPins } from '../support/test-pins.js';
import { T0, makeAccount, makeInbound, makeOrder, makeOutbox, manualClock } from './store-records.js';

interface Harness {
  open(clock: ReturnType<typeof manualClock>): Promise<Store>;
  cleanup(): Promise<void>;
}

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(() => pg?.stop());

const KINDS: Record<string, () => Promise<Harness>> = {
  file: async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portdesk-contract-'));
    return {
      open: (clock) => openFileStore(dir, { clock, pins: testPins }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  postgres: async () => {
    const url = await pg.createDatabase();
    const pool = createPgPool(url);
    await migrate(pool);
    const pools = [pool];
    return {
      async open(clock) {
        const own = createPgPool(url);
        pools.push(own);
        const lease = new Lease(own, newHolderName('test'), clock, 15_000);
        // A store whose predecessor in the test still holds the lease takes it over once it has ended.
        await own.query("UPDATE lease SET holder = NULL, expires_at = NULL WHERE name = 'desk'");
        if (!(await lease.tryAcquire())) throw new Error('could not take the lease');
        return openPgStore(own, { clock, pins: testPins, lease });
      },
      cleanup: async () => {
        for (const p of pools) await p.end().catch(() => undefined);
      },
    };
  },
};

for (const [kind, make] of Object.entries(KINDS)) {
  describe(`the ${kind} store`, () => {
    let h: Harness;
    let clock: ReturnType<typeof manualClock>;
    let store: Store;
    const reopen = async () => {
      await store.close();
      store = await h.open(clock);
      return store;
    };

    beforeEach(async () => {
      h = await make();
      clock = manualClock();
      store = await h.open(clock);
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await h.cleanup();
    });

    it('keeps every kind of record across a reopen, upserted by its key', async () => {
      await store.commit({
        accounts: [makeAccount(1), makeAccount(2)],
        orders: [makeOrder(1), makeOrder(2, { state: 'approved' })],
        csrRequests: [{ id: 'CSR-1', from: 'dana1@example.test', provided: { dids: ['+12065550101'] }, outcome: 'sent', reasons: [], at: T0.toISOString() }],
        inbound: [makeInbound('<a@x.test>'), makeInbound('<b@x.test>', { outcome: 'review', reviewReason: 'NO_NUMBERS' })],
        outbox: [makeOutbox('mail-1'), makeOutbox('mail-2', { status: 'sent', sentAt: T0.toISOString() })],
        cursors: { INBOX: { uidValidity: '77', lastUid: 12 } },
        users: [{ name: 'alice', passwordHash: 'scrypt$16$8$1$c2FsdA$aGFzaA', createdAt: T0.toISOString() }],
      });
      await store.commit({ orders: [makeOrder(1, { state: 'rejected', updatedAt: T0.toISOString() })], cursors: { INBOX: { uidValidity: '77', lastUid: 13 } } });
      await store.flush();
      const s = await reopen();
      expect(s.listAccounts().map((a) => a.id).sort()).toEqual(['ACC-1', 'ACC-2']);
      expect(s.getOrder(makeOrder(1).id)?.state).toBe('rejected');
      expect(s.listOrders().map((o) => o.id)).toEqual([makeOrder(1).id, makeOrder(2).id]);
      expect(s.listOrders({ state: 'approved' }).map((o) => o.id)).toEqual([makeOrder(2).id]);
      expect(s.listCsrRequests()).toHaveLength(1);
      expect(s.getInbound('<b@x.test>')?.reviewReason).toBe('NO_NUMBERS');
      expect(s.listInbound()).toHaveLength(2);
      expect(s.listQueuedOutbox().map((e) => e.id)).toEqual([makeOutbox('mail-1').id]);
      expect(s.getOutbox(makeOutbox('mail-2').id)?.status).toBe('sent');
      expect(s.getCursor('INBOX')).toEqual({ uidValidity: '77', lastUid: 13 });
      expect(s.getUser('alice')?.passwordHash).toBe('scrypt$16$8$1$c2FsdA$aGFzaA');
    });

    it('finds orders by number, token, customer Message-ID and outbound Message-ID', async () => {
      await store.commit({
        accounts: [makeAccount(3)],
        orders: [makeOrder(3, { verification: { ...makeOrder(3).verification!, followUpIds: ['remind-3@desk.example.test'] } })],
        outbox: [makeOutbox('mail-3', { orderId: makeOrder(3).id, messageId: 'carrier-3@desk.example.test' })],
      });
      for (const s of [store, await reopen()]) {
        const id = makeOrder(3).id;
        expect(s.findAccountByDid(makeAccount(3).dids[0]!.number)?.id).toBe('ACC-3');
        expect(s.openOrdersForDid(makeOrder(3).dids[0]!).map((o) => o.id)).toEqual([id]);
        expect(s.listOpenOrders().map((o) => o.id)).toEqual([id]);
        expect(s.findOrderByToken(makeOrder(3).token)?.id).toBe(id);
        expect(s.findOrderByCustomerMessageId('verify-3@desk.example.test')?.id).toBe(id);
        expect(s.findOrderByCustomerMessageId('remind-3@desk.example.test')?.id).toBe(id);
        expect(s.findOrderByCustomerMessageId('carrier-3@desk.example.test')).toBeUndefined();
        expect(s.findOrderByOutboundMessageId('carrier-3@desk.example.test')?.id).toBe(id);
        expect(s.findOrderByToken('no-such-token')).toBeUndefined();
      }
    });

    it('refuses a commit with an invalid record whole, and keeps what it had', async () => {
      await store.commit({ accounts: [makeAccount(4)] });
      const bad = { ...makeOrder(5), id: 'not-an-order-id' };
      await expect(store.commit({ accounts: [makeAccount(5)], orders: [bad] })).rejects.toMatchObject({ code: 'STORE_INVALID' });
      expect(store.getAccount('ACC-5')).toBeUndefined();
      const s = await reopen();
      expect(s.listAccounts().map((a) => a.id)).toEqual(['ACC-4']);
    });

    it('never stores a PIN in clear: an account PIN is hashed, a carrier PIN reduced to matched', async () => {
      await store.commit({ accounts: [makeAccount(6, { portOutPin: '4321' })] });
      const hashed = store.getAccount('ACC-6')!.portOutPin!;
      expect(hashed).not.toBe('4321');
      expect(testPins.matches('4321', hashed)).toBe(true);
      const s = await reopen();
      expect(s.getAccount('ACC-6')!.portOutPin).toBe(hashed);
    });

    it('a finished order a month old leaves the live set but is still found', async () => {
      const old = makeOrder(7, { state: 'completed', createdAt: T0.toISOString(), updatedAt: T0.toISOString() });
      await store.commit({ accounts: [makeAccount(7)], orders: [old, makeOrder(8)], inbound: [makeInbound('<old@x.test>')] });
      clock.advanceDays(40);
      if ('compact' in store) await (store as { compact(): Promise<void> }).compact();
      const s = await reopen();
      expect(s.listOrders().map((o) => o.id)).toEqual([makeOrder(8).id]);
      expect(s.listOrders({ includeArchived: true }).map((o) => o.id).sort()).toEqual([old.id, makeOrder(8).id].sort());
      expect(s.getOrder(old.id)?.state).toBe('completed');
      expect(s.findOrderByToken(old.token)?.id).toBe(old.id);
      expect(s.findOrderByCustomerMessageId(old.verification!.messageId)?.id).toBe(old.id);
      expect(s.listInbound()).toHaveLength(0);
      expect(s.getInbound('<old@x.test>')?.key).toBe('<old@x.test>');
      // Written again, it is live again.
      await s.commit({ orders: [{ ...old, history: [...old.history, { at: clock.now().toISOString(), event: 'note' }] }] });
      expect(s.getOrder(old.id)?.history.at(-1)?.event).toBe('note');
    });

    it('keeps events with their deliveries: by order and pending, updated in place, spent ones (delivered, or dropped with their endpoint) gone after a week', async () => {
      const id = makeOrder(30).id;
      const at = T0.toISOString();
      const event = (n: number, orderId: string | undefined, status: 'pending' | 'delivered' | 'dropped') => ({
        id: `msg_0000000000000${n}`,
        type: 'order.received' as const,
        timestamp: at,
        ...(orderId ? { orderId } : {}),
        data: { id: orderId ?? 'none', state: 'received' },
        deliveries: [{ endpoint: 'https://crm.example.test/hook', status, attempts: status === 'delivered' ? 1 : 0, nextAttemptAt: at, ...(status === 'delivered' ? { deliveredAt: at } : status === 'dropped' ? { droppedAt: at } : {}) }],
      });
      await store.commit({ accounts: [makeAccount(30)], orders: [makeOrder(30)], events: [event(2, id, 'pending'), event(1, id, 'pending'), event(3, undefined, 'pending')] });
      await store.commit({ events: [{ ...event(1, id, 'delivered') }, event(4, undefined, 'pending')] });
      // Its endpoint left WEBHOOK_URL: no longer pending.
      await store.commit({ events: [event(4, undefined, 'dropped')] });
      for (const s of [store, await reopen()]) {
        expect(s.listOrderEvents(id).map((e) => e.id)).toEqual(['msg_00000000000001', 'msg_00000000000002']);
        expect(s.listPendingEvents().map((e) => e.id)).toEqual(['msg_00000000000002', 'msg_00000000000003']);
        expect(s.countRecords?.().pendingEvents ?? 2).toBe(2);
        expect(s.getEvent('msg_00000000000001')?.deliveries[0]?.status).toBe('delivered');
        expect(s.getEvent('msg_00000000000004')?.deliveries[0]).toMatchObject({ status: 'dropped', droppedAt: at });
      }
      // A week on, what every endpoint took is dropped; what still waits stays.
      clock.advanceDays(8);
      if ('compact' in store) await (store as { compact(): Promise<void> }).compact();
      if ('coolDown' in store) (store as { coolDown(): number }).coolDown();
      for (const s of [store, await reopen()]) {
        expect(s.getEvent('msg_00000000000001')).toBeUndefined();
        expect(s.getEvent('msg_00000000000004')).toBeUndefined();
        expect(s.listOrderEvents(id).map((e) => e.id)).toEqual(['msg_00000000000002']);
        expect(s.listPendingEvents().map((e) => e.id)).toEqual(['msg_00000000000002', 'msg_00000000000003']);
      }
    });

    it('keeps counts of live orders by state and outbox entries by status as records change', async () => {
      await store.commit({ accounts: [makeAccount(10)], orders: [makeOrder(10), makeOrder(11), makeOrder(12, { state: 'completed' })], outbox: [makeOutbox('mail-10'), makeOutbox('mail-11')] });
      await store.commit({ orders: [makeOrder(10, { state: 'approved' })], outbox: [makeOutbox('mail-10', { status: 'sent', sentAt: T0.toISOString() })] });
      for (const s of [store, await reopen()]) {
        const byHand = (list: { state?: string; status?: string }[], key: 'state' | 'status') =>
          list.reduce<Record<string, number>>((m, r) => ({ ...m, [r[key]!]: (m[r[key]!] ?? 0) + 1 }), {});
        const counts = s.countRecords!();
        const nonZero = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([, n]) => n > 0));
        expect(nonZero(counts.orders)).toEqual(byHand(s.listOrders(), 'state'));
        expect(nonZero(counts.orders)).toEqual({ approved: 1, pending_verification: 1, completed: 1 });
        expect(nonZero(counts.outbox)).toEqual(byHand(s.listOutbox(), 'status'));
      }
    });

    it('orders made in the same instant (one request, two accounts) stay in the order they were added; listing them needs no sort', async () => {
      const later = new Date(T0.getTime() + 60_000).toISOString();
      // Added in one commit against the order of their ids, as random ids come.
      await store.commit({ accounts: [makeAccount(52), makeAccount(51), makeAccount(50)], orders: [makeOrder(50)] });
      await store.commit({ orders: [makeOrder(52, { createdAt: later, updatedAt: later }), makeOrder(51, { createdAt: later, updatedAt: later })] });
      const sort = vi.spyOn(Array.prototype, 'sort');
      try {
        expect(store.listOrders().map((o) => o.id)).toEqual([makeOrder(50).id, makeOrder(52).id, makeOrder(51).id]);
        expect(store.listOrders({ state: 'pending_verification' }).map((o) => o.id)).toEqual([makeOrder(50).id, makeOrder(52).id, makeOrder(51).id]);
        expect(sort).not.toHaveBeenCalled();
      } finally {
        sort.mockRestore();
      }
      // Reopened: still oldest first (the two of the same instant in either order).
      const ids = (await reopen()).listOrders().map((o) => o.id);
      expect(ids[0]).toBe(makeOrder(50).id);
      expect(ids.slice(1).sort()).toEqual([makeOrder(51).id, makeOrder(52).id]);
    });

    it('lists orders oldest first, whatever order they were committed and updated in', async () => {
      const later = new Date(T0.getTime() + 3_600_000).toISOString();
      await store.commit({ accounts: [makeAccount(20), makeAccount(21), makeAccount(22)], orders: [makeOrder(21, { createdAt: later, updatedAt: later })] });
      await store.commit({ orders: [makeOrder(20)] });
      await store.commit({ orders: [makeOrder(22, { createdAt: later, updatedAt: later })] });
      await store.commit({ orders: [makeOrder(20, { state: 'approved' })] });
      for (const s of [store, await reopen()]) {
        expect(s.listOrders().map((o) => o.id)).toEqual([makeOrder(20).id, makeOrder(21).id, makeOrder(22).id]);
        expect(s.listOrders({ state: 'pending_verification' }).map((o) => o.id)).toEqual([makeOrder(21).id, makeOrder(22).id]);
      }
    });

    it('groups commits that come together and keeps their order', async () => {
      const commits = Array.from({ length: 40 }, (_, i) => store.commit({ orders: [makeOrder(9, { history: [{ at: T0.toISOString(), event: `step-${i}` }] })], accounts: [makeAccount(9)] }));
      await Promise.all(commits);
      const s = await reopen();
      expect(s.getOrder(makeOrder(9).id)?.history.at(-1)?.event).toBe('step-39');
    });
  });
}
