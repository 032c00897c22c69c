/**
 * The provider's port-out policy (SPEC §3 rules 1–12), rule by rule, through the pure core:
 * intakePortRequest for what arrives from a carrier, transition for everything after. Time is
 * fixed and the desk's calendar is America/New_York, so business days, holidays and deadlines
 * are the ones an operator on the US east coast would expect.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';
import { isEmail, type EmailEffect, type Effect, type AccountEffect } from '../../src/domain/effects.js';
import { intakePortRequest, requestKeyOf, type IntakeRequest } from '../../src/domain/intake.js';
import { MATCH_PRESETS } from '../../src/domain/match-fields.js';
import {
  TRANSITIONS,
  canTransition,
  completionDeadline,
  isExpired,
  isOverdue,
  isReminderDue,
  transition,
  type DeskContext,
  type DeskPolicy,
  type OrderEvent,
  type Outcome,
} from '../../src/domain/order-machine.js';
import type { TransitionName } from '../../src/domain/order-lifecycle.js';
import type { ReasonCode } from '../../src/domain/reason-codes.js';
import {
  FINAL_STATES,
  OPEN_STATES,
  ORDER_STATES,
  type Account,
  type CarrierProvided,
  type OrderState,
  type PortOrder,
} from '../../src/domain/records.js';
import { MemoryStore } from '../support/memory-store.js';
import { bakeryAccount, lockedAccount, matchingProvided, pinAccount, singleNumberAccount } from '../support/sample-accounts.js';
import { SequenceIds } from '../support/sequence-ids.js';
import { testPins } from '../support/test-pins.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const calendar = createCalendar({ timezone: 'America/New_York' });

/** Monday 2 March 2026, 10:00 in New York. */
const T0 = '2026-03-02T15:00:00.000Z';
const HOUR = 3_600_000;
const SUPPORT = 'support@desk.example.test';
const CARRIER = { name: 'Northwind Telecom', email: 'ports@northwind.example.test', pon: 'NW-1001' };
const OTHER_CARRIER = { name: 'Bluefin Voice', email: 'lnp@bluefin.example.test', pon: 'BF-77' };

const basePolicy: DeskPolicy = {
  verificationWindow: { amount: 72, unit: 'h' },
  reminderAfter: { amount: 24, unit: 'h' },
  completionGrace: { amount: 5, unit: 'd' },
  focMinBusinessDays: 1,
  matchFields: MATCH_PRESETS['account-info'],
  supportEmail: SUPPORT,
};

let ids: SequenceIds;
let store: MemoryStore;
let bakery: Account;
let pin: Account;
let locked: Account;
let single: Account;

beforeEach(() => {
  ids = new SequenceIds();
  bakery = bakeryAccount();
  pin = pinAccount();
  locked = lockedAccount();
  single = singleNumberAccount();
  store = new MemoryStore({ accounts: [bakery, pin, locked, single] });
});

function ctxAt(at: string | Date | number, policy: Partial<DeskPolicy> = {}): DeskContext {
  return { now: new Date(at), calendar, policy: { ...basePolicy, ...policy }, ids, pins: testPins };
}

function after(hours: number, from: string = T0): string {
  return new Date(Date.parse(from) + hours * HOUR).toISOString();
}

function request(over: Partial<IntakeRequest> = {}): IntakeRequest {
  return {
    carrier: CARRIER,
    provided: matchingProvided(bakery),
    dids: ['+12065550100'],
    missing: [],
    sourceMessageId: 'req-1@northwind.example.test',
    ...over,
  };
}

/** An e-mail effect whose data a test reads field by field, whatever its template. */
type Mail = Omit<EmailEffect, 'data'> & { data: Record<string, unknown> };

function emails(effects: readonly Effect[]): Mail[] {
  return effects.filter(isEmail).map((e) => e as Mail);
}

function accountChanges(effects: readonly Effect[]): Account[] {
  return effects.filter((e): e is AccountEffect => e.kind === 'account').map((e) => e.account);
}

function only<T>(items: readonly T[], what = 'item'): T {
  expect(items, `exactly one ${what}`).toHaveLength(1);
  return items[0]!;
}

function byTemplate(effects: readonly Effect[], template: EmailEffect['template']): Mail[] {
  return emails(effects).filter((e) => e.template === template);
}

function codesOf(effect: Mail): string[] {
  return (effect.data['reasons'] as { code: string }[]).map((r) => r.code);
}

function lastEvent(order: PortOrder): string {
  return order.history[order.history.length - 1]!.event;
}

/** A new order from one carrier request, decided by intake (normally pending verification). */
function intakeOne(account: Account, over: Partial<IntakeRequest> = {}, at: string = T0) {
  const result = intakePortRequest(request({ provided: matchingProvided(account), dids: [account.dids[0]!.number], ...over }), store, ctxAt(at));
  const order = only(result.created, 'created order');
  return { order, result };
}

/** A bakery order waiting for the customer, verification sent at T0. */
function pendingOrder(over: Partial<IntakeRequest> = {}, account: Account = bakery): PortOrder {
  const { order } = intakeOne(account, over);
  expect(order.state).toBe('pending_verification');
  return order;
}

function apply(order: PortOrder, account: Account, event: OrderEvent, at: string, policy: Partial<DeskPolicy> = {}): Outcome {
  return transition(order, account, event, ctxAt(at, policy));
}

function customerReply(decision: 'approve' | 'reject' | 'unclear', from: string, messageId = 'reply-1@customer.example.test'): OrderEvent {
  return { type: 'customer-reply', decision, from, messageId };
}

/** A bakery order approved by the customer at `at` (verification at T0). */
function approvedOrder(at: string = after(2), over: Partial<IntakeRequest> = {}, account: Account = bakery): PortOrder {
  const order = pendingOrder(over, account);
  const out = apply(order, account, customerReply('approve', account.email), at);
  expect(out.order.state).toBe('approved');
  return out.order;
}

/** An order as it stands before the desk has sent any verification. */
function receivedOrder(): PortOrder {
  return {
    id: 'PO-RCVD22',
    token: 'tknreceivedtoken',
    state: 'received',
    accountId: bakery.id,
    dids: ['+12065550100'],
    carrier: CARRIER,
    provided: matchingProvided(bakery),
    requestKey: requestKeyOf(CARRIER.email, CARRIER.pon, ['+12065550100']),
    sourceMessageIds: ['req-1@northwind.example.test'],
    createdAt: T0,
    updatedAt: T0,
    history: [{ at: T0, event: 'received' }],
  };
}

