/**
 * What ties a message to an order (SPEC §3 rule 4, §11), tried the way a fraudster would: only
 * the secrets the desk sent to the customer bind a decision, and a carrier's notice reaches only
 * that carrier's own orders. Orders are built by hand; the store is a small view over an array.
 */
import { describe, expect, it } from 'vitest';
import {
  answersCarrierThread,
  bindReply,
  carrierUsesFreeMail,
  customerThreadIds,
  findCarrierOrders,
  isCarrierOf,
  type BindingView,
  type CarrierView,
} from '../../src/domain/binding.js';
import type { PortOrder, Verification } from '../../src/domain/records.js';
import type { OrderRefs } from '../../src/mail/find-order-refs.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const AT = '2026-03-02T15:00:00.000Z';
const NORTHWIND = { name: 'Northwind Telecom', email: 'lnp@northwind.example.test' };
const SUMMIT = { name: 'Summit Voice', email: 'porting@summitvoice.example.test' };
/** A small carrier whose LNP desk is a Fastmail mailbox. */
const BLUEJAY = { name: 'Bluejay Mobile', email: 'bluejay.lnp@fastmail.com' };

function verification(over: Partial<Verification> = {}): Verification {
  return {
    sentTo: 'dana@harbordental.example.test',
    sentAt: AT,
    expiresAt: '2026-03-05T15:00:00.000Z',
    messageId: 'verify-1.5f0c2a9e@desk.example.test',
    clarifications: 0,
    ...over,
  };
}

function order(id: string, over: Partial<PortOrder> = {}): PortOrder {
  return {
    id,
    token: `tok${id.slice(3).toLowerCase()}qz7mw4`,
    state: 'pending_verification',
    accountId: 'ACC-1001',
    dids: ['+12065550100'],
    carrier: { ...NORTHWIND, pon: `PON-${id}` },
    provided: {},
    requestKey: `${NORTHWIND.email}|PON-${id}`,
    sourceMessageIds: [`${id.toLowerCase()}@northwind.example.test`],
    createdAt: AT,
    updatedAt: AT,
    history: [{ at: AT, event: 'received' }],
    ...over,
  };
}

/** A store's look-ups over an array; the customer-message index knows exactly the customer e-mails. */
class OrdersView implements BindingView, CarrierView {
  readonly lookups: string[] = [];

  constructor(readonly orders: PortOrder[]) {}

  findOrderByToken(token: string): PortOrder | undefined {
    this.lookups.push(`token:${token}`);
    return this.orders.find((o) => o.token === token);
  }
  findOrderByCustomerMessageId(messageId: string): PortOrder | undefined {
    this.lookups.push(`message:${messageId}`);
    return this.orders.find((o) => o.verification?.messageId === messageId || (o.verification?.followUpIds ?? []).includes(messageId));
  }
  getOrder(id: string): PortOrder | undefined {
    return this.orders.find((o) => o.id === id);
  }
  listOpenOrders(): PortOrder[] {
    return this.orders.filter((o) => ['received', 'pending_verification', 'approved'].includes(o.state));
  }
  openOrdersForDid(did: string): PortOrder[] {
    return this.listOpenOrders().filter((o) => o.dids.includes(did));
  }
}

/** A store whose message index is too wide: it also answers for the desk's e-mails to the carrier. */
class LeakyView extends OrdersView {
  override findOrderByCustomerMessageId(messageId: string): PortOrder | undefined {
    return super.findOrderByCustomerMessageId(messageId) ?? this.orders.find((o) => (o.carrierMessageIds ?? []).includes(messageId));
  }
}

const secrets = (over: { tokens?: string[]; threadIds?: string[] }) => ({ tokens: [], threadIds: [], ...over });

// ---------------------------------------------------------------------------------------------
// Customer replies

describe('customerThreadIds', () => {
  it('lists the verification, reminder and clarification Message-IDs, and nothing sent to the carrier', () => {
    const o = order('PO-7K3F9Q', {
      verification: verification({ messageId: 'verify@desk.test', followUpIds: ['remind@desk.test', 'clarify@desk.test'] }),
      carrierMessageIds: ['ack@desk.test'],
    });
    expect(customerThreadIds(o)).toEqual(['verify@desk.test', 'remind@desk.test', 'clarify@desk.test']);
  });

  it('is empty before a verification was sent', () => {
    expect(customerThreadIds(order('PO-7K3F9Q', { carrierMessageIds: ['ack@desk.test'] }))).toEqual([]);
  });
});

