/**
 * Which events a change tells the provider's other systems (SPEC §14): new orders, state moves,
 * messages newly parked in Review, e-mails newly failed — and never a secret in the data.
 */
import { describe, expect, it } from 'vitest';
import type { InboundEntry, OrderState, OutboxEntry, PortOrder } from '../../src/domain/records.js';
import { eventsOfChange as eventsOf, orderData, type ChangedRecords, type EventBefore } from '../../src/domain/webhook-events.js';
import { makeInbound, makeOrder, makeOutbox, T0 } from '../adapters/store-records.js';

const CONSOLE = 'https://desk.example.test';
const LATER = new Date(T0.getTime() + 60_000).toISOString();

/** The Review item's id as the caller names it (the desk: a digest of the key); here a readable stand-in. */
const reviewIdOf = (key: string) => `R-${key.replace(/[^a-z0-9]/gi, '').slice(0, 10)}`;

function eventsOfChange(b: EventBefore, changes: ChangedRecords, consoleUrl?: string) {
  return eventsOf(b, changes, { ...(consoleUrl ? { consoleUrl } : {}), reviewIdOf });
}

/** What the store held before the change. */
function before(records: { orders?: PortOrder[]; inbound?: InboundEntry[]; outbox?: OutboxEntry[] } = {}): EventBefore {
  const orders = new Map((records.orders ?? []).map((o) => [o.id, o]));
  const inbound = new Map((records.inbound ?? []).map((i) => [i.key, i]));
  const outbox = new Map((records.outbox ?? []).map((e) => [e.id, e]));
  return { getOrder: (id) => orders.get(id), getInbound: (key) => inbound.get(key), getOutbox: (id) => outbox.get(id) };
}

/** An order with a verification carrying follow-up Message-IDs (secrets that must not leave). */
function secretOrder(over: Partial<PortOrder> = {}): PortOrder {
  const o = makeOrder(1, over);
  return {
    ...o,
    verification: { ...o.verification!, followUpIds: ['reminder-1@desk.example.test', 'clarify-1@desk.example.test'], reminderSentAt: LATER },
  };
}

function expectNoSecrets(data: unknown, order: PortOrder): void {
  const json = JSON.stringify(data);
  expect(json).not.toContain(order.token);
  if (order.verification) {
    expect(json).not.toContain(order.verification.messageId);
    for (const id of order.verification.followUpIds ?? []) expect(json).not.toContain(id);
  }
}

describe('eventsOfChange: orders', () => {
  it('tells a new order as order.received (state received) and then the event of the state it was made in', () => {
    const order = makeOrder(1, { state: 'pending_verification' });
    const events = eventsOfChange(before(), { orders: [order] });
    expect(events.map((e) => e.type)).toEqual(['order.received', 'order.verification_sent']);
    expect(events[0]!.orderId).toBe(order.id);
    expect(events[0]!.data['state']).toBe('received');
    expect(events[1]!.orderId).toBe(order.id);
    expect(events[1]!.data['state']).toBe('pending_verification');
  });

  it('tells a new order left in received once', () => {
    const order = makeOrder(1, { state: 'received' });
    const { verification: _v, ...noVerification } = order;
    const events = eventsOfChange(before(), { orders: [noVerification] });
    expect(events.map((e) => e.type)).toEqual(['order.received']);
    expect(events[0]!.data['state']).toBe('received');
    expect(events[0]!.data).not.toHaveProperty('verification');
  });

  const moves: [OrderState, string][] = [
    ['approved', 'order.approved'],
    ['rejected', 'order.rejected'],
    ['completed', 'order.completed'],
    ['canceled', 'order.canceled'],
  ];
  for (const [state, type] of moves) {
    it(`tells a move to ${state} as ${type}, once`, () => {
      const prev = makeOrder(1, { state: 'pending_verification' });
      const next: PortOrder = {
        ...prev,
        state,
        updatedAt: LATER,
        ...(state === 'completed' ? { completedAt: LATER } : {}),
        ...(state === 'rejected' || state === 'canceled'
          ? { decision: { by: state === 'rejected' ? 'customer' : 'carrier', at: LATER, reasonCodes: ['CUSTOMER_REJECTED'] } }
          : {}),
      };
      const events = eventsOfChange(before({ orders: [prev] }), { orders: [next] });
      expect(events).toHaveLength(1);
      expect(events[0]!.type).toBe(type);
      expect(events[0]!.orderId).toBe(prev.id);
      expect(events[0]!.data['state']).toBe(state);
      expect(events[0]!.data['updatedAt']).toBe(LATER);
    });
  }

  it('tells a move from received to pending_verification as order.verification_sent', () => {
    const prev = makeOrder(1, { state: 'received' });
    const events = eventsOfChange(before({ orders: [prev] }), { orders: [{ ...prev, state: 'pending_verification', updatedAt: LATER }] });
    expect(events.map((e) => e.type)).toEqual(['order.verification_sent']);
    expect(events[0]!.data['verification']).toEqual({ sentAt: prev.verification!.sentAt, expiresAt: prev.verification!.expiresAt });
  });

  it('carries the rejection reason codes and who decided', () => {
    const prev = makeOrder(1);
    const next: PortOrder = {
      ...prev,
      state: 'rejected',
      updatedAt: LATER,
      decision: { by: 'auto-match', at: LATER, reasonCodes: ['NAME_MISMATCH', 'ZIP_MISMATCH'] },
    };
    const [event] = eventsOfChange(before({ orders: [prev] }), { orders: [next] });
    expect(event!.type).toBe('order.rejected');
    expect(event!.data['reasonCodes']).toEqual(['NAME_MISMATCH', 'ZIP_MISMATCH']);
    expect(event!.data['decidedBy']).toBe('auto-match');
  });

  it('tells nothing of an update that keeps the state', () => {
    const prev = makeOrder(1, { state: 'pending_verification' });
    const next: PortOrder = { ...prev, updatedAt: LATER, history: [...prev.history, { at: LATER, event: 'reminder_sent' }] };
    expect(eventsOfChange(before({ orders: [prev] }), { orders: [next] })).toEqual([]);
  });

  it('tells an order listed twice in one change by its last version', () => {
    const prev = makeOrder(1, { state: 'pending_verification' });
    const events = eventsOfChange(before({ orders: [prev] }), {
      orders: [{ ...prev, state: 'approved' }, { ...prev, state: 'completed', completedAt: LATER }],
    });
    expect(events.map((e) => e.type)).toEqual(['order.completed']);
  });

  it('tells one event per order when several orders change in one commit', () => {
    const a = makeOrder(1);
    const b = makeOrder(2);
    const events = eventsOfChange(before({ orders: [a, b] }), { orders: [{ ...a, state: 'approved' }, { ...b, state: 'canceled' }] });
    expect(events.map((e) => [e.type, e.orderId])).toEqual([
      ['order.approved', a.id],
      ['order.canceled', b.id],
    ]);
  });
});

