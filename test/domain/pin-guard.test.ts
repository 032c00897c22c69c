/**
 * PIN guessing (SPEC §10), through the pure core: three wrong PINs from one carrier within 24 hours
 * lock the account against that carrier (not another), the lock refuses at once and quietly,
 * support and the customer are told once, support can clear it, and auto-match never approves
 * an order whose account saw a wrong PIN around its time. The carrier's PIN is never kept.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';
import { isEmail, type AccountEffect, type Effect, type EmailEffect } from '../../src/domain/effects.js';
import { intakePortRequest, type IntakeRequest } from '../../src/domain/intake.js';
import { MATCH_PRESETS } from '../../src/domain/match-fields.js';
import { transition, type DeskContext, type OrderEvent } from '../../src/domain/order-machine.js';
import { PIN_LOCK_AFTER, clearPinLocks, pinCarrierOf, pinLockAgainst } from '../../src/domain/pin-guard.js';
import type { Account, PortOrder } from '../../src/domain/records.js';
import type { PinCheck } from '../../src/ports/pins.js';
import { MemoryStore } from '../support/memory-store.js';
import { SAMPLE_PIN, bakeryAccount, matchingProvided, pinAccount } from '../support/sample-accounts.js';
import { SequenceIds } from '../support/sequence-ids.js';
import { testPins } from '../support/test-pins.js';

const calendar = createCalendar({ timezone: 'America/New_York' });
const T0 = '2026-03-02T15:00:00.000Z';
const HOUR = 3_600_000;
const SUPPORT = 'support@desk.example.test';
const GUESSER = { name: 'Quick Port LLC', email: 'lnp@guesser.example.test', pon: 'QP-1' };
const GENUINE = { name: 'Northwind Telecom', email: 'ports@northwind.example.test', pon: 'NW-1' };

let ids: SequenceIds;
let store: MemoryStore;
/** Every PIN check the core asks for, counted: a locked carrier must cost none. */
let checks: number;
const countingPins: PinCheck = {
  matches: (pin, stored) => {
    checks++;
    return testPins.matches(pin, stored);
  },
};

beforeEach(() => {
  ids = new SequenceIds();
  checks = 0;
  store = new MemoryStore({ accounts: [pinAccount(), bakeryAccount()] });
});

const after = (hours: number, from = T0) => new Date(Date.parse(from) + hours * HOUR).toISOString();

function ctxAt(at: string): DeskContext {
  return {
    now: new Date(at),
    calendar,
    ids,
    pins: countingPins,
    policy: {
      verificationWindow: { amount: 72, unit: 'h' },
      reminderAfter: { amount: 24, unit: 'h' },
      completionGrace: { amount: 5, unit: 'd' },
      focMinBusinessDays: 1,
      matchFields: MATCH_PRESETS['account-info'],
      supportEmail: SUPPORT,
    },
  };
}

const account = (id = 'acct-pin'): Account => store.getAccount(id)!;

function emails(effects: readonly Effect[]): EmailEffect[] {
  return effects.filter(isEmail);
}

function templatesTo(effects: readonly Effect[], to: string): string[] {
  return emails(effects)
    .filter((e) => e.to.includes(to))
    .map((e) => e.template);
}

function codesOf(effects: readonly Effect[], template: EmailEffect['template']): string[] {
  const mail = emails(effects).find((e) => e.template === template);
  return ((mail?.data as { reasons?: { code: string }[] } | undefined)?.reasons ?? []).map((r) => r.code);
}

/** One carrier request for the PIN account's number, committed to the store as the desk would. */
async function requestWith(pin: string | undefined, at: string, carrier = GUESSER, target: Account = account()) {
  const { pin: _right, ...fields } = matchingProvided(target);
  const req: IntakeRequest = {
    carrier,
    provided: { ...fields, ...(pin === undefined ? {} : { pin }) },
    dids: [target.dids[0]!.number],
    missing: [],
    sourceMessageId: `req-${ids.orderId()}@${carrier.email.split('@')[1]}`,
  };
  const result = intakePortRequest(req, store, ctxAt(at));
  const accounts = result.effects.filter((e): e is AccountEffect => e.kind === 'account').map((e) => e.account);
  await store.commit({ orders: [...result.created, ...result.resent], accounts });
  const order = result.created[0]!;
  return { order, result };
}

function apply(order: PortOrder, event: OrderEvent, at: string, holder: Account = account(order.accountId)) {
  return transition(order, holder, event, ctxAt(at));
}