/** Every account named by created orders was told (rule 12, last sentence). */
function expectCustomerTold(effects: readonly Effect[], account: Account, template: EmailEffect['template']) {
  const told = emails(effects).filter((e) => e.to.includes(account.email));
  expect(told.map((e) => e.template)).toContain(template);
}

// ---------------------------------------------------------------------------------------------

describe('rule 1: one order per account, unknown numbers rejected on their own', () => {
  it('splits a request over two accounts into two orders and rejects the number on no account with TN_NOT_FOUND', () => {
    const result = intakePortRequest(
      request({ dids: ['+12065550100', '+16085550130', '+12065550199', '+12065550101'] }),
      store,
      ctxAt(T0),
    );

    expect(result.created).toHaveLength(2);
    const bakeryOrder = result.created.find((o) => o.accountId === bakery.id)!;
    const singleOrder = result.created.find((o) => o.accountId === single.id)!;
    expect(bakeryOrder.dids).toEqual(['+12065550100', '+12065550101']);
    expect(singleOrder.dids).toEqual(['+16085550130']);
    expect(bakeryOrder.id).not.toBe(singleOrder.id);
    expect(bakeryOrder.token).not.toBe(singleOrder.token);
    for (const o of result.created) {
      expect(o.state).toBe('pending_verification');
      expect(o.history.map((h) => h.event)).toEqual(['received', 'verification-sent']);
      expect(o.sourceMessageIds).toEqual(['req-1@northwind.example.test']);
      expect(o.dids).not.toContain('+12065550199');
    }
    expect(result.unknownNumbers).toEqual(['+12065550199']);

    // The acknowledgement comes first and names both orders and the number that is not ours.
    const [first] = emails(result.effects);
    expect(first!.template).toBe('carrier-acknowledgement');
    expect(first!.to).toEqual([CARRIER.email]);
    expect(first!.inReplyTo).toBe('req-1@northwind.example.test');
    expect(first!.autoSubmitted).toBe('auto-replied');
    const orders = first!.data['orders'] as { id: string; numbers: string[] }[];
    expect(orders.map((o) => o.id).sort()).toEqual([bakeryOrder.id, singleOrder.id].sort());
    expect(orders.find((o) => o.id === bakeryOrder.id)!.numbers).toEqual(['(206) 555-0100', '(206) 555-0101']);
    expect(first!.data['rejectedNumbers']).toEqual([expect.objectContaining({ number: '(206) 555-0199', code: 'TN_NOT_FOUND' })]);

    // The unknown number gets its own rejection to the carrier.
    const rejection = only(byTemplate(result.effects, 'carrier-rejection'), 'carrier rejection');
    expect(rejection.to).toEqual([CARRIER.email]);
    expect(rejection.data['numbers']).toEqual(['(206) 555-0199']);
    expect(codesOf(rejection)).toEqual(['TN_NOT_FOUND']);

    // Each account holder is asked about their own numbers only.
    const verifications = byTemplate(result.effects, 'customer-verification');
    expect(verifications.map((v) => v.to)).toEqual(expect.arrayContaining([[bakery.email], [single.email]]));
    expect(verifications).toHaveLength(2);
    const toBakery = verifications.find((v) => v.to[0] === bakery.email)!;
    expect(toBakery.orderId).toBe(bakeryOrder.id);
    expect(toBakery.data['numbers']).toEqual(['(206) 555-0100', '(206) 555-0101']);
  });

  it('creates no order when every number is on no account, and tells the carrier which with TN_NOT_FOUND', () => {
    const result = intakePortRequest(request({ dids: ['+12065550198', '+12065550199'] }), store, ctxAt(T0));

    expect(result.created).toEqual([]);
    expect(result.unknownNumbers).toEqual(['+12065550198', '+12065550199']);
    const rejection = only(emails(result.effects), 'e-mail');
    expect(rejection.template).toBe('carrier-rejection');
    expect(rejection.to).toEqual([CARRIER.email]);
    expect(rejection.data['numbers']).toEqual(['(206) 555-0198', '(206) 555-0199']);
    expect(codesOf(rejection)).toEqual(['TN_NOT_FOUND']);
  });

  it('answers a request without any number with MISSING_INFORMATION naming what is missing, and creates no order', () => {
    const result = intakePortRequest(request({ dids: [], missing: ['telephone numbers'] }), store, ctxAt(T0));

    expect(result.created).toEqual([]);
    const rejection = only(emails(result.effects), 'e-mail');
    expect(rejection.template).toBe('carrier-rejection');
    expect(rejection.to).toEqual([CARRIER.email]);
    expect(codesOf(rejection)).toEqual(['MISSING_INFORMATION']);
    expect(rejection.data['missing']).toEqual(['telephone numbers']);
  });
});

