/**
 * The inbound pipeline with mail authentication, on fakes (SPEC §10, §11): what the desk does
 * with each authentication verdict, how long a message waits for DNS, report mode, the support
 * alert throttle and its digest, and carriers on free-mail domains. The authenticator is a fake
 * that answers per From domain; the policy table itself is tested in test/domain/mail-auth.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { testDeskDeps } from '../support/test-desk.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import { AUTH_DEFER_LIMIT_MS } from '../../src/app/inbound/pipeline.js';
import type { MailAuthMode } from '../../src/domain/mail-auth.js';
import type { Account, OutboxEntry, PortOrder } from '../../src/domain/records.js';
import { testDeskConfig, TEST_MAIL_FROM, TEST_SUPPORT } from '../support/desk-config.js';
import { FakeAuthenticator, forgedFrom, signedBy, UNSIGNED } from '../support/fake-authenticator.js';
import { FixedClock } from '../support/fixed-clock.js';
import { buildMail, type MailSpec } from '../support/mail-builder.js';
import { MemoryStore } from '../support/memory-store.js';
import { bakeryAccount, sampleAccounts } from '../support/sample-accounts.js';

const MAIL_FROM = TEST_MAIL_FROM;
const SUPPORT = TEST_SUPPORT;
const CARRIER = 'ports@northwind.example.test';
const DANA = bakeryAccount().email;
const T0 = '2026-03-02T15:00:00.000Z';
const HOUR = 3_600_000;


let store: MemoryStore;
let clock: FixedClock;
let auth: FakeAuthenticator;
let desk: Desk;

function makeDesk(mode: MailAuthMode = 'enforce'): Desk {
  return createDesk(testDeskDeps({ store, clock, config: testDeskConfig({ mailAuth: { mode } }), authenticator: auth }));
}

beforeEach(() => {
  store = new MemoryStore({ accounts: sampleAccounts() });
  clock = new FixedClock(T0);
  auth = new FakeAuthenticator();
  desk = makeDesk();
});

let counter = 0;
function mail(spec: Partial<MailSpec> & Pick<MailSpec, 'from' | 'subject'>): { raw: Buffer; messageId: string } {
  const messageId = `m${++counter}@${spec.from.replace(/^.*@/, '').replace(/>.*$/, '')}`;
  return { raw: buildMail({ to: MAIL_FROM, ...spec, messageId }), messageId };
}

function request(from = CARRIER, numbers = '206-555-0100') {
  return mail({
    from: `Northwind Porting <${from}>`,
    subject: 'Port-out request PON NW-77',
    text: ['PON: NW-77', 'Account Name: Dana Whitfield', 'Service Address: 1200 Market Street', 'ZIP: 98101', `Numbers: ${numbers}`].join('\n'),
  });
}

async function placeOrder(from = CARRIER): Promise<PortOrder> {
  expect(await desk.handleMessage(request(from).raw)).toBe('processed');
  const orders = store.listOrders();
  expect(orders).toHaveLength(1);
  return orders[0]!;
}

/** Dana's answer, bound by the token of her verification. */
function answer(o: PortOrder, text = 'APPROVE') {
  return mail({ from: DANA, to: `porting+${o.token}@desk.example.test`, subject: `Re: ${o.id}`, text });
}

function at(ms: number): void {
  clock.set(new Date(Date.parse(T0) + ms));
}

function sentTo(address: string, template?: string): OutboxEntry[] {
  return store.listOutbox().filter((e) => e.to.includes(address) && (template === undefined || e.template === template));
}

