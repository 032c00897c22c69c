import type {
  Account,
  ConsoleUser,
  CsrRequest,
  InboundEntry,
  MailboxCursor,
  OrderState,
  OutboxEntry,
  PortOrder,
  WebhookEvent,
} from '../domain/records.js';

/**
 * One atomic change to the store: every record listed is upserted (by id, or key for the
 * inbound log, or mailbox name for cursors). A use case puts an order change and the e-mails it
 * causes into one Changes, so they are saved together or not at all.
 */
export interface Changes {
  accounts?: Account[];
  orders?: PortOrder[];
  csrRequests?: CsrRequest[];
  inbound?: InboundEntry[];
  outbox?: OutboxEntry[];
  cursors?: Record<string, MailboxCursor>;
  /** Console users, upserted by name (a removed user is kept with removedAt). */
  users?: ConsoleUser[];
  /** Events for the provider's other systems (SPEC §14), upserted by id: new ones, and deliveries' outcomes. */
  events?: WebhookEvent[];
}

export interface OrderFilter {
  state?: OrderState;
  accountId?: string;
  /** Also list orders moved to the archive (finished more than 30 days ago); reads them from disk. */
  includeArchived?: boolean;
}

/**
 * The desk's records. Reads are synchronous and served from memory; `commit` is the only way to
 * change anything. It applies the change to memory at once (or refuses all of it) and resolves
 * once the change is durable on disk; nothing may leave the desk (an e-mail, a moved message)
 * on the strength of a change before that.
 */
export interface Store {
  getAccount(id: string): Account | undefined;
  listAccounts(): Account[];
  /** The account holding this E.164 number (whatever the number's status), if any. */
  findAccountByDid(did: string): Account | undefined;

  /** Any order, finished or not (finished orders may come from the archive). */
  getOrder(id: string): PortOrder | undefined;
  listOrders(filter?: OrderFilter): PortOrder[];
  /** Orders in received, pending_verification or approved. */
  listOpenOrders(): PortOrder[];
  /** Open orders naming this number. */
  openOrdersForDid(did: string): PortOrder[];
  findOrderByToken(token: string): PortOrder | undefined;
  /**
   * The order whose verification, reminder or clarification e-mail — sent to the customer — had
   * this Message-ID. Those Message-IDs are secrets that bind a customer's reply (rule 4).
   */
  findOrderByCustomerMessageId(messageId: string): PortOrder | undefined;
  /**
   * The order any e-mail of the desk's with this Message-ID was about (to the carrier, the
   * customer or support). It tells which order a bounce concerns; it binds nothing.
   */
  findOrderByOutboundMessageId(messageId: string): PortOrder | undefined;

  listCsrRequests(): CsrRequest[];

  getInbound(key: string): InboundEntry | undefined;
  /** The live inbound log (the last 7 days; older entries are in the archive), in no set order. */
  listInbound(): InboundEntry[];

  getOutbox(id: string): OutboxEntry | undefined;
  /** Entries with status queued, oldest first. */
  listQueuedOutbox(): OutboxEntry[];
  listOutbox(): OutboxEntry[];

  getCursor(mailbox: string): MailboxCursor | undefined;

  /** A console user by name, removed ones included. */
  getUser(name: string): ConsoleUser | undefined;
  listUsers(): ConsoleUser[];

  /** An event by its id (its `webhook-id`). */
  getEvent(id: string): WebhookEvent | undefined;
  /** The events about an order, oldest first (delivered ones older than 7 days are dropped). */
  listOrderEvents(orderId: string): WebhookEvent[];
  /** Events with a delivery still pending, oldest first. */
  listPendingEvents(): WebhookEvent[];

  commit(changes: Changes): Promise<void>;
  /**
   * Asked just before an e-mail is sent: may this process send it now? Unset (the file store, one
   * process): yes. The PostgreSQL store locks the row and checks that this process still holds
   * the lease, so a daemon that lost it, or a second process, sends nothing (SPEC §13).
   */
  claimOutbox?(id: string): Promise<boolean>;
  /**
   * Whether this process may still act (send an e-mail it claimed), by its own clock: the
   * PostgreSQL store says no once its lease has ended. Unset: always.
   */
  mayAct?(): boolean;
  /**
   * Live orders by state and live outbox entries by status, kept as records change: what the
   * console's overview and /metrics show every few seconds, without a pass over every record.
   * Unset: counted from listOrders / listOutbox.
   */
  countRecords?(): { orders: Record<string, number>; outbox: Record<string, number>; pendingEvents?: number };
  /** Resolves when every change committed so far is durable; rejects if the store failed. */
  flush(): Promise<void>;
  /** Writes everything pending and releases files. */
  close(): Promise<void>;
}