describe('eventsOfChange: Review and failed e-mails', () => {
  it('tells review.created when an inbound entry newly goes to Review', () => {
    const entry = makeInbound('<req-1@northwind.example.test>', { outcome: 'review', reason: 'no account owns the numbers', reviewReason: 'UNKNOWN_SENDER', orderIds: ['PO-000001'] });
    const events = eventsOfChange(before(), { inbound: [entry] });
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe('review.created');
    expect(events[0]!.orderId).toBe('PO-000001');
    expect(events[0]!.data).toMatchObject({ reviewReason: 'UNKNOWN_SENDER', id: reviewIdOf(entry.key), messageId: entry.key, kind: 'port_request', reason: 'no account owns the numbers', orderIds: ['PO-000001'], at: entry.at, from: entry.from });
  });

  it('tells review.created for an entry that was processed before and is parked now', () => {
    const prev = makeInbound('<m@x.test>', { outcome: 'deferred' });
    const events = eventsOfChange(before({ inbound: [prev] }), { inbound: [{ ...prev, outcome: 'review', reason: 'unclear' }] });
    expect(events.map((e) => e.type)).toEqual(['review.created']);
    expect(events[0]).not.toHaveProperty('orderId');
  });

  it('tells nothing when an entry already in Review is saved again in Review', () => {
    const prev = makeInbound('<m@x.test>', { outcome: 'review', reason: 'unclear' });
    const again = { ...prev, alert: 'sent' as const };
    expect(eventsOfChange(before({ inbound: [prev] }), { inbound: [again] })).toEqual([]);
  });

  it('tells nothing of an inbound entry that is processed or ignored', () => {
    const changes = { inbound: [makeInbound('<a@x.test>', { outcome: 'processed' }), makeInbound('<b@x.test>', { outcome: 'ignored' })] };
    expect(eventsOfChange(before(), changes)).toEqual([]);
  });

  it('masks the secrets in a subject and a reason', () => {
    const subject = 'Re: verify porting+k3jH8sPq2LmN4xYz@desk.example.test https://desk.example.test/v/PO-ABC123.s1gNaTuRe_x-y';
    const entry = makeInbound('<m@x.test>', { outcome: 'review', subject, reason: `quoted porting+k3jH8sPq2LmN4xYz@desk.example.test` });
    const [event] = eventsOfChange(before(), { inbound: [entry] });
    const json = JSON.stringify(event!.data);
    expect(json).not.toContain('k3jH8sPq2LmN4xYz');
    expect(json).not.toContain('s1gNaTuRe');
    expect(event!.data['subject']).toBe('Re: verify porting+…@desk.example.test https://desk.example.test/v/…');
    expect(event!.data['reason']).toBe('quoted porting+…@desk.example.test');
  });

  it('tells outbox.failed only on the change to failed', () => {
    const queued = makeOutbox('out-1', { orderId: 'PO-000001', attempts: 4, lastError: 'still down' });
    const failed: OutboxEntry = { ...queued, status: 'failed', attempts: 5, lastError: '550 mailbox unavailable' };
    const events = eventsOfChange(before({ outbox: [queued] }), { outbox: [failed] });
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe('outbox.failed');
    expect(events[0]!.orderId).toBe('PO-000001');
    expect(events[0]!.data).toEqual({ id: 'out-1', template: 'verification', to: ['dana1@example.test'], orderId: 'PO-000001', attempts: 5, lastError: '550 mailbox unavailable' });
    // Saved again as failed, or retried and still queued: nothing new.
    expect(eventsOfChange(before({ outbox: [failed] }), { outbox: [{ ...failed, attempts: 6 }] })).toEqual([]);
    expect(eventsOfChange(before({ outbox: [queued] }), { outbox: [{ ...queued, attempts: 5 }] })).toEqual([]);
    expect(eventsOfChange(before(), { outbox: [makeOutbox('out-2', { status: 'sent' })] })).toEqual([]);
  });

  it('tells an e-mail queued and failed in the same change (never stored before)', () => {
    const events = eventsOfChange(before(), { outbox: [makeOutbox('out-3', { status: 'failed' })] });
    expect(events.map((e) => e.type)).toEqual(['outbox.failed']);
    expect(events[0]).not.toHaveProperty('orderId');
  });

  it('never puts an e-mail\'s text, subject or Message-ID in the data', () => {
    const entry = makeOutbox('out-4', { status: 'failed', orderId: 'PO-000001', text: 'secret body porting+k3jH8sPq2LmN4xYz@', subject: 'secret subject' });
    const [event] = eventsOfChange(before(), { outbox: [entry] }, CONSOLE);
    const json = JSON.stringify(event!.data);
    expect(json).not.toContain('secret body');
    expect(json).not.toContain('secret subject');
    expect(json).not.toContain(entry.messageId);
  });
});

