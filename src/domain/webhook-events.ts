/**
 * Which events a change tells the provider's other systems (SPEC §14), read from the records a
 * commit writes and what the store held before it: an order that is new, or whose state moved; a
 * message newly parked in Review; an e-mail newly failed. Pure: the caller gives the records, the
 * ids and the time, and writes the events in the same commit as the change.
 *
 * Nothing secret goes out: never an order's token, a verification's Message-ID or an e-mail's
 * text (they bind the customer's answer); a subject is masked as everywhere else.
 */
import type { InboundEntry, OrderState, OutboxEntry, PortOrder, WebhookEvent, WebhookEventType } from './records.js';
import { maskSecrets } from './secret-text.js';

/** The event a state is entered with; `received` is told when the order is made. */
const EVENT_OF_STATE: Record<OrderState, WebhookEventType | undefined> = {
  received: undefined,
  pending_verification: 'order.verification_sent',
  approved: 'order.approved',
  rejected: 'order.rejected',
  completed: 'order.completed',
  canceled: 'order.canceled',
};

export interface EventBefore {
  getOrder(id: string): PortOrder | undefined;
  getInbound(key: string): InboundEntry | undefined;
  getOutbox(id: string): OutboxEntry | undefined;
}

export interface ChangedRecords {
  orders?: readonly PortOrder[];
  inbound?: readonly InboundEntry[];
  outbox?: readonly OutboxEntry[];
}

export interface NewEvent {
  type: WebhookEventType;
  orderId?: string;
  data: Record<string, unknown>;
}

export interface EventNames {
  /** PUBLIC_URL, for the links to the order or the Review item; unset without a console. */
  consoleUrl?: string;
  /** The Review item's id (`R-…`), as the console and `portdesk review` name it. */
  reviewIdOf(key: string): string;
}

export function eventsOfChange(before: EventBefore, changes: ChangedRecords, names: EventNames): NewEvent[] {
  const { consoleUrl } = names;
  const out: NewEvent[] = [];
  for (const order of lastVersions(changes.orders ?? [], (o) => o.id)) {
    const prev = before.getOrder(order.id);
    if (!prev) out.push(orderEvent('order.received', order, consoleUrl));
    if (prev?.state === order.state) continue;
    const type = EVENT_OF_STATE[order.state];
    if (type) out.push(orderEvent(type, order, consoleUrl));
  }
  for (const entry of lastVersions(changes.inbound ?? [], (i) => i.key)) {
    if (entry.outcome !== 'review' || before.getInbound(entry.key)?.outcome === 'review') continue;
    out.push({ type: 'review.created', ...(entry.orderIds[0] ? { orderId: entry.orderIds[0] } : {}), data: reviewData(entry, names) });
  }
  for (const entry of lastVersions(changes.outbox ?? [], (e) => e.id)) {
    if (entry.status !== 'failed' || before.getOutbox(entry.id)?.status === 'failed') continue;
    out.push({ type: 'outbox.failed', ...(entry.orderId ? { orderId: entry.orderId } : {}), data: outboxData(entry, consoleUrl) });
  }
  return out;
}

/** The body's `data` for an order: what a ticketing or inventory system acts on. */
export function orderData(order: PortOrder, consoleUrl?: string): Record<string, unknown> {
  const { name, email, spid, pon } = order.carrier;
  return {
    id: order.id,
    state: order.state,
    accountId: order.accountId,
    dids: order.dids,
    carrier: { name, email, ...(spid ? { spid } : {}), ...(pon ? { pon } : {}) },
    reasonCodes: order.decision?.reasonCodes ?? [],
    ...(order.decision ? { decidedBy: order.decision.by } : {}),
    ...(order.requestedDate ? { requestedDate: order.requestedDate } : {}),
    ...(order.focDate ? { focDate: order.focDate } : {}),
    ...(order.verification
      ? { verification: { sentAt: order.verification.sentAt, expiresAt: order.verification.expiresAt, ...(order.verification.reminderSentAt ? { reminderSentAt: order.verification.reminderSentAt } : {}) } }
      : {}),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    ...(order.completedAt ? { completedAt: order.completedAt } : {}),
    ...(consoleUrl ? { link: `${consoleUrl}/orders/${order.id}` } : {}),
  };
}

function orderEvent(type: WebhookEventType, order: PortOrder, consoleUrl?: string): NewEvent {
  const data = orderData(order, consoleUrl);
  if (type !== 'order.received') return { type, orderId: order.id, data };
  // An order is made and moved on in one commit: its first event tells it as it was received,
  // before any decision (the next event, in the same commit, tells the rest).
  const { decidedBy: _by, focDate: _foc, verification: _v, ...received } = data;
  return { type, orderId: order.id, data: { ...received, state: 'received', reasonCodes: [] } };
}

function reviewData(entry: InboundEntry, { consoleUrl, reviewIdOf }: EventNames): Record<string, unknown> {
  const id = reviewIdOf(entry.key);
  return {
    id,
    messageId: entry.key,
    kind: entry.kind,
    reason: maskSecrets(entry.reason ?? ''),
    ...(entry.reviewReason ? { reviewReason: entry.reviewReason } : {}),
    ...(entry.from ? { from: entry.from } : {}),
    ...(entry.subject ? { subject: maskSecrets(entry.subject) } : {}),
    orderIds: entry.orderIds,
    at: entry.at,
    ...(consoleUrl ? { link: `${consoleUrl}/review/${id}` } : {}),
  };
}

function outboxData(entry: OutboxEntry, consoleUrl?: string): Record<string, unknown> {
  return {
    id: entry.id,
    template: entry.template,
    to: entry.to,
    ...(entry.orderId ? { orderId: entry.orderId } : {}),
    attempts: entry.attempts,
    ...(entry.lastError ? { lastError: maskSecrets(entry.lastError) } : {}),
    ...(consoleUrl && entry.orderId ? { link: `${consoleUrl}/orders/${entry.orderId}` } : {}),
  };
}

/** A record listed twice in one change is written as its last version. */
function lastVersions<T>(list: readonly T[], keyOf: (r: T) => string): T[] {
  if (list.length < 2) return [...list];
  const byKey = new Map<string, T>();
  for (const r of list) byKey.set(keyOf(r), r);
  return [...byKey.values()];
}

/** An event as the console and `orders show` list it: no data, each delivery's state (endpoints masked by `mask`). */
export interface EventView {
  id: string;
  type: WebhookEventType;
  timestamp: string;
  deliveries: { endpoint: string; status: string; attempts: number; lastError?: string; deliveredAt?: string; droppedAt?: string; nextAttemptAt?: string }[];
}

export function eventView(e: WebhookEvent, mask: (url: string) => string): EventView {
  return {
    id: e.id,
    type: e.type,
    timestamp: e.timestamp,
    deliveries: e.deliveries.map((d) => ({
      endpoint: mask(d.endpoint),
      status: d.status,
      attempts: d.attempts,
      ...(d.lastError ? { lastError: d.lastError } : {}),
      ...(d.deliveredAt ? { deliveredAt: d.deliveredAt } : {}),
      ...(d.droppedAt ? { droppedAt: d.droppedAt } : {}),
      ...(d.status === 'pending' ? { nextAttemptAt: d.nextAttemptAt } : {}),
    })),
  };
}
