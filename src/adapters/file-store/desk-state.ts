/**
 * The live records held in memory with the indexes every hot path needs, so a read never scans:
 * a port request looks up the account by number, the open orders on that number and the inbound
 * log by key in O(1) however many records the desk holds.
 *
 * Records stored here are frozen: the store hands them out directly (no copy per read), and a
 * caller that mutates one instead of committing a new version gets a TypeError at once rather
 * than a change that silently never reaches the disk.
 */
import { isOpen } from '../../domain/order-lifecycle.js';
import type { Account, ConsoleUser, CsrRequest, InboundEntry, MailboxCursor, OutboxEntry, PortOrder, WebhookEvent } from '../../domain/records.js';
import { OUTBOX_STATUS_FIELDS, type JournalChanges, type Snapshot } from './schemas.js';

function deepFreeze<T>(value: T): T {
  const obj = value as Record<string, unknown>;
  Object.freeze(obj);
  for (const k in obj) {
    const v = obj[k];
    if (v !== null && typeof v === 'object') deepFreeze(v);
  }
  return value;
}

function customerMessageIds(o: PortOrder): string[] {
  const v = o.verification;
  return v ? [v.messageId, ...(v.followUpIds ?? [])] : [];
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

export class DeskState {
  seq = 0;
  readonly accounts = new Map<string, Account>();
  readonly accountIdByDid = new Map<string, string>();
  readonly orders = new Map<string, PortOrder>();
  readonly openOrderIds = new Set<string>();
  readonly openOrderIdsByDid = new Map<string, Set<string>>();
  readonly orderIdByToken = new Map<string, string>();
  /** Message-IDs of the e-mails sent to the customer (verification, reminder, clarifications) of live orders. */
  readonly orderIdByVerificationId = new Map<string, string>();
  /** messageId of live outbox entries that belong to an order. */
  readonly orderIdByOutboxMessageId = new Map<string, string>();
  readonly csrRequests = new Map<string, CsrRequest>();
  readonly inbound = new Map<string, InboundEntry>();
  readonly outbox = new Map<string, OutboxEntry>();
  readonly queuedOutboxIds = new Set<string>();
  /** Live orders by state and live outbox entries by status, kept as records change (the console and /metrics read them every second). */
  readonly orderCounts = new Map<string, number>();
  /**
   * Whether `orders` iterates in creation order (true unless an order older than the newest was
   * added). Orders created in the same instant (one request naming numbers on two accounts) are
   * in the order they were added, whatever their ids.
   */
  ordersInCreationOrder = true;
  private newestOrderAt: string | undefined;
  readonly outboxCounts = new Map<string, number>();
  readonly cursors = new Map<string, MailboxCursor>();
  readonly users = new Map<string, ConsoleUser>();
  /** Events for other systems (SPEC §14), in the order they were written, with the pending ones and each order's. */
  readonly events = new Map<string, WebhookEvent>();
  readonly pendingEventIds = new Set<string>();
  readonly eventIdsByOrder = new Map<string, string[]>();

  static fromSnapshot(snapshot: Snapshot): DeskState {
    const state = new DeskState();
    state.apply(snapshot);
    state.seq = snapshot.seq;
    return state;
  }

  /** Upserts every record of `changes`. Callers pass validated records only. */
  apply(changes: JournalChanges): void {
    for (const a of changes.accounts ?? []) this.putAccount(deepFreeze(a));
    for (const o of changes.orders ?? []) this.putOrder(deepFreeze(o));
    for (const c of changes.csrRequests ?? []) this.csrRequests.set(c.id, deepFreeze(c));
    for (const i of changes.inbound ?? []) this.inbound.set(i.key, deepFreeze(i));
    for (const e of changes.outbox ?? []) this.putOutbox(deepFreeze(e));
    for (const u of changes.outboxStatus ?? []) {
      const entry = this.outbox.get(u.id);
      // An outcome always follows the line or snapshot that queued its entry; without the entry
      // there is no e-mail to record an outcome of.
      if (!entry) continue;
      const rest: Record<string, unknown> = { ...entry };
      for (const f of OUTBOX_STATUS_FIELDS) delete rest[f];
      this.putOutbox(deepFreeze({ ...(rest as Omit<OutboxEntry, (typeof OUTBOX_STATUS_FIELDS)[number]>), ...u }));
    }
    for (const [mailbox, cursor] of Object.entries(changes.cursors ?? {})) this.cursors.set(mailbox, deepFreeze(cursor));
    for (const u of changes.users ?? []) this.users.set(u.name, deepFreeze(u));
    for (const e of changes.events ?? []) this.putEvent(deepFreeze(e));
    for (const u of changes.eventStatus ?? []) {
      // Like an outbox outcome: it follows the line or snapshot that wrote its event.
      const event = this.events.get(u.id);
      if (event) this.putEvent(deepFreeze({ ...event, deliveries: u.deliveries }));
    }
  }

  private putEvent(event: WebhookEvent): void {
    const isNew = !this.events.has(event.id);
    this.events.set(event.id, event);
    if (event.deliveries.some((d) => d.status === 'pending')) this.pendingEventIds.add(event.id);
    else this.pendingEventIds.delete(event.id);
    if (isNew && event.orderId !== undefined) {
      const ids = this.eventIdsByOrder.get(event.orderId);
      if (ids) ids.push(event.id);
      else this.eventIdsByOrder.set(event.orderId, [event.id]);
    }
  }

  removeEvent(id: string): void {
    const old = this.events.get(id);
    if (!old) return;
    this.events.delete(id);
    this.pendingEventIds.delete(id);
    if (old.orderId === undefined) return;
    const ids = this.eventIdsByOrder.get(old.orderId)?.filter((x) => x !== id);
    if (ids?.length) this.eventIdsByOrder.set(old.orderId, ids);
    else this.eventIdsByOrder.delete(old.orderId);
  }

  private putAccount(account: Account): void {
    const old = this.accounts.get(account.id);
    if (old) {
      for (const d of old.dids) if (this.accountIdByDid.get(d.number) === account.id) this.accountIdByDid.delete(d.number);
    }
    this.accounts.set(account.id, account);
    for (const d of account.dids) this.accountIdByDid.set(d.number, account.id);
  }

  private putOrder(order: PortOrder): void {
    // A new version replaces the old in place: the map keeps its first-insertion order, which is
    // the order of creation, so listing orders needs no sort (store-reads.ts).
    if (!this.unindexOrder(order.id)) {
      if (this.newestOrderAt !== undefined && order.createdAt < this.newestOrderAt) this.ordersInCreationOrder = false;
      else this.newestOrderAt = order.createdAt;
    }
    this.orders.set(order.id, order);
    bump(this.orderCounts, order.state, 1);
    this.orderIdByToken.set(order.token, order.id);
    for (const mid of customerMessageIds(order)) this.orderIdByVerificationId.set(mid, order.id);
    if (isOpen(order)) {
      this.openOrderIds.add(order.id);
      for (const did of order.dids) {
        let ids = this.openOrderIdsByDid.get(did);
        if (!ids) this.openOrderIdsByDid.set(did, (ids = new Set()));
        ids.add(order.id);
      }
    }
  }

  /** Drops a live order and every index entry pointing at it. */
  removeOrder(id: string): void {
    if (this.unindexOrder(id)) this.orders.delete(id);
  }

  /** Drops the index entries of a live order (keeping the order itself); false when there is none. */
  private unindexOrder(id: string): boolean {
    const old = this.orders.get(id);
    if (!old) return false;
    bump(this.orderCounts, old.state, -1);
    if (this.orderIdByToken.get(old.token) === id) this.orderIdByToken.delete(old.token);
    for (const mid of customerMessageIds(old)) if (this.orderIdByVerificationId.get(mid) === id) this.orderIdByVerificationId.delete(mid);
    if (this.openOrderIds.delete(id)) {
      for (const did of old.dids) {
        const ids = this.openOrderIdsByDid.get(did);
        ids?.delete(id);
        if (ids && ids.size === 0) this.openOrderIdsByDid.delete(did);
      }
    }
    return true;
  }

  private putOutbox(entry: OutboxEntry): void {
    this.removeOutbox(entry.id);
    this.outbox.set(entry.id, entry);
    if (entry.status === 'queued') this.queuedOutboxIds.add(entry.id);
    bump(this.outboxCounts, entry.status, 1);
    if (entry.orderId !== undefined) this.orderIdByOutboxMessageId.set(entry.messageId, entry.orderId);
  }

  removeOutbox(id: string): void {
    const old = this.outbox.get(id);
    if (!old) return;
    this.outbox.delete(id);
    this.queuedOutboxIds.delete(id);
    bump(this.outboxCounts, old.status, -1);
    if (old.orderId !== undefined && this.orderIdByOutboxMessageId.get(old.messageId) === old.orderId) {
      this.orderIdByOutboxMessageId.delete(old.messageId);
    }
  }

  toSnapshot(savedAt: string): Snapshot {
    return {
      // 2 only when it holds events (schemas.ts): a store that never had them stays readable by a release without them.
      version: this.events.size > 0 ? 2 : 1,
      seq: this.seq,
      savedAt,
      accounts: [...this.accounts.values()],
      orders: [...this.orders.values()],
      csrRequests: [...this.csrRequests.values()],
      inbound: [...this.inbound.values()],
      outbox: [...this.outbox.values()],
      users: [...this.users.values()],
      events: [...this.events.values()],
      cursors: Object.fromEntries(this.cursors),
    };
  }
}
