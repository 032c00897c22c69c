/**
 * Big stores for the growth and jobs scenarios, built by committing records straight to the file
 * store (as years of traffic would have left them) instead of replaying mail.
 */
import { openFileStore, type FileStore } from '../src/adapters/file-store.js';
import type { Account, InboundEntry, OutboxEntry, PortOrder } from '../src/domain/records.js';
import { makeAccounts } from './fixtures.js';

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

async function commitAccounts(store: FileStore, accounts: Account[]): Promise<void> {
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
export async function buildJobsStore(dir: string, o: { accounts: number; open: number; expiring: number }): Promise<{ ms: number }> {
  const t0 = performance.now();
  const store = await openFileStore(dir);
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
  await store.compact();
  await store.close();
  return { ms: performance.now() - t0 };
}