describe('rule 2: verification only to the e-mail on file; one reminder', () => {
  it('sends the verification to the account e-mail only, with numbers, carrier, date and a deadline of now + VERIFICATION_WINDOW', () => {
    const { order, result } = intakeOne(bakery, { requestedDate: '2026-03-20', dids: ['+12065550100', '+12065550101'] });

    expect(order.state).toBe('pending_verification');
    expect(lastEvent(order)).toBe('verification-sent');
    expect(order.verification).toMatchObject({
      sentTo: bakery.email,
      sentAt: T0,
      expiresAt: '2026-03-05T15:00:00.000Z',
      clarifications: 0,
    });
    expect(order.verification!.reminderSentAt).toBeUndefined();

    const verification = only(byTemplate(result.effects, 'customer-verification'), 'verification');
    expect(verification.to).toEqual([bakery.email]);
    expect(verification.cc ?? []).toEqual([]);
    expect(verification.orderId).toBe(order.id);
    expect(verification.messageId).toBe(order.verification!.messageId);
    expect(verification.replyToToken).toBe(order.token);
    expect(verification.autoSubmitted).toBe('auto-generated');
    expect(verification.data).toMatchObject({
      numbers: ['(206) 555-0100', '(206) 555-0101'],
      carrier: { name: CARRIER.name },
      requestedDate: 'Friday, March 20, 2026',
      deadline: 'Thursday, March 5, 2026, 10:00 AM EST',
      order: { id: order.id },
    });
    // Nothing about the request goes to anyone but the carrier and the account holder.
    for (const e of emails(result.effects)) expect([[CARRIER.email], [bakery.email]]).toContainEqual(e.to);
  });

  it('counts a window in days as calendar days in the time zone, across the DST change', () => {
    // Friday 6 March 10:00 EST + 3 days = Monday 9 March 10:00 EDT.
    const result = intakePortRequest(request(), store, ctxAt('2026-03-06T15:00:00.000Z', { verificationWindow: { amount: 3, unit: 'd' } }));
    expect(only(result.created).verification!.expiresAt).toBe('2026-03-09T14:00:00.000Z');
  });

  it('makes a reminder due only from REMINDER_AFTER until the window expires, and only once', () => {
    const order = pendingOrder();

    expect(isReminderDue(order, ctxAt(after(23.99)))).toBe(false);
    expect(isReminderDue(order, ctxAt(after(24)))).toBe(true);
    expect(isReminderDue(order, ctxAt(after(71.99)))).toBe(true);
    expect(isReminderDue(order, ctxAt(after(72)))).toBe(false);

    const early = apply(order, bakery, { type: 'remind' }, after(12));
    expect(early.refused?.code).toBe('NOT_DUE');
    expect(early.effects).toEqual([]);
    expect(early.order).toBe(order);

    const reminded = apply(order, bakery, { type: 'remind' }, after(30));
    expect(reminded.refused).toBeUndefined();
    expect(reminded.order.state).toBe('pending_verification');
    expect(lastEvent(reminded.order)).toBe('reminder-sent');
    expect(reminded.order.verification!.reminderSentAt).toBe(after(30));
    expect(reminded.order.verification!.expiresAt).toBe(order.verification!.expiresAt);
    const reminder = only(emails(reminded.effects), 'reminder');
    expect(reminder.template).toBe('customer-reminder');
    expect(reminder.to).toEqual([bakery.email]);
    expect(reminder.inReplyTo).toBe(order.verification!.messageId);
    expect(reminder.replyToToken).toBe(order.token);
    expect(reminder.autoSubmitted).toBe('auto-generated');

    expect(isReminderDue(reminded.order, ctxAt(after(40)))).toBe(false);
    const again = apply(reminded.order, bakery, { type: 'remind' }, after(40));
    expect(again.refused?.code).toBe('NOT_DUE');
    expect(again.effects).toEqual([]);
  });

  it('sends no reminder once the window has expired', () => {
    const order = pendingOrder();
    const late = apply(order, bakery, { type: 'remind' }, after(80));
    expect(late.refused?.code).toBe('NOT_DUE');
    expect(late.effects).toEqual([]);
    expect(late.order.verification!.reminderSentAt).toBeUndefined();
  });
});

describe('rule 3: no pre-approval', () => {
  it('answers an approval before any verification with preapproval-refusal and leaves the order otherwise unchanged', () => {
    const order = receivedOrder();
    const out = apply(order, bakery, customerReply('approve', bakery.email, 'early@customer.example.test'), after(1));

    expect(out.order.state).toBe('received');
    expect(out.order.decision).toBeUndefined();
    expect(out.order.verification).toBeUndefined();
    expect(out.order.focDate).toBeUndefined();
    expect(lastEvent(out.order)).toBe('pre-approval-refused');
    expect(out.order.history.slice(0, -1)).toEqual(order.history);
    const refusal = only(emails(out.effects), 'e-mail');
    expect(refusal.template).toBe('preapproval-refusal');
    expect(refusal.to).toEqual([bakery.email]);
    expect(refusal.inReplyTo).toBe('early@customer.example.test');
    expect(refusal.autoSubmitted).toBe('auto-replied');
    expect(accountChanges(out.effects)).toEqual([]);
  });

  it('never counts a carrier claim that the customer already approved: the verification still goes out', () => {
    const { order, result } = intakeOne(bakery, { claimsApproval: true });

    expect(order.state).toBe('pending_verification');
    expect(order.decision).toBeUndefined();
    expect(order.history.map((h) => h.event)).toEqual(['received', 'approval-claim-disregarded', 'verification-sent']);
    expect(byTemplate(result.effects, 'customer-verification')).toHaveLength(1);
    expect(byTemplate(result.effects, 'carrier-approval')).toEqual([]);
  });
});

describe('rule 4: a reply counts only when tied to one open verification, from the address it went to', () => {
  // Tying (token, threading headers, subject) and the sender check are the app's job and are
  // tested in test/app/desk.test.ts; the core records what tying needs.
  it('records the verification Message-ID and a per-order token that replies are tied by', () => {
    const result = intakePortRequest(request({ dids: ['+12065550100', '+16085550130'] }), store, ctxAt(T0));
    const [a, b] = result.created;
    const verifications = byTemplate(result.effects, 'customer-verification');
    expect(verifications.map((v) => v.messageId).sort()).toEqual([a!.verification!.messageId, b!.verification!.messageId].sort());
    expect(a!.verification!.messageId).not.toBe(b!.verification!.messageId);
    expect(verifications.map((v) => v.replyToToken).sort()).toEqual([a!.token, b!.token].sort());
    expect(a!.verification!.sentTo).toBe(bakery.email);
    expect(b!.verification!.sentTo).toBe(single.email);
  });
});