describe('three wrong PINs lock the account against that carrier', () => {
  it('refuses the first two with PIN_INVALID, locks on the third, and tells support and the customer once', async () => {
    const holder = account();
    for (const [i, pin] of ['8805', '8806'].entries()) {
      const { order, result } = await requestWith(pin, after(i));
      expect(order.decision?.reasonCodes).toEqual(['PIN_INVALID']);
      expect(account().pinGuard?.wrong).toHaveLength(i + 1);
      expect(account().pinGuard?.locks).toEqual([]);
      // Rule 12: the customer hears of each request, and support of none yet.
      expect(templatesTo(result.effects, holder.email)).toEqual(['customer-decision']);
      expect(templatesTo(result.effects, SUPPORT)).toEqual([]);
    }

    const third = await requestWith('8807', after(2));
    expect(third.order.state).toBe('rejected');
    expect(third.order.decision?.reasonCodes).toEqual(['PIN_INVALID', 'PIN_LOCKED']);
    expect(third.order.history.map((h) => h.event)).toEqual(['received', 'pin-lock-set', 'rejected']);
    expect(pinLockAgainst(account(), 'guesser.example.test')).toMatchObject({ carrier: 'guesser.example.test', at: after(2), wrongPins: PIN_LOCK_AFTER });
    expect(third.result.pinLocks).toEqual([{ accountId: 'acct-pin', carrier: 'guesser.example.test' }]);
    expect(codesOf(third.result.effects, 'carrier-rejection')).toEqual(['PIN_INVALID', 'PIN_LOCKED']);
    // The customer's notice of this request is the one that says the carrier is locked out.
    expect(templatesTo(third.result.effects, holder.email)).toEqual(['customer-decision']);
    expect(codesOf(third.result.effects, 'customer-decision')).toEqual(['PIN_INVALID', 'PIN_LOCKED']);
    const alert = emails(third.result.effects).find((e) => e.template === 'support-alert')!;
    expect(alert.to).toEqual([SUPPORT]);
    const said = JSON.stringify(alert.data);
    expect(said).toContain('acct-pin');
    expect(said).toContain('guesser.example.test');
    expect(said).toContain('portdesk accounts unlock-pin acct-pin --carrier guesser.example.test');
    for (const pin of ['8805', '8806', '8807', SAMPLE_PIN]) expect(said).not.toContain(pin);
  });

  it('refuses the fourth at once, even with the right PIN and from another mailbox of the domain: no PIN check, no customer e-mail, no alert', async () => {
    for (const [i, pin] of ['1111', '2222', '3333'].entries()) await requestWith(pin, after(i));
    const before = account();
    checks = 0;
    const fourth = await requestWith(SAMPLE_PIN, after(3), { ...GUESSER, email: 'other-desk@guesser.example.test' });
    expect(fourth.order.state).toBe('rejected');
    expect(fourth.order.decision).toMatchObject({ by: 'desk', reasonCodes: ['PIN_LOCKED'] });
    expect(fourth.order.verification).toBeUndefined();
    expect(fourth.order.history.map((h) => h.event)).toEqual(['received', 'pin-lock-refused', 'rejected']);
    expect(checks).toBe(0);
    expect(emails(fourth.result.effects).map((e) => e.template)).toEqual(['carrier-acknowledgement', 'carrier-rejection']);
    expect(codesOf(fourth.result.effects, 'carrier-rejection')).toEqual(['PIN_LOCKED']);
    // Nothing more is counted: the lock holds as it was.
    expect(fourth.result.effects.some((e) => e.kind === 'account')).toBe(false);
    expect(account()).toEqual(before);
    // What the order keeps: a PIN was given; whether it matched was never asked.
    expect(fourth.order.provided).toMatchObject({ pinGiven: true });
    expect(fourth.order.provided.pinMatched).toBeUndefined();
  });

  it('does not lock out another carrier: a genuine request right after goes to verification', async () => {
    for (const [i, pin] of ['1111', '2222', '3333'].entries()) await requestWith(pin, after(i));
    const genuine = await requestWith(SAMPLE_PIN, after(3), GENUINE);
    expect(genuine.order.state).toBe('pending_verification');
    expect(genuine.order.provided).toMatchObject({ pinGiven: true, pinMatched: true });
    expect(pinLockAgainst(account(), pinCarrierOf(GENUINE.email))).toBeUndefined();
  });

  it('counts only the last 24 hours, and each carrier on its own', async () => {
    await requestWith('1111', T0);
    await requestWith('2222', after(1));
    // The first two are more than a day old by now.
    await requestWith('3333', after(26));
    expect(account().pinGuard?.locks).toEqual([]);
    expect(account().pinGuard?.wrong.map((w) => w.at)).toEqual([after(26)]);

    // Two from each of two carriers: four wrong PINs, no carrier at three.
    await requestWith('4444', after(27), GENUINE);
    await requestWith('5555', after(28), GENUINE);
    await requestWith('6666', after(29));
    expect(account().pinGuard?.locks).toEqual([]);
    await requestWith('7777', after(30));
    expect(account().pinGuard?.locks.map((l) => l.carrier)).toEqual(['guesser.example.test']);
  });

  it('never keeps the carrier’s PIN, right or wrong, in the order', async () => {
    const wrong = await requestWith('9090', T0);
    const right = await requestWith(` ${SAMPLE_PIN} `, after(1), GENUINE);
    expect(wrong.order.provided).toMatchObject({ pinGiven: true, pinMatched: false });
    expect(right.order.provided).toMatchObject({ pinGiven: true, pinMatched: true });
    for (const o of [wrong.order, right.order]) {
      expect(o.provided).not.toHaveProperty('pin');
      expect(JSON.stringify(o)).not.toMatch(/9090|8421/);
    }
    expect(JSON.stringify(account())).not.toContain(SAMPLE_PIN);
  });
});

