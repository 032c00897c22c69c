/**
 * The Store's reads, shared by the file store and the PostgreSQL store: from memory first (every
 * live record, indexed so a read never scans), then from the cold records — finished ones kept
 * out of the live set: the file store's archive files (archives.ts), the database's older rows
 * (pg-store/cold-rows.ts). Each store adds loading and writing on top.
 */
import type { Account, ConsoleUser, CsrRequest, InboundEntry, MailboxCursor, OutboxEntry, PortOrder, WebhookEvent } from '../../domain/records.js';
import type { OrderFilter } from '../../ports/store.js';
import { DeskState } from './desk-state.js';

export type ColdRecordKind = 'orders' | 'inbound' | 'outbox';

/** Finished records out of the live set, read synchronously (the Store's reads are). */
export interface ColdRecords {
  getOrder(id: string): PortOrder | undefined;
  /** Every cold order whose id `isLive` does not claim. */
  forEachOrder(isLive: (id: string) => boolean, visit: (order: PortOrder) => void): void;
  orderIdByToken(token: string): string | undefined;
  orderIdByVerificationId(messageId: string): string | undefined;
  orderIdByOutboxMessageId(messageId: string): string | undefined;
  /** Builds the indexes of these kinds now if they are built lazily. */
  ensureIndexed(...kinds: ColdRecordKind[]): void;
  getInbound(key: string): InboundEntry | undefined;
  getOutbox(id: string): OutboxEntry | undefined;
}

export abstract class StoreReads<C extends ColdRecords = ColdRecords> {
  /** Replaced as a whole when the store (re)loads. */
  protected state = new DeskState();

  constructor(protected archives: C) {}

  getAccount(id: string): Account | undefined {
    return this.state.accounts.get(id);
  }

  listAccounts(): Account[] {
    return [...this.state.accounts.values()];
  }

  findAccountByDid(did: string): Account | undefined {
    const id = this.state.accountIdByDid.get(did);
    return id === undefined ? undefined : this.state.accounts.get(id);
  }

  getOrder(id: string): PortOrder | undefined {
    return this.state.orders.get(id) ?? this.archives.getOrder(id);
  }

  listOrders(filter: OrderFilter = {}): PortOrder[] {
    const wanted = (o: PortOrder) =>
      (filter.state === undefined || o.state === filter.state) && (filter.accountId === undefined || o.accountId === filter.accountId);
    const unfiltered = filter.state === undefined && filter.accountId === undefined;
    if (unfiltered && !filter.includeArchived && this.state.ordersInCreationOrder) return [...this.state.orders.values()];
    const out: PortOrder[] = [];
    for (const o of this.state.orders.values()) if (wanted(o)) out.push(o);
    if (filter.includeArchived) {
      this.archives.forEachOrder(
        (id) => this.state.orders.has(id),
        (order) => {
          if (wanted(order)) out.push(order);
        },
      );
    }
    // Archived ones, appended after the live, are sorted in (orders of the same instant by id).
    if (filter.includeArchived) return out.sort(byCreatedAt);
    // Live orders are kept in the order they were created (desk-state.ts): a check, not a sort,
    // on 100,000 orders; a load out of order is sorted. Orders of the same instant stay in the
    // order they were added (a stable sort, no tie-break by id): one request making two orders
    // must not cost every later listing a sort.
    return isInCreationOrder(out) ? out : out.sort(byCreationTime);
  }

  listOpenOrders(): PortOrder[] {
    return this.ordersById(this.state.openOrderIds);
  }

  openOrdersForDid(did: string): PortOrder[] {
    const ids = this.state.openOrderIdsByDid.get(did);
    return ids ? this.ordersById(ids) : [];
  }

  private ordersById(ids: Iterable<string>): PortOrder[] {
    const out: PortOrder[] = [];
    for (const id of ids) {
      const o = this.state.orders.get(id);
      if (o) out.push(o);
    }
    return out.sort(byCreatedAt);
  }

  findOrderByToken(token: string): PortOrder | undefined {
    const id = this.state.orderIdByToken.get(token) ?? this.archives.orderIdByToken(token);
    return id === undefined ? undefined : this.getOrder(id);
  }

  /**
   * Live orders by any of their customer e-mails; archived (finished) orders by the verification's
   * Message-ID, the one their archive line is indexed by.
   */
  findOrderByCustomerMessageId(messageId: string): PortOrder | undefined {
    const id = this.state.orderIdByVerificationId.get(messageId) ?? this.archives.orderIdByVerificationId(messageId);
    return id === undefined ? undefined : this.getOrder(id);
  }

  findOrderByOutboundMessageId(messageId: string): PortOrder | undefined {
    let id = this.state.orderIdByVerificationId.get(messageId) ?? this.state.orderIdByOutboxMessageId.get(messageId);
    if (id === undefined) {
      this.archives.ensureIndexed('orders', 'outbox');
      id = this.archives.orderIdByVerificationId(messageId) ?? this.archives.orderIdByOutboxMessageId(messageId);
    }
    return id === undefined ? undefined : this.getOrder(id);
  }

  listCsrRequests(): CsrRequest[] {
    return [...this.state.csrRequests.values()];
  }

  listInbound(): InboundEntry[] {
    return [...this.state.inbound.values()];
  }

  getInbound(key: string): InboundEntry | undefined {
    return this.state.inbound.get(key) ?? this.archives.getInbound(key);
  }

  /** A live entry from memory; the desk only asks for live (queued) ones. The archive serves people looking at old mail. */
  getOutbox(id: string): OutboxEntry | undefined {
    return this.state.outbox.get(id) ?? this.archives.getOutbox(id);
  }

  listQueuedOutbox(): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const id of this.state.queuedOutboxIds) {
      const e = this.state.outbox.get(id);
      if (e) out.push(e);
    }
    return out.sort(byCreatedAt);
  }

  /** Live entries only: sent entries older than 7 days are in the archive (see getOutbox). */
  listOutbox(): OutboxEntry[] {
    return [...this.state.outbox.values()];
  }

  countRecords(): { orders: Record<string, number>; outbox: Record<string, number>; pendingEvents: number } {
    return { orders: Object.fromEntries(this.state.orderCounts), outbox: Object.fromEntries(this.state.outboxCounts), pendingEvents: this.state.pendingEventIds.size };
  }

  getCursor(mailbox: string): MailboxCursor | undefined {
    return this.state.cursors.get(mailbox);
  }

  getUser(name: string): ConsoleUser | undefined {
    return this.state.users.get(name);
  }

  listUsers(): ConsoleUser[] {
    return [...this.state.users.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  getEvent(id: string): WebhookEvent | undefined {
    return this.state.events.get(id);
  }

  listOrderEvents(orderId: string): WebhookEvent[] {
    return this.eventsById(this.state.eventIdsByOrder.get(orderId) ?? []);
  }

  listPendingEvents(): WebhookEvent[] {
    return this.eventsById(this.state.pendingEventIds);
  }

  /** Ids sort in the order events were written (webhook-events.ts). */
  private eventsById(ids: Iterable<string>): WebhookEvent[] {
    const out: WebhookEvent[] = [];
    for (const id of ids) {
      const e = this.state.events.get(id);
      if (e) out.push(e);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

function isInCreationOrder(list: readonly { createdAt: string }[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.createdAt > list[i]!.createdAt) return false;
  return true;
}

function byCreationTime(a: { createdAt: string }, b: { createdAt: string }): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
}

function byCreatedAt(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