describe('event data: no secrets, links only with a console', () => {
  it('never carries the order token, the verification Message-ID or its follow-up ids', () => {
    const order = secretOrder();
    const events = eventsOfChange(before(), { orders: [order] }, CONSOLE);
    expect(events).toHaveLength(2);
    for (const e of events) expectNoSecrets(e.data, order);
    expectNoSecrets(orderData(order, CONSOLE), order);
    // What is safe of the verification goes out.
    expect(orderData(order)['verification']).toEqual({ sentAt: order.verification!.sentAt, expiresAt: order.verification!.expiresAt, reminderSentAt: LATER });
    // Nor what the carrier gave or the order's history.
    expect(orderData(order)).not.toHaveProperty('provided');
    expect(orderData(order)).not.toHaveProperty('history');
    expect(orderData(order)).not.toHaveProperty('token');
  });

  it('orderData: the fields a ticketing system acts on', () => {
    const order = makeOrder(1, { focDate: '2026-03-12' });
    expect(orderData(order)).toEqual({
      id: order.id,
      state: 'pending_verification',
      accountId: order.accountId,
      dids: order.dids,
      carrier: { name: 'Northwind Mobile', email: 'ports@northwind.example.test', pon: 'PON-1' },
      reasonCodes: [],
      requestedDate: '2026-03-10',
      focDate: '2026-03-12',
      verification: { sentAt: order.verification!.sentAt, expiresAt: order.verification!.expiresAt },
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
    });
  });

  it('links to the order, the Review item and the failed e-mail\'s order only with a console URL', () => {
    const order = makeOrder(1);
    const review = makeInbound('<a b@x.test>', { outcome: 'review', reason: 'unclear' });
    const failed = makeOutbox('out-1', { status: 'failed', orderId: order.id });
    const failedNoOrder = makeOutbox('out-2', { status: 'failed' });
    const changes = { orders: [order], inbound: [review], outbox: [failed, failedNoOrder] };

    const withConsole = eventsOfChange(before(), changes, CONSOLE);
    expect(withConsole.map((e) => [e.type, e.data['link']])).toEqual([
      ['order.received', `${CONSOLE}/orders/${order.id}`],
      ['order.verification_sent', `${CONSOLE}/orders/${order.id}`],
      ['review.created', `${CONSOLE}/review/${reviewIdOf(review.key)}`],
      ['outbox.failed', `${CONSOLE}/orders/${order.id}`],
      ['outbox.failed', undefined],
    ]);
    expect(withConsole[4]!.data).not.toHaveProperty('link');

    for (const e of eventsOfChange(before(), changes)) expect(e.data).not.toHaveProperty('link');
  });
});