describe('bindReply', () => {
  const verified = order('PO-7K3F9Q', {
    token: 'k7m2q9xr4t8wbc3',
    verification: verification({ messageId: 'verify-a@desk.test', followUpIds: ['remind-a@desk.test', 'clarify-a@desk.test'] }),
    carrierMessageIds: ['ack-a@desk.test', 'foc-a@desk.test'],
  });
  const other = order('PO-2B8D4N', {
    token: 'p3v9n5hs2d7kef8',
    verification: verification({ messageId: 'verify-b@desk.test' }),
  });

  it('binds by the reply-address token', () => {
    const view = new OrdersView([verified, other]);
    expect(bindReply(secrets({ tokens: ['k7m2q9xr4t8wbc3'] }), view)).toEqual({ kind: 'bound', order: verified, via: 'reply-address token' });
  });

  it('binds by the token written in capitals (a mail client may upper-case the address)', () => {
    const view = new OrdersView([verified, other]);
    expect(bindReply(secrets({ tokens: ['K7M2Q9XR4T8WBC3'] }), view)).toEqual({ kind: 'bound', order: verified, via: 'reply-address token' });
  });

  it.each([
    ['the verification', 'verify-a@desk.test'],
    ['the reminder', 'remind-a@desk.test'],
    ['the "please answer clearly" e-mail', 'clarify-a@desk.test'],
  ])('binds by threading headers naming %s', (_what, messageId) => {
    const view = new OrdersView([verified, other]);
    expect(bindReply(secrets({ threadIds: ['unrelated@elsewhere.test', messageId] }), view)).toEqual({
      kind: 'bound',
      order: verified,
      via: 'threading headers',
    });
  });

  it('binds by token and thread of the same order, saying both', () => {
    const view = new OrdersView([verified, other]);
    expect(bindReply(secrets({ tokens: ['k7m2q9xr4t8wbc3'], threadIds: ['remind-a@desk.test'] }), view)).toEqual({
      kind: 'bound',
      order: verified,
      via: 'reply-address token and threading headers',
    });
  });

  it('does not bind by the Message-ID of an e-mail to the carrier, even when the store returns the order for it', () => {
    const view = new LeakyView([verified, other]);
    expect(view.findOrderByCustomerMessageId('ack-a@desk.test')).toBe(verified);
    expect(bindReply(secrets({ threadIds: ['ack-a@desk.test', 'foc-a@desk.test'] }), view)).toEqual({ kind: 'unbound' });
  });

  it('does not bind by the order id, and does not even look it up', () => {
    const view = new OrdersView([verified, other]);
    // What a reply naming only "[PO-7K3F9Q]" in its subject yields.
    const refs: OrderRefs = { orderIds: [verified.id], tokens: [], threadIds: [] };
    expect(bindReply(refs, view)).toEqual({ kind: 'unbound' });
    expect(view.lookups).toEqual([]);
  });

  it('is ambiguous when it carries the token of one order and the thread of another', () => {
    const view = new OrdersView([verified, other]);
    const binding = bindReply(secrets({ tokens: ['k7m2q9xr4t8wbc3'], threadIds: ['verify-b@desk.test'] }), view);
    expect(binding.kind).toBe('ambiguous');
    expect(binding.kind === 'ambiguous' && binding.orders.map((o) => o.id).sort()).toEqual(['PO-2B8D4N', 'PO-7K3F9Q']);
  });

  it('is ambiguous when it carries the tokens of two orders', () => {
    const view = new OrdersView([verified, other]);
    const binding = bindReply(secrets({ tokens: ['k7m2q9xr4t8wbc3', 'p3v9n5hs2d7kef8'] }), view);
    expect(binding.kind === 'ambiguous' && binding.orders.map((o) => o.id).sort()).toEqual(['PO-2B8D4N', 'PO-7K3F9Q']);
  });

  it('is unbound when no token or thread id matches', () => {
    const view = new OrdersView([verified, other]);
    expect(bindReply(secrets({ tokens: ['zzzzzzzzzzzzzzz'], threadIds: ['someone-else@mail.test'] }), view)).toEqual({ kind: 'unbound' });
    expect(bindReply(secrets({}), view)).toEqual({ kind: 'unbound' });
  });
});

