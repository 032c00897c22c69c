/**
 * Big stores for the growth and jobs scenarios, built by committing records straight to the file
 * store or the database (as years of traffic would have left them) instead of replaying mail.
 */
import type pg from 'pg';
import { openFileStore } from '../src/adapters/file-store.js';
import { createPgPool } from '../src/adapters/pg-store.js';
import { migrate } from '../src/adapters/pg-store/schema.js';
import { TABLES, upsertStatement, type TableSpec } from '../src/adapters/pg-store/tables.js';
import { PortOrderSchema, type Account, type InboundEntry, type OutboxEntry, type PortOrder } from '../src/domain/records.js';
import type { Store } from '../src/ports/store.js';
import { makeAccounts } from './fixtures.js';
import { openPgWriter, type StoreTarget } from './pg.js';

const DAY = 86_400_000;
const CHUNK = 5_000;

export function orderIdOf(i: number): string {
  return `PO-${i.toString(36).toUpperCase().padStart(6, '0')}`;
}

function tokenOf(i: number): string {
  return `tk${i.toString(36).padStart(10, 'a')}`;
}

/** Filler of about `bytes` characters that reads like a rendered e-mail. */
function prose(bytes: number, seed: number): string {
  const line = `Your port-out request for order ${orderIdOf(seed)} was received and is being handled by the desk. `;
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

interface OrderShape {
  i: number;
  account: Account;
  state: PortOrder['state'];
  createdAt: Date;
  updatedAt: Date;
  verification?: { sentAt: Date; expiresAt: Date; reminded: boolean };
  /** What the carrier wrote matches the account on file. */
  matches: boolean;
}

export function makeOrder(s: OrderShape): PortOrder {
  const a = s.account;
  const at = s.createdAt.toISOString();
  const carrier = { name: `Carrier ${s.i % 20} Telecom`, email: `lnp@carrier${s.i % 20}.example.test`, pon: `PON-${s.i}` };
  const order: PortOrder = {
    id: orderIdOf(s.i),
    token: tokenOf(s.i),
    state: s.state,
    accountId: a.id,
    dids: [a.dids[0]!.number],
    carrier,
    provided: {
      name: a.company ?? a.name,
      street: a.address.street,
      city: a.address.city,
      state: a.address.state,
      zip: s.matches ? a.address.zip : '99999',
      accountNumber: a.accountNumber,
      authorizedName: a.name,
    },
    requestKey: `${carrier.email}|PON-${s.i}|${a.dids[0]!.number}`,
    sourceMessageIds: [`req-${s.i}@carrier${s.i % 20}.example.test`],
    createdAt: at,
    updatedAt: s.updatedAt.toISOString(),
    history: [{ at, event: 'received', detail: `from ${carrier.email}, PON PON-${s.i}` }],
  };
  if (s.verification) {
    order.verification = {
      sentTo: a.email,
      sentAt: s.verification.sentAt.toISOString(),
      expiresAt: s.verification.expiresAt.toISOString(),
      ...(s.verification.reminded ? { reminderSentAt: new Date(s.verification.sentAt.getTime() + DAY).toISOString() } : {}),
      messageId: `ver-${s.i}@example.test`,
      clarifications: 0,
    };
    order.history.push({ at: order.verification.sentAt, event: 'verification-sent', detail: `to ${a.email}` });
  }
  if (s.state !== 'pending_verification' && s.state !== 'received') {
    const decided = s.updatedAt.toISOString();
    order.decision = {
      by: 'customer',
      at: decided,
      reasonCodes: s.state === 'rejected' ? ['CUSTOMER_REJECTED'] : [],
    };
    if (s.state === 'completed' || s.state === 'canceled' || s.state === 'approved') order.focDate = decided.slice(0, 10);
    if (s.state === 'completed') order.completedAt = decided;
    order.history.push({ at: decided, event: s.state });
  }
  return order;
}

function outboxFor(order: PortOrder, template: string, to: string, at: Date, k: number): OutboxEntry {
  const iso = at.toISOString();
  const text = prose(900, k);
  return {
    id: `ob-${order.id}-${k}`,
    messageId: `pd.${order.id}.${k}@example.test`,
    template,
    from: 'porting@example.test',
    to: [to],
    cc: [],
    subject: `[${order.id}] ${template}`,
    text,
    html: `<html><body><p>${prose(2400, k)}</p></body></html>`,
    references: [],
    autoSubmitted: 'auto-replied',
    orderId: order.id,
    status: 'sent',
    attempts: 1,
    nextAttemptAt: iso,
    createdAt: iso,
    sentAt: iso,
  };
}

function inboundFor(order: PortOrder, at: Date): InboundEntry {
  return {
    key: order.sourceMessageIds[0]!,
    messageId: order.sourceMessageIds[0]!,
    mailbox: 'INBOX',
    from: order.carrier.email,
    subject: `Port-out request PON ${order.carrier.pon}`,
    kind: 'port_request',
    outcome: 'processed',
    orderIds: [order.id],
    at: at.toISOString(),
  };
}

/**
 * The target's store opened to write, as a command would: the file store in its directory, or
 * the database with the lease taken (and given back by `close`). `compact` is the file store's.
 */
export async function openStoreWriter(target: StoreTarget): Promise<{ store: Store; compact(): Promise<void>; close(): Promise<void> }> {
  if (target.kind === 'postgres') {
    const w = await openPgWriter(target.databaseUrl!);
    return { store: w.store, compact: async () => undefined, close: w.close };
  }
  const store = await openFileStore(target.dataDir);
  return { store, compact: async () => void (await store.compact()), close: () => store.close() };
}

async function commitAccounts(store: Store, accounts: Account[]): Promise<void> {
  for (let i = 0; i < accounts.length; i += CHUNK) await store.commit({ accounts: accounts.slice(i, i + CHUNK) });
}

/**
 * `accounts` accounts (one number each) and `finished` finished orders spread over the past year
 * (completed, rejected, canceled), each with its inbound entry and `emailsPerOrder` sent e-mails.
 * The first `spareAccounts` accounts get no order, so requests for them are new. Compacted as it
 * grows, like a desk running for a year: what is old sits in the archive, the rest in desk.json.
 */
export async function buildGrowthStore(dir: string, o: { accounts: number; finished: number; spareAccounts: number; emailsPerOrder: number }): Promise<{ ms: number }> {
  const t0 = performance.now();
  const store = await openFileStore(dir);
  const accounts = makeAccounts(o.accounts, { didsPerAccount: 1 });
  await commitAccounts(store, accounts);
  const now = Date.now();
  const templates = ['carrier-acknowledgement', 'customer-verification', 'carrier-approval', 'customer-decision', 'customer-completion'];
  // Oldest first, so each compaction archives only what the chunk added.
  for (let start = 0; start < o.finished; start += CHUNK) {
    const orders: PortOrder[] = [];
    const inbound: InboundEntry[] = [];
    const outbox: OutboxEntry[] = [];
    for (let i = start; i < Math.min(o.finished, start + CHUNK); i++) {
      const age = 365 * DAY * (1 - i / o.finished);
      const createdAt = new Date(now - age - 3 * DAY);
      const updatedAt = new Date(now - age);
      const account = accounts[o.spareAccounts + (i % (o.accounts - o.spareAccounts))]!;
      const r = i % 10;
      const state = r < 6 ? 'completed' : r < 9 ? 'rejected' : 'canceled';
      const order = makeOrder({ i, account, state, createdAt, updatedAt, verification: { sentAt: createdAt, expiresAt: new Date(createdAt.getTime() + 3 * DAY), reminded: false }, matches: true });
      orders.push(order);
      inbound.push(inboundFor(order, createdAt));
      for (let k = 0; k < o.emailsPerOrder; k++) outbox.push(outboxFor(order, templates[k % templates.length]!, k % 2 ? account.email : order.carrier.email, createdAt, i * 10 + k));
    }
    await store.commit({ orders, inbound, outbox });
    await store.compact();
  }
  await store.close();
  return { ms: performance.now() - t0 };
}

/**
 * `accounts` accounts and `open` orders waiting for the customer (one per account, round robin),
 * of which the first `expiring` have a verification window that ran out a minute ago. Two in ten
 * of those were sent with a wrong ZIP, so the auto-match both approves and rejects.
 */
export async function buildJobsStore(target: StoreTarget, o: { accounts: number; open: number; expiring: number }): Promise<{ ms: number }> {
  const t0 = performance.now();
  const writer = await openStoreWriter(target);
  const store = writer.store;
  const accounts = makeAccounts(o.accounts, { didsPerAccount: 1 });
  await commitAccounts(store, accounts);
  const now = Date.now();
  for (let start = 0; start < o.open; start += CHUNK) {
    const orders: PortOrder[] = [];
    for (let i = start; i < Math.min(o.open, start + CHUNK); i++) {
      const expiring = i < o.expiring;
      const sentAt = new Date(expiring ? now - 3 * DAY - 60_000 : now - DAY / 2);
      orders.push(
        makeOrder({
          i,
          account: accounts[i % o.accounts]!,
          state: 'pending_verification',
          createdAt: sentAt,
          updatedAt: sentAt,
          verification: { sentAt, expiresAt: new Date(sentAt.getTime() + 3 * DAY), reminded: expiring },
          matches: i % 10 >= 2,
        }),
      );
    }
    await store.commit({ orders });
  }
  await writer.compact();
  await writer.close();
  return { ms: performance.now() - t0 };
}

const ROWS_PER_STATEMENT = 5_000;

async function insertRows<T>(client: pg.ClientBase, spec: TableSpec<T>, rows: readonly T[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    // The statement the store itself writes with (tables.ts): the same columns, derived the same way.
    const statement = upsertStatement(spec, rows.slice(i, i + ROWS_PER_STATEMENT), 1)!;
    await client.query(statement.text, statement.values);
  }
}

/**
 * The growth scenario's database, written straight into the tables (multi-row INSERTs of
 * generated JSON, as the store's own upserts write them): `accounts` accounts (one number each)
 * and `finished` finished orders (completed, rejected, canceled), every one finished more than 30
 * days ago — the store keeps them cold, as JSON text — spread over the year before that. With
 * `inbound`, each order's inbound entry too (older than 7 days: cold as well). The first
 * `spareAccounts` accounts get no order, so the probes' requests for them are new.
 */
export async function buildGrowthDatabase(url: string, o: { accounts: number; finished: number; spareAccounts: number; inbound: boolean }): Promise<{ ms: number; dataMB: number }> {
  const t0 = performance.now();
  const pool = createPgPool(url);
  try {
    await migrate(pool);
    const client = await pool.connect();
    try {
      const accounts = makeAccounts(o.accounts, { didsPerAccount: 1 });
      await client.query('BEGIN');
      await insertRows(client, TABLES.accounts as TableSpec<Account>, accounts);
      const now = Date.now();
      for (let start = 0; start < o.finished; start += ROWS_PER_STATEMENT) {
        const orders: PortOrder[] = [];
        for (let i = start; i < Math.min(o.finished, start + ROWS_PER_STATEMENT); i++) {
          // Finished between a year and 31 days and 31 days ago, oldest first.
          const age = 31 * DAY + 365 * DAY * (1 - i / o.finished);
          const createdAt = new Date(now - age - 3 * DAY);
          const updatedAt = new Date(now - age);
          const account = accounts[o.spareAccounts + (i % (o.accounts - o.spareAccounts))]!;
          const r = i % 10;
          const state = r < 6 ? 'completed' : r < 9 ? 'rejected' : 'canceled';
          orders.push(makeOrder({ i, account, state, createdAt, updatedAt, verification: { sentAt: createdAt, expiresAt: new Date(createdAt.getTime() + 3 * DAY), reminded: false }, matches: true }));
        }
        // The store does not check cold rows as it loads them: check some here, so the figures are of valid records.
        for (const order of orders.slice(0, 20)) PortOrderSchema.parse(order);
        await insertRows(client, TABLES.orders as TableSpec<PortOrder>, orders);
        if (o.inbound) await insertRows(client, TABLES.inbound as TableSpec<InboundEntry>, orders.map((order) => inboundFor(order, new Date(order.createdAt))));
      }
      // The rows carry version 1: the store's next commit is numbered past it.
      await client.query("SELECT setval('portdesk_commit_seq', 1)");
      await client.query('COMMIT');
      await client.query('VACUUM ANALYZE');
      const size = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
      return { ms: performance.now() - t0, dataMB: Number(size.rows[0]!.bytes) / 2 ** 20 };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}