describe('rule 5: the decision comes from the reply; unclear replies are asked again', () => {
  it('approves on an approving reply: approved, by customer, carrier and customer told with the completion date', () => {
    const order = pendingOrder();
    const out = apply(order, bakery, customerReply('approve', bakery.email), after(2));

    expect(out.order.state).toBe('approved');
    expect(out.order.decision).toMatchObject({ by: 'customer', at: after(2), reasonCodes: [] });
    expect(out.order.focDate).toBe('2026-03-03');
    expect(lastEvent(out.order)).toBe('approved');

    const approval = only(byTemplate(out.effects, 'carrier-approval'));
    expect(approval.to).toEqual([CARRIER.email]);
    expect(approval.inReplyTo).toBe('req-1@northwind.example.test');
    expect(approval.data).toMatchObject({ focDate: 'Tuesday, March 3, 2026', numbers: ['(206) 555-0100'] });
    const told = only(byTemplate(out.effects, 'customer-decision'));
    expect(told.to).toEqual([bakery.email]);
    expect(told.inReplyTo).toBe(order.verification!.messageId);
    expect(told.data).toMatchObject({ outcome: 'approved', decidedBy: 'customer', focDate: 'Tuesday, March 3, 2026' });
    expect(emails(out.effects)).toHaveLength(2);
  });

  it('rejects on a rejecting reply with CUSTOMER_REJECTED', () => {
    const order = pendingOrder();
    const out = apply(order, bakery, customerReply('reject', bakery.email), after(2));

    expect(out.order.state).toBe('rejected');
    expect(out.order.decision).toMatchObject({ by: 'customer', reasonCodes: ['CUSTOMER_REJECTED'] });
    expect(out.order.focDate).toBeUndefined();
    expect(lastEvent(out.order)).toBe('rejected');
    const rejection = only(byTemplate(out.effects, 'carrier-rejection'));
    expect(rejection.to).toEqual([CARRIER.email]);
    expect(codesOf(rejection)).toEqual(['CUSTOMER_REJECTED']);
    const told = only(byTemplate(out.effects, 'customer-decision'));
    expect(told.to).toEqual([bakery.email]);
    expect(told.data).toMatchObject({ outcome: 'rejected', decidedBy: 'customer' });
    expect(codesOf(told)).toEqual(['CUSTOMER_REJECTED']);
  });

  it('asks again on an unclear reply and keeps the window running', () => {
    const order = pendingOrder();
    const out = apply(order, bakery, customerReply('unclear', bakery.email, 'maybe@customer.example.test'), after(5));

    expect(out.order.state).toBe('pending_verification');
    expect(out.order.decision).toBeUndefined();
    expect(out.order.verification!.expiresAt).toBe(order.verification!.expiresAt);
    expect(out.order.verification!.clarifications).toBe(1);
    expect(lastEvent(out.order)).toBe('clarification-requested');
    const ask = only(emails(out.effects), 'e-mail');
    expect(ask.template).toBe('customer-unclear');
    expect(ask.to).toEqual([bakery.email]);
    expect(ask.inReplyTo).toBe('maybe@customer.example.test');
    expect(ask.replyToToken).toBe(order.token);
    expect(ask.autoSubmitted).toBe('auto-replied');

    // The original deadline still holds: the window expires when it would have.
    expect(isExpired(out.order, ctxAt(after(71.9)))).toBe(false);
    expect(isExpired(out.order, ctxAt(after(72)))).toBe(true);
  });
  it('leaves an approved order alone on a late rejection and alerts support, who must look at it', () => {
    const approved = approvedOrder();
    const out = apply(approved, bakery, customerReply('reject', bakery.email), after(5));
    expect(out.order.state).toBe('approved');
    expect(out.order.decision).toEqual(approved.decision);
    expect(out.order.focDate).toBe(approved.focDate);
    expect(lastEvent(out.order)).toBe('reply-after-decision');
    const alert = only(emails(out.effects), 'e-mail');
    expect(alert.template).toBe('support-alert');
    expect(alert.to).toEqual([SUPPORT]);
    expect(alert.orderId).toBe(approved.id);
  });
});

describe('rule 6: no answer in the window → auto-match against the account', () => {
  it('a field read only from the request’s sentences never approves on its own: the same match is rejected, MISSING_INFORMATION', () => {
    const provided = { name: 'WHITFIELD, DANA', street: '1200 Market St.', zip: '98101-1234', city: 'Seattle', state: 'WA' };
    const fromSentences = apply(pendingOrder({ provided: { ...provided, fromProse: ['street'] } }), bakery, { type: 'expire' }, after(72));
    expect(fromSentences.order.state).toBe('rejected');
    expect(fromSentences.order.decision).toMatchObject({ by: 'auto-match', reasonCodes: ['MISSING_INFORMATION'] });
    expect(fromSentences.order.decision!.note).toBe("street read only from the request's sentences: an auto-match does not approve on that alone");
    // A mismatch read from sentences still rejects, with its own reason.
    const wrong = apply(pendingOrder({ provided: { ...provided, zip: '99999', fromProse: ['zip'] } }), bakery, { type: 'expire' }, after(72));
    expect(wrong.order.decision!.reasonCodes).toEqual(['ZIP_MISMATCH']);
    // The name from sentences, the company from a label: the name-or-company match stands on the label.
    const mixed = apply(pendingOrder({ provided: { ...provided, company: 'Harbor Lane Bakery LLC', fromProse: ['name'] } }), bakery, { type: 'expire' }, after(72));
    expect(mixed.order.state).toBe('approved');
  });

  it('is not expired before the deadline, and expiring early is refused', () => {
    const order = pendingOrder();
    expect(isExpired(order, ctxAt(after(71.99)))).toBe(false);
    expect(isExpired(order, ctxAt(after(72)))).toBe(true);
    const early = apply(order, bakery, { type: 'expire' }, after(71));
    expect(early.refused?.code).toBe('NOT_DUE');
    expect(early.effects).toEqual([]);
    expect(early.order).toBe(order);
  });

  it('approves when every account-info field matches (name or company, street, ZIP, numbers)', () => {
    const order = pendingOrder({
      provided: { name: 'WHITFIELD, DANA', street: '1200 Market St.', zip: '98101-1234', city: 'Seattle', state: 'WA' },
    });
    const out = apply(order, bakery, { type: 'expire' }, after(72));

    expect(out.order.state).toBe('approved');
    expect(out.order.decision!.by).toBe('auto-match');
    expect(out.order.decision!.reasonCodes).toEqual([]);
    expect(out.order.decision!.matchReport!.matched).toBe(true);
    expect(out.order.focDate).toBe('2026-03-06');
    expect(lastEvent(out.order)).toBe('approved');
    expect(only(byTemplate(out.effects, 'carrier-approval')).data['focDate']).toBe('Friday, March 6, 2026');
    expect(only(byTemplate(out.effects, 'customer-decision')).data).toMatchObject({ outcome: 'approved', decidedBy: 'auto-match' });
  });

  it('approves on the company when the person name differs (account-info: name or company)', () => {
    const order = pendingOrder({ provided: { name: 'Sam Rivera', company: 'Harbor Lane Bakery, Inc.', street: '1200 Market Street', zip: '98101' } });
    const out = apply(order, bakery, { type: 'expire' }, after(72));
    expect(out.order.state).toBe('approved');
  });

  it('rejects with one reason code per failed field, and the carrier sees only what it sent', () => {
    const order = pendingOrder({ provided: { name: 'Dana Whitfield', street: '77 Harbor Road', zip: '98199' } });
    const out = apply(order, bakery, { type: 'expire' }, after(72));

    expect(out.order.state).toBe('rejected');
    expect(out.order.decision!.by).toBe('auto-match');
    expect([...out.order.decision!.reasonCodes].sort()).toEqual(['ADDRESS_MISMATCH', 'ZIP_MISMATCH']);
    expect(out.order.decision!.matchReport!.matched).toBe(false);
    expect(lastEvent(out.order)).toBe('rejected');

    const rejection = only(byTemplate(out.effects, 'carrier-rejection'));
    expect(rejection.to).toEqual([CARRIER.email]);
    expect([...codesOf(rejection)].sort()).toEqual(['ADDRESS_MISMATCH', 'ZIP_MISMATCH']);
    const fields = rejection.data['fields'] as { result: string }[];
    expect(fields.filter((f) => f.result !== 'match')).toHaveLength(2);
    // Values on file never reach the carrier.
    const carrierText = JSON.stringify(rejection.data);
    expect(carrierText).not.toContain('1200 Market');
    expect(carrierText).not.toContain('98101');
    expect(only(byTemplate(out.effects, 'customer-decision')).data).toMatchObject({ outcome: 'rejected', decidedBy: 'auto-match' });
  });

  it('rejects a wrong name and company with a single reason for that one field', () => {
    const order = pendingOrder({ provided: { name: 'Sam Rivera', company: 'Rivera Plumbing LLC', street: '1200 Market Street', zip: '98101' } });
    const out = apply(order, bakery, { type: 'expire' }, after(72));
    expect(out.order.state).toBe('rejected');
    expect(out.order.decision!.reasonCodes).toEqual(['NAME_MISMATCH']);
  });

  it("counts a field the carrier left out as failed, with that field's code", () => {
    const order = pendingOrder({ provided: { company: 'Harbor Lane Bakery', zip: '98102' } });
    const out = apply(order, bakery, { type: 'expire' }, after(72));
    expect(out.order.state).toBe('rejected');
    expect([...out.order.decision!.reasonCodes].sort()).toEqual(['ADDRESS_MISMATCH', 'ZIP_MISMATCH']);
    const street = out.order.decision!.matchReport!.fields.find((f) => f.field === 'street');
    expect(street).toMatchObject({ result: 'missing', code: 'ADDRESS_MISMATCH' });
  });

  it('approves under simple-port on account number and ZIP alone', () => {
    const simple = { matchFields: MATCH_PRESETS['simple-port'] };
    const order = pendingOrder({ provided: { accountNumber: '100200', zip: '98101' } });
    const out = apply(order, bakery, { type: 'expire' }, after(72), simple);
    expect(out.order.state).toBe('approved');
    expect(out.order.decision!.by).toBe('auto-match');
  });

  it('rejects under simple-port with ACCOUNT_NUMBER_MISMATCH and ZIP_MISMATCH, ignoring name and address', () => {
    const simple = { matchFields: MATCH_PRESETS['simple-port'] };
    const order = pendingOrder({ provided: { name: 'Someone Else', street: '1 Nowhere Lane', accountNumber: '999999', zip: '97999', pin: '8421' } }, pin);
    const out = apply(order, pin, { type: 'expire' }, after(72), simple);
    expect(out.order.state).toBe('rejected');
    expect([...out.order.decision!.reasonCodes].sort()).toEqual(['ACCOUNT_NUMBER_MISMATCH', 'ZIP_MISMATCH']);
    expect([...codesOf(only(byTemplate(out.effects, 'carrier-rejection')))].sort()).toEqual(['ACCOUNT_NUMBER_MISMATCH', 'ZIP_MISMATCH']);
  });
});