// ---------------------------------------------------------------------------------------------
// Carriers

describe('carrierUsesFreeMail', () => {
  it.each([
    ['a free-mail mailbox (fastmail.com)', 'bluejay.lnp@fastmail.com', true],
    ['a free-mail mailbox (gmail.com), in capitals', 'Porting.Desk@GMAIL.COM', true],
    ["the carrier's own domain", 'lnp@northwind.example.test', false],
  ])('%s, %s → %s', (_what, email, expected) => {
    expect(carrierUsesFreeMail(order('PO-7K3F9Q', { carrier: { name: 'C', email } }))).toBe(expected);
  });
});

describe('isCarrierOf', () => {
  const northwindOrder = order('PO-7K3F9Q');
  const bluejayOrder = order('PO-2B8D4N', { carrier: BLUEJAY });

  it.each([
    ['its exact address', 'lnp@northwind.example.test', true, northwindOrder],
    ['its exact address in other case and with spaces', '  LNP@Northwind.Example.Test ', true, northwindOrder],
    ['another address at its own domain', 'noreply-notices@northwind.example.test', true, northwindOrder],
    ['an address at another domain', 'porting@summitvoice.example.test', false, northwindOrder],
    ['a lookalike domain that only begins with its domain', 'lnp@northwind.example.test.evil.test', false, northwindOrder],
    ['a free-mail address', 'lnp@gmail.com', false, northwindOrder],
    ['free-mail carrier: its exact address', 'bluejay.lnp@fastmail.com', true, bluejayOrder],
    ['free-mail carrier: its exact address in capitals', 'Bluejay.LNP@Fastmail.com', true, bluejayOrder],
    ['free-mail carrier: another user of the same free-mail domain', 'mallory@fastmail.com', false, bluejayOrder],
  ])('%s (%s) → %s', (_what, sender, expected, o) => {
    expect(isCarrierOf(o, sender)).toBe(expected);
  });
});

describe('answersCarrierThread', () => {
  const o = order('PO-7K3F9Q', {
    verification: verification({ messageId: 'verify-a@desk.test' }),
    carrierMessageIds: ['ack-a@desk.test', 'foc-a@desk.test'],
  });

  it("is true when any thread id is one of the desk's e-mails to the carrier", () => {
    expect(answersCarrierThread(o, ['first@carrier.test', 'foc-a@desk.test'])).toBe(true);
  });

  it("is false for the customer's verification thread, foreign ids, or no ids", () => {
    expect(answersCarrierThread(o, ['verify-a@desk.test'])).toBe(false);
    expect(answersCarrierThread(o, ['ack-b@desk.test'])).toBe(false);
    expect(answersCarrierThread(o, [])).toBe(false);
  });

  it('is false for an order with no e-mails to the carrier recorded', () => {
    expect(answersCarrierThread(order('PO-2B8D4N'), ['ack-a@desk.test'])).toBe(false);
  });
});

