/**
 * What the console shows (SPEC §12), read from the store: counts for the overview, a page of
 * orders for a search, one order with every e-mail in and out, accounts by search. Nothing here
 * changes a record. Secrets stay out, as from the command line (cli/format-records.ts): no order
 * token, no Message-ID of an e-mail to the customer, no answer link, no PIN or PIN hash.
 */
import { ORDER_STATES, type Account, type InboundEntry, type OrderState, type OutboxEntry, type PortOrder } from '../domain/records.js';
import { reasonsOf } from '../domain/order-views.js';
import { canTransition } from '../domain/order-lifecycle.js';
import { toE164 } from '../domain/phone.js';
import { maskSecrets } from '../domain/secret-text.js';
import { eventView, type EventView } from '../domain/webhook-events.js';
import { maskUrl } from '../domain/mask-url.js';
import type { InboundMessage } from '../mail/types.js';
import type { Store } from '../ports/store.js';
import { listReview, reviewIdOf } from './review.js';

export { maskSecrets };

/** A parked message as support reads it (Review): its first lines as text, secrets masked. */
export interface ParkedMessageText {
  from?: string;
  date?: string;
  subject: string;
  text: string;
  truncated: boolean;
}

export function parkedMessageText(msg: Pick<InboundMessage, 'from' | 'date' | 'subject' | 'text'>, maxLines: number): ParkedMessageText {
  const lines = maskSecrets(msg.text).split(/\r?\n/);
  return {
    ...(msg.from ? { from: msg.from.address } : {}),
    ...(msg.date ? { date: msg.date.toISOString() } : {}),
    subject: maskSecrets(msg.subject),
    text: lines.slice(0, maxLines).join('\n'),
    truncated: lines.length > maxLines,
  };
}

export interface Overview {
  states: { state: OrderState; count: number }[];
  reviewWaiting: number;
  outbox: { queued: number; retrying: number; failed: number; problems: OutboxEntry[] };
  activity: { totalIn: number; totalOut: number; hours: { start: number; in: number; out: number }[] };
}

export function overview(store: Store, now: Date): Overview {
  const byState = store.countRecords?.().orders;
  const counts = new Map<OrderState, number>(ORDER_STATES.map((s) => [s, byState?.[s] ?? 0]));
  if (!byState) for (const o of store.listOrders()) counts.set(o.state, (counts.get(o.state) ?? 0) + 1);
  const queued = store.listQueuedOutbox();
  const all = store.listOutbox();
  const failed = all.filter((e) => e.status === 'failed');
  const retrying = queued.filter((e) => e.attempts > 0);
  const hourMs = 3_600_000;
  // The 24 hours ending with the current one (a message read this very instant counts).
  const end = Math.floor(now.getTime() / hourMs) * hourMs + hourMs;
  const hours = Array.from({ length: 24 }, (_, i) => ({ start: end - (24 - i) * hourMs, in: 0, out: 0 }));
  // ISO instants compare as strings: only those in the window are parsed.
  const since = new Date(end - 24 * hourMs).toISOString();
  const bucket = (iso: string | undefined) => {
    if (!iso || iso < since) return undefined;
    const i = Math.floor((Date.parse(iso) - (end - 24 * hourMs)) / hourMs);
    return i >= 0 && i < 24 ? hours[i] : undefined;
  };
  for (const e of store.listInbound()) {
    const h = bucket(e.at);
    if (h) h.in++;
  }
  for (const e of all) {
    const h = e.status === 'sent' ? bucket(e.sentAt) : undefined;
    if (h) h.out++;
  }
  return {
    states: ORDER_STATES.map((state) => ({ state, count: counts.get(state) ?? 0 })),
    reviewWaiting: listReview(store).length,
    outbox: {
      queued: queued.length,
      retrying: retrying.length,
      failed: failed.length,
      problems: [...failed, ...retrying]
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, 20)
        .map((e) => ({ ...e, text: '', html: '' })),
    },
    activity: { totalIn: hours.reduce((n, h) => n + h.in, 0), totalOut: hours.reduce((n, h) => n + h.out, 0), hours },
  };
}

export interface OrderSearch {
  q?: string;
  state?: OrderState;
  page?: number;
  pageSize?: number;
}

/**
 * What a search looks through, per order, in lower case: id, account, PON, carrier name and
 * address, and the numbers' digits. Made once per version of an order (records are immutable),
 * so a search over 100,000 orders compares strings instead of building them.
 */
const haystacks = new WeakMap<PortOrder, string>();
function haystackOf(o: PortOrder): string {
  let h = haystacks.get(o);
  if (h === undefined) {
    h = [o.id, o.accountId, o.carrier.pon ?? '', o.carrier.name, o.carrier.email, ...o.dids.map((d) => d.replace(/\D/g, ''))].join('\n').toLowerCase();
    haystacks.set(o, h);
  }
  return h;
}