describe('a DNS time-out defers the decision (SPEC §11)', () => {
  it('waits while DNS does not answer, keeps the first deferral time, and judges without it after the limit', async () => {
    const o = await placeOrder();
    auth.byDomain.set('harborlane.example.test', { ...UNSIGNED, dkim: 'temperror', dmarc: 'temperror', temporary: true });
    const reply = answer(o);
    expect(await desk.handleMessage(reply.raw)).toBe('deferred');
    expect(store.getInbound(reply.messageId)).toMatchObject({ outcome: 'deferred', deferredSince: T0, auth: { temporary: true } });
    expect(store.getOrder(o.id)).toEqual(o);

    at(AUTH_DEFER_LIMIT_MS - 1000);
    expect(await desk.handleMessage(reply.raw)).toBe('deferred');
    expect(store.getInbound(reply.messageId)!.deferredSince).toBe(T0);

    at(AUTH_DEFER_LIMIT_MS);
    expect(await desk.handleMessage(reply.raw)).toBe('review');
    expect(store.getInbound(reply.messageId)).toMatchObject({ outcome: 'review', reviewReason: 'AUTH_UNAVAILABLE' });
    expect(store.getOrder(o.id)).toEqual(o);
  });

  it('decides at once when DNS answers on a later delivery', async () => {
    const o = await placeOrder();
    auth.byDomain.set('harborlane.example.test', { ...UNSIGNED, dkim: 'temperror', dmarc: 'temperror', temporary: true });
    const reply = answer(o);
    expect(await desk.handleMessage(reply.raw)).toBe('deferred');
    auth.byDomain.set('harborlane.example.test', signedBy('harborlane.example.test'));
    expect(await desk.handleMessage(reply.raw)).toBe('processed');
    expect(store.getOrder(o.id)!.state).toBe('approved');
  });

  it('does not hold what authentication cannot change: auto-replies and other mail go on at once', async () => {
    auth.byDomain.set('elsewhere.example.test', { ...UNSIGNED, temporary: true, dmarc: 'temperror' });
    const ooo = mail({ from: 'someone@elsewhere.example.test', subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' }, text: 'Away.' });
    expect(await desk.handleMessage(ooo.raw)).toBe('ignored');
    const other = mail({ from: 'someone@elsewhere.example.test', subject: 'Invoice question', text: 'Why is my bill so high?' });
    expect(await desk.handleMessage(other.raw)).toBe('review');
  });

  it('in report mode, nothing waits: the result is recorded as it is', async () => {
    desk = makeDesk('report');
    const o = await placeOrder();
    auth.byDomain.set('harborlane.example.test', { ...UNSIGNED, dkim: 'temperror', dmarc: 'temperror', temporary: true });
    expect(await desk.handleMessage(answer(o).raw)).toBe('processed');
    expect(store.getOrder(o.id)!.state).toBe('approved');
    expect(store.getOrder(o.id)!.history.at(-1)!.detail).toContain('accepted on the secret (MAIL_AUTH=report)');
  });
});

describe('report mode records what enforce would refuse', () => {
  it('a bound reply from a domain failing DMARC p=reject decides, and the history says it would have been refused', async () => {
    desk = makeDesk('report');
    const o = await placeOrder();
    auth.byDomain.set('harborlane.example.test', forgedFrom('harborlane.example.test'));
    expect(await desk.handleMessage(answer(o).raw)).toBe('processed');
    expect(store.getOrder(o.id)!.state).toBe('approved');
    expect(store.getOrder(o.id)!.history.at(-1)!.detail).toMatch(/DMARC fails for harborlane\.example\.test .* would be refused \(MAIL_AUTH=report\)/);
  });

  it('the same reply under enforce is parked, the order untouched', async () => {
    const o = await placeOrder();
    auth.byDomain.set('harborlane.example.test', forgedFrom('harborlane.example.test'));
    const reply = answer(o);
    expect(await desk.handleMessage(reply.raw)).toBe('review');
    expect(store.getInbound(reply.messageId)).toMatchObject({ reviewReason: 'AUTH_FAILED', orderIds: [o.id], alert: 'sent' });
    expect(store.getOrder(o.id)).toEqual(o);
  });
});

describe('requests whose sender is forged', () => {
  it('a port request failing DMARC p=reject is parked unanswered: no order, nothing to the forged address', async () => {
    auth.byDomain.set('northwind.example.test', forgedFrom('northwind.example.test', 'quarantine'));
    const req = request();
    expect(await desk.handleMessage(req.raw)).toBe('review');
    expect(store.getInbound(req.messageId)).toMatchObject({ kind: 'port_request', reviewReason: 'AUTH_FAILED' });
    expect(store.listOrders()).toEqual([]);
    expect(store.listOutbox().map((e) => [e.template, e.to])).toEqual([['support-alert', [SUPPORT]]]);
  });

  it('a CSR request failing DMARC p=reject sends no CSR', async () => {
    auth.byDomain.set('harborlane.example.test', forgedFrom('harborlane.example.test'));
    const csr = mail({
      from: DANA,
      subject: 'CSR request',
      text: ['Please send me the CSR.', 'Account name: Dana Whitfield', `Account email: ${DANA}`, 'Tech prefix: 4471', 'Numbers: 206-555-0100'].join('\n'),
    });
    expect(await desk.handleMessage(csr.raw)).toBe('review');
    expect(store.getInbound(csr.messageId)).toMatchObject({ kind: 'csr_request', reviewReason: 'AUTH_FAILED' });
    expect(sentTo(DANA)).toEqual([]);
  });

  it('under p=none a DMARC fail refuses nothing', async () => {
    auth.byDomain.set('northwind.example.test', forgedFrom('northwind.example.test', 'none'));
    expect(await desk.handleMessage(request().raw)).toBe('processed');
    expect(store.listOrders()).toHaveLength(1);
  });
});

describe('carriers on free-mail domains', () => {
  const FASTMAIL_CARRIER = 'tinytel.porting@fastmail.com';

  function cancellation(from: string, o: PortOrder) {
    return mail({ from, subject: `Cancel ${o.id}`, text: `Please cancel order ${o.id}. The customer changed their mind.` });
  }

  it("another user of the carrier's free-mail domain cannot cancel its order", async () => {
    const o = await placeOrder(FASTMAIL_CARRIER);
    auth.byDomain.set('fastmail.com', signedBy('fastmail.com'));
    const forged = cancellation('someone.else@fastmail.com', o);
    expect(await desk.handleMessage(forged.raw)).toBe('review');
    expect(store.getInbound(forged.messageId)).toMatchObject({ reviewReason: 'UNKNOWN_SENDER' });
    expect(store.getOrder(o.id)!.state).toBe('pending_verification');
  });

  it('its exact address counts only when authenticated', async () => {
    const o = await placeOrder(FASTMAIL_CARRIER);
    const unsigned = cancellation(FASTMAIL_CARRIER, o);
    expect(await desk.handleMessage(unsigned.raw)).toBe('review');
    expect(store.getInbound(unsigned.messageId)).toMatchObject({ reviewReason: 'NOT_BOUND' });
    expect(store.getOrder(o.id)!.state).toBe('pending_verification');

    auth.byDomain.set('fastmail.com', signedBy('fastmail.com'));
    expect(await desk.handleMessage(cancellation(FASTMAIL_CARRIER, o).raw)).toBe('processed');
    expect(store.getOrder(o.id)!.state).toBe('canceled');
  });
});

describe('support alerts are throttled (SPEC §10)', () => {
  const unbound = (from: string, text = 'APPROVE') => mail({ from, subject: 'Re: [PO-ABCDEF] Please confirm', text });

  it('one per sender an hour: the rest are held, marked in the inbound log, and listed in the digest', async () => {
    const sent = [unbound('flood@evil.example.test'), unbound('flood@evil.example.test'), unbound('Flood@Evil.example.test')];
    for (const m of sent) await desk.handleMessage(m.raw);
    expect(sent.map((m) => store.getInbound(m.messageId)!.alert)).toEqual(['sent', 'held', 'held']);
    expect(sentTo(SUPPORT, 'support-alert')).toHaveLength(1);

    at(HOUR + 1);
    const later = unbound('flood@evil.example.test');
    await desk.handleMessage(later.raw);
    expect(store.getInbound(later.messageId)!.alert).toBe('sent');

    at(20 * HOUR);
    await desk.sendDigest();
    const digest = sentTo(SUPPORT, 'daily-digest');
    expect(digest).toHaveLength(1);
    // The recording renderer writes the template data as JSON.
    const data = JSON.parse(digest[0]!.text) as { heldAlerts: { from: string }[]; heldMore: number };
    expect(data.heldAlerts.map((a) => a.from)).toEqual(['flood@evil.example.test', 'Flood@Evil.example.test']);
    expect(data.heldMore).toBe(0);
  });

  it('ten an hour in all, however many senders', async () => {
    const senders = Array.from({ length: 12 }, (_, i) => `sender${i}@evil.example.test`);
    for (const s of senders) await desk.handleMessage(unbound(s).raw);
    expect(sentTo(SUPPORT, 'support-alert')).toHaveLength(10);
    expect(store.listInbound().filter((e) => e.alert === 'held')).toHaveLength(2);
  });

  it('a restart does not reset the count: the throttle is seeded from the inbound log', async () => {
    await desk.handleMessage(unbound('flood@evil.example.test').raw);
    desk = makeDesk();
    at(10 * 60_000);
    const again = unbound('flood@evil.example.test');
    await desk.handleMessage(again.raw);
    expect(store.getInbound(again.messageId)!.alert).toBe('held');
  });

  it('alerts about mail bound by a verification secret are never held: nobody else could have sent it', async () => {
    const o = await placeOrder();
    for (let i = 0; i < 12; i++) await desk.handleMessage(unbound(`sender${i}@evil.example.test`).raw);
    // The customer's own reply from another address, with the real token: parked, support told.
    const fromColleague = mail({ from: 'colleague@harborlane.example.test', to: `porting+${o.token}@desk.example.test`, subject: `Re: ${o.id}`, text: 'APPROVE' });
    expect(await desk.handleMessage(fromColleague.raw)).toBe('review');
    expect(store.getInbound(fromColleague.messageId)).toMatchObject({ reviewReason: 'SENDER_MISMATCH', alert: 'sent' });
  });
});