describe('findCarrierOrders', () => {
  const SENDER = NORTHWIND.email;
  const nwA = order('PO-AAAAA1', { dids: ['+12065550100', '+12065550101'], carrier: { ...NORTHWIND, pon: 'NW-1001' } });
  const nwB = order('PO-BBBBB2', { dids: ['+12065550102'], carrier: { ...NORTHWIND, pon: 'NW-1002' } });
  const nwShared1 = order('PO-CCCCC3', { dids: ['+12065550200'], carrier: { ...NORTHWIND, pon: 'NW-2001' } });
  const nwShared2 = order('PO-DDDDD4', { dids: ['+12065550200'], carrier: { ...NORTHWIND, pon: 'NW-2002' } });
  const nwDone = order('PO-EEEEE5', { state: 'completed', dids: ['+12065550300'], carrier: { ...NORTHWIND, pon: 'NW-3001' } });
  const summit = order('PO-FFFFF6', { dids: ['+12065550400'], carrier: { ...SUMMIT, pon: 'NW-1001' } });
  const view = new OrdersView([nwA, nwB, nwShared1, nwShared2, nwDone, summit]);

  const ids = (list: PortOrder[]) => list.map((o) => o.id);

  it('finds orders by id, splitting those of another carrier into foreign', () => {
    const found = findCarrierOrders({ orderIds: ['PO-AAAAA1', 'PO-FFFFF6'], dids: [] }, SENDER, view);
    expect(ids(found.orders)).toEqual(['PO-AAAAA1']);
    expect(ids(found.foreign)).toEqual(['PO-FFFFF6']);
  });

  it('finds its own finished order by id (a late notice still names it)', () => {
    const found = findCarrierOrders({ orderIds: ['PO-EEEEE5'], dids: [] }, SENDER, view);
    expect(ids(found.orders)).toEqual(['PO-EEEEE5']);
    expect(found.foreign).toEqual([]);
  });

  it('lets an order id win over a PON and numbers naming other orders', () => {
    const found = findCarrierOrders({ orderIds: ['PO-BBBBB2'], pon: 'NW-1001', dids: ['+12065550100'] }, SENDER, view);
    expect(ids(found.orders)).toEqual(['PO-BBBBB2']);
  });

  it('falls back to the PON when the order ids name no order at all', () => {
    const found = findCarrierOrders({ orderIds: ['PO-ZZZZZ9'], pon: 'NW-1002', dids: [] }, SENDER, view);
    expect(ids(found.orders)).toEqual(['PO-BBBBB2']);
  });

  it("finds by PON among this carrier's open orders only (another carrier's equal PON is not reached)", () => {
    const found = findCarrierOrders({ orderIds: [], pon: ' nw-1001 ', dids: [] }, SENDER, view);
    expect(ids(found.orders)).toEqual(['PO-AAAAA1']);
    expect(found.foreign).toEqual([]);
    expect(ids(findCarrierOrders({ orderIds: [], pon: 'NW-1001', dids: [] }, SUMMIT.email, view).orders)).toEqual(['PO-FFFFF6']);
  });

  it('does not find a finished order by its PON', () => {
    expect(findCarrierOrders({ orderIds: [], pon: 'NW-3001', dids: [] }, SENDER, view).orders).toEqual([]);
  });

  it('finds by number when the carrier has exactly one open order on it', () => {
    const found = findCarrierOrders({ orderIds: [], dids: ['+12065550101', '+12065550102'] }, SENDER, view);
    expect(ids(found.orders).sort()).toEqual(['PO-AAAAA1', 'PO-BBBBB2']);
  });

  it('names each order once when several of its numbers are given', () => {
    const found = findCarrierOrders({ orderIds: [], dids: ['+12065550100', '+12065550101'] }, SENDER, view);
    expect(ids(found.orders)).toEqual(['PO-AAAAA1']);
  });

  it('finds nothing by a number on which the carrier has two open orders', () => {
    expect(findCarrierOrders({ orderIds: [], dids: ['+12065550200'] }, SENDER, view).orders).toEqual([]);
  });

  it("never reaches another carrier's order by number", () => {
    const found = findCarrierOrders({ orderIds: [], dids: ['+12065550400'] }, SENDER, view);
    expect(found).toEqual({ orders: [], foreign: [] });
  });

  it('does not find a finished order by number', () => {
    expect(findCarrierOrders({ orderIds: [], dids: ['+12065550300'] }, SENDER, view).orders).toEqual([]);
  });

  it('reaches a free-mail carrier\'s order only from its exact address', () => {
    const bluejay = order('PO-GGGGG7', { dids: ['+12065550500'], carrier: { ...BLUEJAY, pon: 'BJ-1' } });
    const v = new OrdersView([bluejay]);
    expect(ids(findCarrierOrders({ orderIds: [], pon: 'BJ-1', dids: ['+12065550500'] }, BLUEJAY.email, v).orders)).toEqual(['PO-GGGGG7']);
    expect(findCarrierOrders({ orderIds: [], pon: 'BJ-1', dids: ['+12065550500'] }, 'mallory@fastmail.com', v).orders).toEqual([]);
    expect(ids(findCarrierOrders({ orderIds: ['PO-GGGGG7'], dids: [] }, 'mallory@fastmail.com', v).foreign)).toEqual(['PO-GGGGG7']);
  });
});