describe('rule 7: rejected is final', () => {
  it('answers an approval after a rejection with already-rejected and leaves the order as it was', () => {
    const rejected = apply(pendingOrder(), bakery, customerReply('reject', bakery.email), after(2)).order;
    const out = apply(rejected, bakery, customerReply('approve', bakery.email, 'changed-mind@customer.example.test'), after(3));

    expect(out.order.state).toBe('rejected');
    expect(out.order.decision).toEqual(rejected.decision);
    expect(out.order.focDate).toBeUndefined();
    expect(lastEvent(out.order)).toBe('already-rejected-notice');
    const notice = only(emails(out.effects), 'e-mail');
    expect(notice.template).toBe('already-rejected');
    expect(notice.to).toEqual([bakery.email]);
    expect(notice.inReplyTo).toBe('changed-mind@customer.example.test');
    expect(byTemplate(out.effects, 'carrier-approval')).toEqual([]);
  });

  it('does not let an auto-match rejection be approved or expired again', () => {
    const order = pendingOrder({ provided: { name: 'Dana Whitfield', street: '77 Harbor Road', zip: '98101' } });
    const rejected = apply(order, bakery, { type: 'expire' }, after(72)).order;
    expect(rejected.state).toBe('rejected');

    const reply = apply(rejected, bakery, customerReply('approve', bakery.email), after(73));
    expect(reply.order.state).toBe('rejected');
    expect(only(emails(reply.effects)).template).toBe('already-rejected');

    const expireAgain = apply(rejected, bakery, { type: 'expire' }, after(80));
    expect(expireAgain.refused).toBeDefined();
    expect(expireAgain.order).toBe(rejected);
    expect(expireAgain.effects).toEqual([]);
  });
});

describe('rule 8: the completion date is the later of the requested date and FOC_MIN_BUSINESS_DAYS business days', () => {
  it('counts business days from today in New York, not in UTC', () => {
    // Thursday 5 March 22:00 EST is already Friday in UTC; one business day after Thursday is Friday.
    const out = apply(pendingOrder(), bakery, customerReply('approve', bakery.email), '2026-03-06T03:00:00.000Z');
    expect(out.order.focDate).toBe('2026-03-06');
  });

  it('skips the weekend and the observed Independence Day holiday', () => {
    const order = pendingOrder();
    const out = apply(order, bakery, customerReply('approve', bakery.email), '2026-07-02T15:00:00.000Z');
    // Thursday 2 July → Friday 3 July is the observed holiday → Monday 6 July.
    expect(out.order.focDate).toBe('2026-07-06');
    expect(lastEvent(out.order)).toBe('approved');
    expect(only(byTemplate(out.effects, 'carrier-approval')).data['focDate']).toBe('Monday, July 6, 2026');
    expect(only(byTemplate(out.effects, 'customer-decision')).data['focDate']).toBe('Monday, July 6, 2026');
  });

  it('counts several business days over a weekend', () => {
    // Friday 6 March + 3 business days = Wednesday 11 March.
    const out = apply(pendingOrder(), bakery, customerReply('approve', bakery.email), '2026-03-06T15:00:00.000Z', { focMinBusinessDays: 3 });
    expect(out.order.focDate).toBe('2026-03-11');
  });

  it('keeps a later requested date', () => {
    const out = apply(pendingOrder({ requestedDate: '2026-03-20' }), bakery, customerReply('approve', bakery.email), after(2));
    expect(out.order.focDate).toBe('2026-03-20');
    expect(only(byTemplate(out.effects, 'carrier-approval')).data['focDate']).toBe('Friday, March 20, 2026');
  });

  it('moves an earlier requested date to the minimum, and a requested weekend to the next business day', () => {
    const early = apply(pendingOrder({ requestedDate: '2026-03-02' }), bakery, customerReply('approve', bakery.email), after(2));
    expect(early.order.focDate).toBe('2026-03-03');
    const weekend = apply(pendingOrder({ requestedDate: '2026-03-21' }), bakery, customerReply('approve', bakery.email), after(2));
    expect(weekend.order.focDate).toBe('2026-03-23');
  });
});