/** The test a search term puts to an order: its id, account, carrier (name, address), PON or a number, in part. */
function orderMatcher(q: string): (o: PortOrder) => boolean {
  const term = q.trim().toLowerCase();
  const digits = term.replace(/\D/g, '');
  const looksLikeNumber = digits.length >= 4 && /^[\d\s()+.-]+$/.test(term);
  // A whole number in any format (+1 206…, (206) 555-…) is looked for as its E.164 digits.
  const e164 = looksLikeNumber && digits.length >= 10 ? toE164(term)?.replace(/\D/g, '') : undefined;
  const needle = looksLikeNumber ? (e164 ?? digits) : term;
  return (o) => haystackOf(o).includes(needle);
}

/**
 * The orders a search looks through, oldest first, and the test each must pass. An account id or
 * a whole number goes straight to that account's orders (the store filters by account without
 * building a search text for every order); anything else is looked for in every order's text.
 */
function candidates(store: Store, s: OrderSearch): { list: PortOrder[]; matches?: (o: PortOrder) => boolean } {
  const q = s.q?.trim();
  const filter = s.state ? { state: s.state } : {};
  if (!q) return { list: store.listOrders(filter) };
  const account = store.getAccount(q) ?? store.getAccount(q.toUpperCase());
  if (account) return { list: store.listOrders({ ...filter, accountId: account.id }) };
  const digits = q.replace(/\D/g, '');
  const e164 = digits.length >= 10 && /^[\d\s()+.-]+$/.test(q) ? toE164(q) : undefined;
  const holder = e164 ? store.findAccountByDid(e164) : undefined;
  if (e164 && holder) return { list: store.listOrders({ ...filter, accountId: holder.id }), matches: (o) => o.dids.includes(e164) };
  return { list: store.listOrders(filter), matches: orderMatcher(q) };
}

/** Newest first, a page at a time. */
export function searchOrders(store: Store, s: OrderSearch): { orders: PortOrder[]; total: number; page: number; pages: number } {
  const pageSize = s.pageSize ?? 50;
  const { list, matches } = candidates(store, s);
  const page = Math.max(1, s.page ?? 1);
  const from = (page - 1) * pageSize;
  if (!matches) {
    // listOrders is oldest first: the page is a slice from the end.
    const end = Math.max(0, list.length - from);
    return { orders: list.slice(Math.max(0, end - pageSize), end).reverse(), total: list.length, page, pages: Math.max(1, Math.ceil(list.length / pageSize)) };
  }
  const orders: PortOrder[] = [];
  let total = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    const o = list[i]!;
    if (!matches(o)) continue;
    if (total >= from && orders.length < pageSize) orders.push(o);
    total++;
  }
  return { orders, total, page, pages: Math.max(1, Math.ceil(total / pageSize)) };
}

export interface OrderDetail {
  order: PortOrder;
  account?: Account;
  inbound: (InboundEntry & { reviewId?: string })[];
  outbox: OutboxEntry[];
  /** Events told to other systems about the order, with each delivery's state (SPEC §14). */
  events: EventView[];
  canComplete: boolean;
  canCancel: boolean;
  reasons: { code: string; text: string }[];
}

export function orderDetail(store: Store, id: string): OrderDetail | undefined {
  const order = store.getOrder(id.trim().toUpperCase());
  if (!order) return undefined;
  const inbound = store
    .listInbound()
    .filter((e) => e.orderIds.includes(order.id) || order.sourceMessageIds.includes(e.key))
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((e) => ({ ...e, ...(e.reviewReason ? { reviewId: reviewIdOf(e.key) } : {}) }));
  const outbox = store
    .listOutbox()
    .filter((e) => e.orderId === order.id)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((e) => ({ ...e, text: maskSecrets(e.text), html: '', messageId: '', replyTo: undefined }) as OutboxEntry);
  const account = store.getAccount(order.accountId);
  return {
    order,
    ...(account ? { account } : {}),
    inbound,
    outbox,
    events: store.listOrderEvents(order.id).map((e) => eventView(e, maskUrl)),
    canComplete: canTransition(order.state, 'complete'),
    canCancel: canTransition(order.state, 'cancel'),
    reasons: order.decision ? reasonsOf(order.decision.reasonCodes) : [],
  };
}

/** Accounts whose id, name, company, e-mail, account number or a number matches; by id. */
export function searchAccounts(store: Store, q: string | undefined, limit = 100): { accounts: Account[]; total: number } {
  const term = (q ?? '').trim().toLowerCase();
  const all = store.listAccounts();
  if (!term) return { accounts: all.slice(0, limit), total: all.length };
  const byNumber = toE164(term);
  const hit = byNumber ? store.findAccountByDid(byNumber) : undefined;
  const found = all.filter(
    (a) =>
      a === hit ||
      a.id.toLowerCase().includes(term) ||
      a.name.toLowerCase().includes(term) ||
      (a.company ?? '').toLowerCase().includes(term) ||
      a.email.toLowerCase().includes(term) ||
      a.accountNumber.toLowerCase() === term,
  );
  return { accounts: found.slice(0, limit), total: found.length };
}