describe('support clears the lock', () => {
  it('for one carrier, by its domain or an address at it; that carrier starts again with three tries', async () => {
    for (const [i, pin] of ['1111', '2222', '3333'].entries()) await requestWith(pin, after(i));
    for (const [i, pin] of ['4444', '5555', '6666'].entries()) await requestWith(pin, after(3 + i), GENUINE);
    expect(account().pinGuard?.locks.map((l) => l.carrier)).toEqual(['guesser.example.test', 'northwind.example.test']);

    expect(clearPinLocks(account(), 'nobody.example.test').cleared).toEqual([]);
    const { account: cleared, cleared: gone } = clearPinLocks(account(), 'LNP@Guesser.Example.Test');
    expect(gone.map((l) => l.carrier)).toEqual(['guesser.example.test']);
    expect(cleared.pinGuard?.locks.map((l) => l.carrier)).toEqual(['northwind.example.test']);
    expect(cleared.pinGuard?.wrong.every((w) => w.carrier !== 'guesser.example.test')).toBe(true);
    // Orders made near the wrong PINs still wait for the customer.
    expect(cleared.pinGuard?.lastWrongAt).toBe(account().pinGuard?.lastWrongAt);
    await store.commit({ accounts: [cleared] });

    const next = await requestWith(SAMPLE_PIN, after(7));
    expect(next.order.state).toBe('pending_verification');
    expect(clearPinLocks(account()).cleared.map((l) => l.carrier)).toEqual(['northwind.example.test']);
  });
});

describe('auto-match never approves an order whose account saw a wrong PIN', () => {
  it('rejects with PIN_ATTEMPTS when a wrong PIN came while the order waited, whoever gave it', async () => {
    const { order } = await requestWith(SAMPLE_PIN, T0, GENUINE);
    expect(order.state).toBe('pending_verification');
    await requestWith('1234', after(5));
    const out = apply(order, { type: 'expire' }, after(72));
    expect(out.order.state).toBe('rejected');
    expect(out.order.decision).toMatchObject({ by: 'auto-match', reasonCodes: ['PIN_ATTEMPTS'] });
    expect(out.order.decision?.matchReport?.matched).toBe(true);
    expect(emails(out.effects).map((e) => e.template)).not.toContain('carrier-approval');
  });

  it('rejects when the wrong PIN came in the 24 hours before the order', async () => {
    await requestWith('1234', T0);
    const near = await requestWith(SAMPLE_PIN, after(23), GENUINE);
    expect(near.order.state).toBe('pending_verification');
    expect(apply(near.order, { type: 'expire' }, after(23 + 72)).order.decision?.reasonCodes).toEqual(['PIN_ATTEMPTS']);
  });

  it('approves an order made more than 24 hours after the last wrong PIN', async () => {
    await requestWith('1234', T0);
    const { order } = await requestWith(SAMPLE_PIN, after(25), GENUINE);
    const out = apply(order, { type: 'expire' }, after(25 + 72));
    expect(out.order.state).toBe('approved');
    expect(out.order.decision?.by).toBe('auto-match');
  });

  it('still lets the customer approve: only auto-match is held back', async () => {
    const { order } = await requestWith(SAMPLE_PIN, T0, GENUINE);
    await requestWith('1234', after(1));
    const out = apply(order, { type: 'customer-reply', decision: 'approve', from: account().email, messageId: 'yes@customer.example.test' }, after(2));
    expect(out.order.state).toBe('approved');
    expect(out.order.decision?.by).toBe('customer');
  });

  it('rejects with PIN_INVALID a PIN that matched before the PIN on file was changed, or an order made before the account had one', async () => {
    const { order } = await requestWith(SAMPLE_PIN, T0, GENUINE);
    const changed: Account = { ...account(), portOutPin: testPins.hash('5150'), portOutPinChangedAt: after(1) };
    expect(apply(order, { type: 'expire' }, after(72), changed).order.decision?.reasonCodes).toEqual(['PIN_INVALID']);

    const bakery = account('acct-bakery');
    const before = await requestWith('7777', T0, GENUINE, bakery);
    expect(before.order.state).toBe('pending_verification');
    expect(before.order.provided).toEqual(expect.objectContaining({ pinGiven: true }));
    expect(before.order.provided.pinMatched).toBeUndefined();
    const protectedNow: Account = { ...bakery, portOutPin: testPins.hash('7777') };
    expect(apply(before.order, { type: 'expire' }, after(72), protectedNow).order.decision?.reasonCodes).toEqual(['PIN_INVALID']);
  });
});