describe('rule 9: not completed within COMPLETION_GRACE after the completion date → canceled', () => {
  it('cancels after focDate + grace with NOT_COMPLETED_IN_TIME, carrier and customer told', () => {
    const order = approvedOrder(after(2)); // focDate Tuesday 3 March
    expect(order.focDate).toBe('2026-03-03');
    // The end of 3 March in New York, plus five calendar days.
    const deadline = completionDeadline(order, ctxAt(after(2)))!;
    expect(deadline.toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(isOverdue(order, ctxAt('2026-03-09T03:59:59.000Z'))).toBe(false);
    expect(isOverdue(order, ctxAt('2026-03-09T04:00:00.000Z'))).toBe(true);

    const early = apply(order, bakery, { type: 'cancel-overdue' }, '2026-03-08T12:00:00.000Z');
    expect(early.refused?.code).toBe('NOT_DUE');
    expect(early.effects).toEqual([]);

    const out = apply(order, bakery, { type: 'cancel-overdue' }, '2026-03-09T04:00:00.000Z');
    expect(out.order.state).toBe('canceled');
    expect(out.order.decision).toMatchObject({ by: 'job', reasonCodes: ['NOT_COMPLETED_IN_TIME'] });
    expect(lastEvent(out.order)).toBe('canceled');
    const carrier = only(byTemplate(out.effects, 'carrier-cancellation'));
    expect(carrier.to).toEqual([CARRIER.email]);
    expect(codesOf(carrier)).toEqual(['NOT_COMPLETED_IN_TIME']);
    expect(carrier.inReplyTo).toBe('req-1@northwind.example.test');
    const customer = only(byTemplate(out.effects, 'customer-cancellation'));
    expect(customer.to).toEqual([bakery.email]);
    expect(codesOf(customer)).toEqual(['NOT_COMPLETED_IN_TIME']);
    expect(accountChanges(out.effects)).toEqual([]);

    // Once canceled, nothing is overdue any more.
    expect(isOverdue(out.order, ctxAt('2026-04-01T00:00:00.000Z'))).toBe(false);
  });

  it('lets the carrier cancel an open order with CARRIER_CANCELED', () => {
    const order = pendingOrder();
    const out = apply(order, bakery, { type: 'cancel', by: 'carrier', reasonCodes: ['CARRIER_CANCELED'], messageId: 'cancel-1@northwind.example.test' }, after(3));
    expect(out.order.state).toBe('canceled');
    expect(out.order.decision).toMatchObject({ by: 'carrier', reasonCodes: ['CARRIER_CANCELED'] });
    expect(out.order.sourceMessageIds).toContain('cancel-1@northwind.example.test');
    expect(lastEvent(out.order)).toBe('canceled');
    const carrier = only(byTemplate(out.effects, 'carrier-cancellation'));
    expect(carrier.inReplyTo).toBe('cancel-1@northwind.example.test');
    expect(carrier.autoSubmitted).toBe('auto-replied');
    expect(only(byTemplate(out.effects, 'customer-cancellation')).to).toEqual([bakery.email]);
  });
});

describe('rule 10: completion marks the numbers ported-out, kept on the account; admin fee when none is left', () => {
  it('marks only the ported number, keeps it on the account, and says nothing of the fee while a number is left', () => {
    const order = approvedOrder();
    const out = apply(order, bakery, { type: 'complete', by: 'carrier', messageId: 'done-1@northwind.example.test' }, after(30));

    expect(out.order.state).toBe('completed');
    expect(out.order.completedAt).toBe(after(30));
    expect(out.order.sourceMessageIds).toContain('done-1@northwind.example.test');
    expect(lastEvent(out.order)).toBe('completed');

    const account = only(accountChanges(out.effects), 'account change');
    expect(account.id).toBe(bakery.id);
    expect(account.dids).toHaveLength(2);
    expect(account.dids.find((d) => d.number === '+12065550100')).toEqual({
      number: '+12065550100',
      status: 'ported-out',
      portedOutAt: after(30),
      portOrderId: order.id,
    });
    expect(account.dids.find((d) => d.number === '+12065550101')!.status).toBe('active');

    const mail = only(emails(out.effects), 'e-mail');
    expect(mail.template).toBe('customer-completion');
    expect(mail.to).toEqual([bakery.email]);
    expect(mail.data['lastNumberGone']).toBe(false);
  });

  it('sets lastNumberGone when the account has no active number left', () => {
    const order = approvedOrder(after(2), {}, single);
    const out = apply(order, single, { type: 'complete', by: 'support' }, after(30));

    expect(out.order.state).toBe('completed');
    expect(lastEvent(out.order)).toBe('completed');
    const account = only(accountChanges(out.effects));
    expect(account.dids).toEqual([expect.objectContaining({ number: '+16085550130', status: 'ported-out' })]);
    expect(account.status).toBe('open');
    const mail = only(byTemplate(out.effects, 'customer-completion'));
    expect(mail.to).toEqual([single.email]);
    expect(mail.data['lastNumberGone']).toBe(true);
  });

  it('counts numbers that left earlier: the last active number going sets lastNumberGone', () => {
    const earlier: Account = {
      ...bakery,
      dids: [{ number: '+12065550100', status: 'active' }, { number: '+12065550101', status: 'ported-out', portedOutAt: T0, portOrderId: 'PO-OLD222' }],
    };
    const order = approvedOrder(after(2), {}, earlier);
    const out = apply(order, earlier, { type: 'complete', by: 'carrier' }, after(30));
    expect(only(byTemplate(out.effects, 'customer-completion')).data['lastNumberGone']).toBe(true);
    expect(only(accountChanges(out.effects)).dids.find((d) => d.number === '+12065550101')).toEqual(earlier.dids[1]);
  });
});

describe('rule 11: one open order per number; the same carrier resending is answered idempotently', () => {
  it('rejects a conflicting request from another carrier with TN_PENDING_ORDER and leaves the open order alone', async () => {
    const first = pendingOrder();
    await store.commit({ orders: [first] });

    const result = intakePortRequest(request({ carrier: OTHER_CARRIER, sourceMessageId: 'bf-1@bluefin.example.test' }), store, ctxAt(after(1)));
    const second = only(result.created);
    expect(second.id).not.toBe(first.id);
    expect(second.state).toBe('rejected');
    expect(second.decision).toMatchObject({ by: 'desk', reasonCodes: ['TN_PENDING_ORDER'] });
    expect(second.verification).toBeUndefined();
    expect(lastEvent(second)).toBe('rejected');
    expect(result.resent).toEqual([]);

    const rejection = only(byTemplate(result.effects, 'carrier-rejection'));
    expect(rejection.to).toEqual([OTHER_CARRIER.email]);
    expect(codesOf(rejection)).toEqual(['TN_PENDING_ORDER']);
    expect(byTemplate(result.effects, 'customer-verification')).toEqual([]);
    expectCustomerTold(result.effects, bakery, 'customer-decision');
    expect(store.getOrder(first.id)).toEqual(first);
  });

  it('treats the same carrier with another PON as a conflicting request, not a resend', async () => {
    const first = pendingOrder();
    await store.commit({ orders: [first] });
    const result = intakePortRequest(request({ carrier: { ...CARRIER, pon: 'NW-2002' }, sourceMessageId: 'req-2@northwind.example.test' }), store, ctxAt(after(1)));
    expect(only(result.created).decision!.reasonCodes).toEqual(['TN_PENDING_ORDER']);
  });

  it('answers the same carrier resending the same request with the acknowledgement again and no new order', async () => {
    const first = pendingOrder();
    await store.commit({ orders: [first] });

    const result = intakePortRequest(
      request({ carrier: { ...CARRIER, email: 'PORTS@Northwind.example.test', pon: 'nw-1001' }, sourceMessageId: 'req-1-again@northwind.example.test' }),
      store,
      ctxAt(after(1)),
    );
    expect(result.created).toEqual([]);
    const resent = only(result.resent);
    expect(resent.id).toBe(first.id);
    expect(resent.state).toBe('pending_verification');
    expect(resent.verification).toEqual(first.verification);
    expect(resent.sourceMessageIds).toEqual(['req-1@northwind.example.test', 'req-1-again@northwind.example.test']);
    expect(lastEvent(resent)).toBe('resend-acknowledged');

    const ack = only(emails(result.effects), 'e-mail');
    expect(ack.template).toBe('carrier-acknowledgement');
    expect(ack.inReplyTo).toBe('req-1-again@northwind.example.test');
    expect((ack.data['orders'] as { id: string }[]).map((o) => o.id)).toEqual([first.id]);
  });

  it('takes a new request once the earlier order is final', async () => {
    const rejected = apply(pendingOrder(), bakery, customerReply('reject', bakery.email), after(2)).order;
    await store.commit({ orders: [rejected] });
    const { order } = intakeOne(bakery, { carrier: OTHER_CARRIER }, after(3));
    expect(order.state).toBe('pending_verification');
  });

  it('identifies the same request by carrier address, PON and numbers regardless of case and order', () => {
    expect(requestKeyOf('Ports@Northwind.example.test ', 'nw-1001', ['+12065550101', '+12065550100'])).toBe(
      requestKeyOf('ports@northwind.example.test', 'NW-1001', ['+12065550100', '+12065550101']),
    );
    expect(requestKeyOf(CARRIER.email, 'NW-1001', ['+12065550100'])).not.toBe(requestKeyOf(CARRIER.email, 'NW-1002', ['+12065550100']));
    expect(requestKeyOf(CARRIER.email, 'NW-1001', ['+12065550100'])).not.toBe(requestKeyOf(CARRIER.email, 'NW-1001', ['+12065550101']));
  });
});

describe('rule 12: port lock and PIN', () => {
  function rejectedAtOnce(account: Account, provided: CarrierProvided, expected: ReasonCode[]) {
    const { order, result } = intakeOne(account, { provided });
    expect(order.state).toBe('rejected');
    expect(order.decision).toMatchObject({ by: 'desk', reasonCodes: expected });
    expect(order.verification).toBeUndefined();
    expect(order.history.map((h) => h.event)).toEqual(['received', 'rejected']);

    expect(emails(result.effects).map((e) => e.template)).toEqual(['carrier-acknowledgement', 'carrier-rejection', 'customer-decision']);
    const rejection = only(byTemplate(result.effects, 'carrier-rejection'));
    expect(rejection.to).toEqual([CARRIER.email]);
    expect(codesOf(rejection)).toEqual(expected);
    const told = only(byTemplate(result.effects, 'customer-decision'));
    expect(told.to).toEqual([account.email]);
    expect(told.data).toMatchObject({ outcome: 'rejected', decidedBy: 'desk' });
    expect(codesOf(told)).toEqual(expected);
    expect(byTemplate(result.effects, 'customer-verification')).toEqual([]);
    return { order, result };
  }

  it('rejects a locked account at once with PORT_PROTECTED alone, and tells the customer', () => {
    rejectedAtOnce(locked, matchingProvided(locked), ['PORT_PROTECTED']);
  });

  it('rejects a request without the PIN at once with PIN_MISSING', () => {
    const { pin: _omitted, ...withoutPin } = matchingProvided(pin);
    rejectedAtOnce(pin, withoutPin, ['PIN_MISSING']);
  });

  it('rejects a wrong PIN at once with PIN_INVALID, and the PIN appears in no e-mail', () => {
    const { result } = rejectedAtOnce(pin, { ...matchingProvided(pin), pin: '1111' }, ['PIN_INVALID']);
    const all = JSON.stringify(emails(result.effects).map((e) => e.data));
    expect(all).not.toContain('1111');
    expect(all).not.toContain('8421');
  });

  it('sends a request with the right PIN to verification, and the customer is told', () => {
    const { order, result } = intakeOne(pin, { provided: { ...matchingProvided(pin), pin: ' 8421 ' } });
    expect(order.state).toBe('pending_verification');
    expect(lastEvent(order)).toBe('verification-sent');
    expectCustomerTold(result.effects, pin, 'customer-verification');
  });

  // DOMAIN.md: a port-out lock is "a freeze that refuses all port-outs until lifted". Intake
  // checks the lock (PORT_PROTECTED), but expire() in order-machine.ts only runs matchAccount, so
  // a lock the customer sets while the verification is pending does not stop the auto-match
  // from approving the port when the window runs out.
  it('does not auto-approve at expiry an account locked while the verification was pending', () => {
    const order = pendingOrder();
    const nowLocked: Account = { ...bakery, portOutLock: true };
    const out = apply(order, nowLocked, { type: 'expire' }, after(72));
    expect(out.order.state).toBe('rejected');
    expect(out.order.decision!.reasonCodes).toContain('PORT_PROTECTED');
    expect(byTemplate(out.effects, 'carrier-approval')).toEqual([]);
  });

  it('does not auto-approve at expiry an account billing closed while the verification was pending', () => {
    const order = pendingOrder();
    const closed: Account = { ...bakery, status: 'closed' };
    const out = apply(order, closed, { type: 'expire' }, after(72));
    expect(out.order.state).toBe('rejected');
    expect(out.order.decision!.reasonCodes).toEqual(['TN_NOT_ACTIVE']);
    expect(byTemplate(out.effects, 'carrier-approval')).toEqual([]);
  });
});

describe('the transition table refuses what does not apply', () => {
  it('refuses to complete a pending order, leaving it and the account untouched', () => {
    const order = pendingOrder();
    const out = apply(order, bakery, { type: 'complete', by: 'support' }, after(2));
    expect(out.refused?.code).toBe('INVALID_TRANSITION');
    expect(out.changed).toBe(false);
    expect(out.order).toBe(order);
    expect(out.effects).toEqual([]);
  });

  it('refuses to verify twice, to cancel a completed order, and any event on a final order', () => {
    const pending = pendingOrder();
    expect(apply(pending, bakery, { type: 'verify' }, after(1)).refused?.code).toBe('INVALID_TRANSITION');

    const completed = apply(approvedOrder(), bakery, { type: 'complete', by: 'carrier' }, after(30)).order;
    const cancel = apply(completed, bakery, { type: 'cancel', by: 'support', reasonCodes: ['CARRIER_CANCELED'] }, after(31));
    expect(cancel.refused?.code).toBe('INVALID_TRANSITION');
    expect(cancel.order).toBe(completed);
    expect(cancel.effects).toEqual([]);

    for (const state of ['rejected', 'completed', 'canceled'] as const) {
      expect(Object.keys(TRANSITIONS[state])).toEqual([]);
      for (const name of ['verify', 'approve', 'reject', 'remind', 'clarify', 'complete', 'cancel'] as const) {
        expect(canTransition(state, name), `${name} from ${state}`).toBe(false);
      }
    }
    // Every state is in the table.
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ORDER_STATES].sort());
  });

  it('agrees with the behaviour: an event is refused exactly where the table has no move, and lands where it says', () => {
    // One order with everything a move may read (a verification sent at T0, a completion date),
    // put in each state in turn; each event comes at a time it is due.
    const base: PortOrder = { ...pendingOrder(), focDate: '2026-03-03' };
    const protectedNow: Account = { ...bakery, portOutLock: true };
    // `move` is where the event lands; `needs` the moves that must all be in the table for it to
    // apply: expiry lets the match decide between approve and reject, so it needs both, and an
    // order is overdue only while it can still be completed.
    const cases: { event: OrderEvent; at: string; move: TransitionName; needs?: TransitionName[]; account?: Account }[] = [
      { event: { type: 'verify' }, at: after(1), move: 'verify' },
      { event: { type: 'reject', by: 'support', reasonCodes: ['CUSTOMER_REJECTED'] }, at: after(1), move: 'reject' },
      { event: { type: 'remind' }, at: after(30), move: 'remind' },
      { event: { type: 'expire' }, at: after(72), move: 'approve', needs: ['approve', 'reject'] },
      { event: { type: 'expire' }, at: after(72), move: 'reject', needs: ['approve', 'reject'], account: protectedNow },
      { event: { type: 'complete', by: 'carrier' }, at: after(1), move: 'complete' },
      { event: { type: 'cancel', by: 'support', reasonCodes: ['CARRIER_CANCELED'] }, at: after(1), move: 'cancel' },
      { event: { type: 'cancel-overdue' }, at: '2026-03-20T12:00:00.000Z', move: 'cancel', needs: ['complete', 'cancel'] },
      { event: customerReply('approve', bakery.email), at: after(1), move: 'approve' },
      { event: customerReply('reject', bakery.email), at: after(1), move: 'reject' },
      { event: customerReply('unclear', bakery.email), at: after(1), move: 'clarify' },
    ];
    for (const state of ORDER_STATES) {
      const moves: Partial<Record<TransitionName, OrderState>> = TRANSITIONS[state];
      for (const c of cases) {
        const order: PortOrder = { ...base, state };
        const out = apply(order, c.account ?? bakery, c.event, c.at);
        const what = `${c.event.type} (${c.move}) from ${state}`;
        const target = (c.needs ?? [c.move]).every((m) => moves[m] !== undefined) ? moves[c.move] : undefined;
        if (c.event.type === 'customer-reply' && (target === undefined || state === 'received')) {
          // A reply the table gives no say (or sent before any verification, rule 3) is answered, never refused, and moves nothing.
          expect(out.refused, what).toBeUndefined();
          expect(out.order.state, what).toBe(state);
        } else if (target === undefined) {
          expect(out.refused, what).toBeDefined();
          expect(out.order, what).toBe(order);
          expect(out.effects, what).toEqual([]);
        } else {
          expect(out.refused, what).toBeUndefined();
          expect(out.order.state, what).toBe(target);
        }
      }
    }
  });

  it('calls open exactly the states the table has a move out of, and final the others', () => {
    for (const state of ORDER_STATES) {
      const hasMove = Object.keys(TRANSITIONS[state]).length > 0;
      expect(OPEN_STATES.includes(state), state).toBe(hasMove);
      expect(FINAL_STATES.includes(state), state).toBe(!hasMove);
    }
  });

  it('refuses to approve or reject an order that is approved by any route but a customer reply', () => {
    const approved = approvedOrder();
    const reject = apply(approved, bakery, { type: 'reject', by: 'support', reasonCodes: ['CUSTOMER_REJECTED'] }, after(5));
    expect(reject.refused?.code).toBe('INVALID_TRANSITION');
    expect(reject.order).toBe(approved);
    const expire = apply(approved, bakery, { type: 'expire' }, after(100));
    expect(expire.refused).toBeDefined();
    expect(expire.effects).toEqual([]);
  });
});
