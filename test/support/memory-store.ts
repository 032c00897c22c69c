/**
 * The Store port held in plain maps, for use-case tests. Same semantics as the file store: every
 * record is upserted by id (inbound entries by key, cursors by mailbox), records are validated
 * against the zod schemas and frozen when committed, and a commit either applies whole or not at
 * all. Frozen records make a use case that mutates what it read fail loudly, as it would with the
 * real store.
 */
import {
  AccountSchema,
  ConsoleUserSchema,
  CsrRequestSchema,
  InboundEntrySchema,
  MailboxCursorSchema,
  OPEN_STATES,
  OutboxEntrySchema,
  PortOrderSchema,
  WebhookEventSchema,
  type Account,
  type ConsoleUser,
  type CsrRequest,
  type InboundEntry,
  type MailboxCursor,
  type OutboxEntry,
  type PortOrder,
  type WebhookEvent,
} from '../../src/domain/records.js';
import type { Changes, OrderFilter, Store } from '../../src/ports/store.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

const isOpen = (o: PortOrder): boolean => OPEN_STATES.includes(o.state);

export class MemoryStore implements Store {
  private readonly accounts = new Map<string, Account>();
  private readonly orders = new Map<string, PortOrder>();
  private readonly csrRequests = new Map<string, CsrRequest>();
  private readonly inbound = new Map<string, InboundEntry>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly cursors = new Map<string, MailboxCursor>();
  private readonly users = new Map<string, ConsoleUser>();
  private readonly events = new Map<string, WebhookEvent>();
  /** Every successful commit, in order, as given (for tests that count writes). */
  readonly commits: Changes[] = [];
  /** When set, the next commit rejects with this error and changes nothing. */
  failNextCommit: Error | undefined;
  closed = false;

  constructor(seed: { accounts?: Account[]; orders?: PortOrder[] } = {}) {
    this.applyParsed(this.parse({ accounts: seed.accounts ?? [], orders: seed.orders ?? [] }));
  }

  getAccount(id: string): Account | undefined {
    return this.accounts.get(id);
  }

  listAccounts(): Account[] {
    return [...this.accounts.values()];
  }

  findAccountByDid(did: string): Account | undefined {
    for (const a of this.accounts.values()) if (a.dids.some((d) => d.number === did)) return a;
    return undefined;
  }

  getOrder(id: string): PortOrder | undefined {
    return this.orders.get(id);
  }

  listOrders(filter: OrderFilter = {}): PortOrder[] {
    return [...this.orders.values()].filter(
      (o) => (filter.state === undefined || o.state === filter.state) && (filter.accountId === undefined || o.accountId === filter.accountId),
    );
  }

  listOpenOrders(): PortOrder[] {
    return [...this.orders.values()].filter(isOpen);
  }

  openOrdersForDid(did: string): PortOrder[] {
    return this.listOpenOrders().filter((o) => o.dids.includes(did));
  }

  findOrderByToken(token: string): PortOrder | undefined {
    for (const o of this.orders.values()) if (o.token === token) return o;
    return undefined;
  }

  findOrderByCustomerMessageId(messageId: string): PortOrder | undefined {
    for (const o of this.orders.values()) {
      const v = o.verification;
      if (v && (v.messageId === messageId || (v.followUpIds ?? []).includes(messageId))) return o;
    }
    return undefined;
  }

  findOrderByOutboundMessageId(messageId: string): PortOrder | undefined {
    for (const o of this.orders.values()) if (o.verification?.messageId === messageId) return o;
    for (const e of this.outbox.values()) {
      if (e.messageId === messageId && e.orderId !== undefined) return this.orders.get(e.orderId);
    }
    return undefined;
  }

  listCsrRequests(): CsrRequest[] {
    return [...this.csrRequests.values()];
  }

  listInbound(): InboundEntry[] {
    return [...this.inbound.values()];
  }

  getInbound(key: string): InboundEntry | undefined {
    return this.inbound.get(key);
  }

  getOutbox(id: string): OutboxEntry | undefined {
    return this.outbox.get(id);
  }

  listQueuedOutbox(): OutboxEntry[] {
    return [...this.outbox.values()].filter((e) => e.status === 'queued').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  listOutbox(): OutboxEntry[] {
    return [...this.outbox.values()];
  }

  getCursor(mailbox: string): MailboxCursor | undefined {
    return this.cursors.get(mailbox);
  }

  getUser(name: string): ConsoleUser | undefined {
    return this.users.get(name);
  }

  listUsers(): ConsoleUser[] {
    return [...this.users.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  getEvent(id: string): WebhookEvent | undefined {
    return this.events.get(id);
  }

  listOrderEvents(orderId: string): WebhookEvent[] {
    return [...this.events.values()].filter((e) => e.orderId === orderId).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  listPendingEvents(): WebhookEvent[] {
    return [...this.events.values()].filter((e) => e.deliveries.some((d) => d.status === 'pending')).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async commit(changes: Changes): Promise<void> {
    if (this.closed) throw new Error('memory store: commit after close');
    const failure = this.failNextCommit;
    if (failure) {
      this.failNextCommit = undefined;
      throw failure;
    }
    // Validate everything first: a bad record anywhere leaves the store as it was.
    const parsed = this.parse(changes);
    this.applyParsed(parsed);
    this.commits.push(changes);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  private parse(changes: Changes): Required<Omit<Changes, 'cursors'>> & { cursors: [string, MailboxCursor][] } {
    return {
      accounts: (changes.accounts ?? []).map((a) => AccountSchema.parse(a)),
      orders: (changes.orders ?? []).map((o) => PortOrderSchema.parse(o)),
      csrRequests: (changes.csrRequests ?? []).map((c) => CsrRequestSchema.parse(c)),
      inbound: (changes.inbound ?? []).map((i) => InboundEntrySchema.parse(i)),
      outbox: (changes.outbox ?? []).map((e) => OutboxEntrySchema.parse(e)),
      cursors: Object.entries(changes.cursors ?? {}).map(([k, c]) => [k, MailboxCursorSchema.parse(c)] as [string, MailboxCursor]),
      users: (changes.users ?? []).map((u) => ConsoleUserSchema.parse(u)),
      events: (changes.events ?? []).map((e) => WebhookEventSchema.parse(e)),
    };
  }

  private applyParsed(p: ReturnType<MemoryStore['parse']>): void {
    for (const a of p.accounts) this.accounts.set(a.id, deepFreeze(a));
    for (const o of p.orders) this.orders.set(o.id, deepFreeze(o));
    for (const c of p.csrRequests) this.csrRequests.set(c.id, deepFreeze(c));
    for (const i of p.inbound) this.inbound.set(i.key, deepFreeze(i));
    for (const e of p.outbox) this.outbox.set(e.id, deepFreeze(e));
    for (const [k, c] of p.cursors) this.cursors.set(k, deepFreeze(c));
    for (const u of p.users) this.users.set(u.name, deepFreeze(u));
    for (const e of p.events) this.events.set(e.id, deepFreeze(e));
  }
}
