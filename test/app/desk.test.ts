/**
 * The desk's use cases end to end with fakes: raw messages go into desk.handleMessage, and the
 * test reads what the desk recorded — disposition, orders, accounts, outbox entries with their
 * headers, the inbound log — and what the jobs and support actions change.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createDesk, type Desk } from '../../src/app/desk.js';
import type { DeskConfig } from '../../src/app/desk-core.js';
import { ActionError } from '../../src/app/support-actions.js';
import { createCalendar } from '../../src/domain/calendar.js';
import type { Account, OutboxEntry, PortOrder } from '../../src/domain/records.js';
import { silentLogger } from '../../src/logger.js';
import { testDeskConfig, TEST_MAIL_FROM, TEST_SUPPORT } from '../support/desk-config.js';
import { FakeAuthenticator, signedBy } from '../support/fake-authenticator.js';
import { FixedClock } from '../support/fixed-clock.js';
import { buildMail, type MailSpec } from '../support/mail-builder.js';
import { MemoryStore } from '../support/memory-store.js';
import { RecordingRenderer } from '../support/recording-renderer.js';
import { bakeryAccount, sampleAccounts, singleNumberAccount } from '../support/sample-accounts.js';
import { SequenceIds } from '../support/sequence-ids.js';

const MAIL_FROM = TEST_MAIL_FROM;
const SUPPORT = TEST_SUPPORT;
const CARRIER = 'ports@northwind.example.test';
const STRANGER = 'lnp@bluefin.example.test';
const DANA = bakeryAccount().email;
/** Monday 2 March 2026, 10:00 in New York. */
const T0 = '2026-03-02T15:00:00.000Z';
const HOUR = 3_600_000;

const config: DeskConfig = testDeskConfig();

let store: MemoryStore;
let renderer: RecordingRenderer;
let clock: FixedClock;
let ids: SequenceIds;
let desk: Desk;
let queuedSignals: number;
let auth: FakeAuthenticator;

beforeEach(() => {
  store = new MemoryStore({ accounts: sampleAccounts() });
  auth = new FakeAuthenticator();
  renderer = new RecordingRenderer();
  clock = new FixedClock(T0);
  ids = new SequenceIds();
  queuedSignals = 0;
  desk = createDesk({
    store,
    renderer,
    ids,
    clock,
    calendar: createCalendar({ timezone: 'America/New_York' }),
    log: silentLogger(),
    config,
    authenticator: auth,
    onQueued: () => queuedSignals++,
  });
});

// ---------------------------------------------------------------------------------------------
// Helpers

let mailCounter = 0;

function mail(spec: Partial<MailSpec> & Pick<MailSpec, 'from' | 'subject'>): { raw: Buffer; messageId: string } {
  const messageId = typeof spec.messageId === 'string' ? spec.messageId : `x${++mailCounter}@${spec.from.split('@')[1]!.replace(/>.*$/, '')}`;
  return { raw: buildMail({ to: MAIL_FROM, ...spec, messageId }), messageId };
}

function requestText(pon: string, numbers: string, extra: string[] = []): string {
  return [
    'Hello,',
    '',
    'Please port the following numbers to Northwind Telecom.',
    '',
    `PON: ${pon}`,
    'Account Name: Dana Whitfield',
    'Company: Harbor Lane Bakery LLC',
    'Service Address: 1200 Market Street',
    'City: Seattle',
    'State: WA',
    'ZIP: 98101',
    'Account Number: 100200',
    ...extra,
    `Numbers: ${numbers}`,
    '',
    'Thanks,',
    'Northwind LNP team',
  ].join('\n');
}

function portRequest(over: { from?: string; pon?: string; numbers?: string; extra?: string[]; messageId?: string } = {}) {
  const pon = over.pon ?? 'NW-1001';
  return mail({
    from: `Northwind Porting <${over.from ?? CARRIER}>`,
    subject: `Port-out request PON ${pon}`,
    ...(over.messageId ? { messageId: over.messageId } : {}),
    text: requestText(pon, over.numbers ?? '206-555-0100', over.extra),
  });
}

function outbox(filter: { template?: string; to?: string } = {}): OutboxEntry[] {
  return store
    .listOutbox()
    .filter((e) => (filter.template === undefined || e.template === filter.template) && (filter.to === undefined || e.to.includes(filter.to)));
}

function only<T>(items: readonly T[], what = 'item'): T {
  expect(items, `exactly one ${what}`).toHaveLength(1);
  return items[0]!;
}

function order(id: string): PortOrder {
  const o = store.getOrder(id);
  expect(o, `order ${id}`).toBeDefined();
  return o!;
}

function account(id: string): Account {
  return store.getAccount(id)!;
}

function at(hours: number): void {
  clock.set(new Date(Date.parse(T0) + hours * HOUR));
}

/** A bakery order waiting for Dana's answer, from one carrier request at T0. */
async function placeOrder(numbers = '206-555-0100'): Promise<PortOrder> {
  const req = portRequest({ numbers });
  expect(await desk.handleMessage(req.raw)).toBe('processed');
  const created = store.listOrders();
  return only(created, 'order');
}

async function approvedOrder(): Promise<PortOrder> {
  const o = await placeOrder();
  at(2);
  const reply = mail({ from: DANA, to: `porting+${o.token}@desk.example.test`, subject: `Re: [customer-verification] ${o.id}`, text: 'APPROVE' });
  expect(await desk.handleMessage(reply.raw)).toBe('processed');
  expect(order(o.id).state).toBe('approved');
  return order(o.id);
}

function newEntries(before: readonly OutboxEntry[]): OutboxEntry[] {
  const seen = new Set(before.map((e) => e.id));
  return store.listOutbox().filter((e) => !seen.has(e.id));
}

// ---------------------------------------------------------------------------------------------

describe('a carrier port request', () => {
  it('creates an order, acknowledges the carrier and sends the verification with a +token Reply-To', async () => {
    const req = portRequest();
    expect(await desk.handleMessage(req.raw, { mailbox: 'INBOX', uid: 41, uidValidity: '7' })).toBe('processed');

    const o = only(store.listOrders(), 'order');
    expect(o).toMatchObject({ state: 'pending_verification', accountId: 'acct-bakery', dids: ['+12065550100'], sourceMessageIds: [req.messageId] });
    expect(o.carrier).toMatchObject({ email: CARRIER, pon: 'NW-1001' });

    const ack = only(outbox({ template: 'carrier-acknowledgement' }));
    expect(ack).toMatchObject({ to: [CARRIER], from: MAIL_FROM, inReplyTo: req.messageId, autoSubmitted: 'auto-replied', orderId: o.id, status: 'queued' });
    expect(ack.references).toEqual([req.messageId]);
    expect(ack.subject).toContain(o.id);
    expect(ack.replyTo).toBeUndefined();

    const verification = only(outbox({ template: 'customer-verification' }));
    expect(verification.to).toEqual([DANA]);
    expect(verification.cc).toEqual([]);
    expect(verification.replyTo).toBe(`porting+${o.token}@desk.example.test`);
    expect(verification.messageId).toBe(o.verification!.messageId);
    expect(verification.autoSubmitted).toBe('auto-generated');
    expect(verification.subject).toContain(o.id);
    expect(outbox()).toHaveLength(2);
    expect(queuedSignals).toBe(1);

    const logged = store.getInbound(req.messageId)!;
    expect(logged).toMatchObject({
      key: req.messageId,
      messageId: req.messageId,
      mailbox: 'INBOX',
      uid: 41,
      uidValidity: '7',
      from: CARRIER,
      kind: 'port_request',
      outcome: 'processed',
      orderIds: [o.id],
      at: T0,
    });
  });

  it('handles the same message only once: the second delivery returns the stored disposition and sends nothing', async () => {
    const req = portRequest();
    expect(await desk.handleMessage(req.raw)).toBe('processed');
    const outboxBefore = store.listOutbox();
    const commits = store.commits.length;

    at(1);
    expect(await desk.handleMessage(req.raw, { mailbox: 'INBOX', uid: 99, uidValidity: '7' })).toBe('processed');
    expect(store.listOrders()).toHaveLength(1);
    expect(newEntries(outboxBefore)).toEqual([]);
    expect(store.commits.length).toBe(commits);
    expect(store.getInbound(req.messageId)!.at).toBe(T0);
  });

  it('handles a message without Message-ID once too, keyed by its content', async () => {
    const raw = buildMail({ from: `Northwind <${CARRIER}>`, to: MAIL_FROM, subject: 'Port-out request PON NW-1001', messageId: null, text: requestText('NW-1001', '206-555-0100') });
    expect(await desk.handleMessage(raw)).toBe('processed');
    const count = store.listOutbox().length;
    expect(await desk.handleMessage(raw)).toBe('processed');
    expect(store.listOutbox()).toHaveLength(count);
    expect(store.listOrders()).toHaveLength(1);
    expect(only(store.listInbound()).key).toMatch(/^sha256:/);
  });

  it('answers the same carrier resending the request under a new Message-ID without a second order', async () => {
    const first = await placeOrder();
    const before = store.listOutbox();
    at(1);
    const again = portRequest({ messageId: 'resend-1@northwind.example.test' });
    expect(await desk.handleMessage(again.raw)).toBe('processed');

    expect(store.listOrders()).toHaveLength(1);
    expect(order(first.id).sourceMessageIds).toEqual([first.sourceMessageIds[0], 'resend-1@northwind.example.test']);
    const sent = newEntries(before);
    expect(sent.map((e) => e.template)).toEqual(['carrier-acknowledgement']);
    expect(sent[0]!.inReplyTo).toBe('resend-1@northwind.example.test');
  });

  it('rejects a request from another carrier for a number with an open order (TN_PENDING_ORDER), leaving the first order alone', async () => {
    const first = await placeOrder();
    const other = portRequest({ from: STRANGER, pon: 'BF-77' });
    expect(await desk.handleMessage(other.raw)).toBe('processed');

    expect(order(first.id)).toEqual(first);
    const second = store.listOrders().find((o) => o.id !== first.id)!;
    expect(second).toMatchObject({ state: 'rejected', decision: { by: 'desk', reasonCodes: ['TN_PENDING_ORDER'] } });
    expect(only(outbox({ template: 'carrier-rejection' }))).toMatchObject({ to: [STRANGER], inReplyTo: other.messageId });
    expect(only(outbox({ template: 'customer-decision' })).to).toEqual([DANA]);
  });

  it('sends a request without numbers to review and tells the carrier what is missing (MISSING_INFORMATION)', async () => {
    const req = mail({
      from: `Northwind Porting <${CARRIER}>`,
      subject: 'Port-out request PON NW-5005',
      text: ['Please port our numbers.', '', 'PON: NW-5005', 'Account Name: Dana Whitfield', 'Service Address: 1200 Market Street', 'ZIP: 98101'].join('\n'),
    });
    expect(await desk.handleMessage(req.raw)).toBe('review');
    expect(store.listOrders()).toEqual([]);
    const rejection = only(outbox({ template: 'carrier-rejection' }));
    expect(rejection).toMatchObject({ to: [CARRIER], inReplyTo: req.messageId, autoSubmitted: 'auto-replied' });
    const data = renderer.calls.find((c) => c.template === 'carrier-rejection')!.data;
    expect((data['reasons'] as { code: string }[]).map((r) => r.code)).toEqual(['MISSING_INFORMATION']);
    expect(data['missing']).toContain('telephone numbers');
    expect(only(outbox({ template: 'support-alert' })).to).toEqual([SUPPORT]);
  });

  it('handles two concurrent deliveries of the same message once', async () => {
    const req = portRequest();
    const results = await Promise.all([desk.handleMessage(req.raw), desk.handleMessage(req.raw)]);
    expect(results).toEqual(['processed', 'processed']);
    expect(store.listOrders()).toHaveLength(1);
    expect(outbox()).toHaveLength(2);
  });

  it('decides messages handed over together in the order they came, even when the first takes longer to read', async () => {
    // Two carriers ask for the same number; the first one's message is far longer to parse.
    const padding = Array.from({ length: 4000 }, (_, i) => `Note ${i}: the customer asked us to keep this request on file.`);
    const first = portRequest({ extra: padding });
    const second = portRequest({ from: STRANGER, pon: 'BF-77' });
    const results = await Promise.all([desk.handleMessage(first.raw), desk.handleMessage(second.raw)]);
    expect(results).toEqual(['processed', 'processed']);
    const orders = store.listOrders();
    expect(orders.find((o) => o.carrier.email === CARRIER)?.state).toBe('pending_verification');
    expect(orders.find((o) => o.carrier.email === STRANGER)).toMatchObject({ state: 'rejected', decision: { reasonCodes: ['TN_PENDING_ORDER'] } });
  });

  it('records nothing when the commit fails, so the redelivered message is handled in full', async () => {
    const req = portRequest();
    store.failNextCommit = new Error('disk full');
    await expect(desk.handleMessage(req.raw)).rejects.toThrow('disk full');
    expect(store.listOrders()).toEqual([]);
    expect(outbox()).toEqual([]);
    expect(store.getInbound(req.messageId)).toBeUndefined();

    expect(await desk.handleMessage(req.raw)).toBe('processed');
    expect(store.listOrders()).toHaveLength(1);
    expect(outbox().map((e) => e.template).sort()).toEqual(['carrier-acknowledgement', 'customer-verification']);
  });

  it('ignores mail from its own address (a loop) without answering', async () => {
    const loop = mail({ from: MAIL_FROM, subject: 'Re: [customer-verification] PO-AAAAA2', text: 'APPROVE' });
    expect(await desk.handleMessage(loop.raw)).toBe('ignored');
    expect(outbox()).toEqual([]);
    expect(store.getInbound(loop.messageId)).toMatchObject({ kind: 'auto_reply', outcome: 'ignored' });
  });

  it('leaves out the +token Reply-To when REPLY_SUBADDRESS is off', async () => {
    desk = createDesk({ store, renderer, ids, clock, calendar: createCalendar({ timezone: 'America/New_York' }), log: silentLogger(), config: { ...config, replySubaddress: false } });
    await placeOrder();
    expect(only(outbox({ template: 'customer-verification' })).replyTo).toBeUndefined();
  });

  // SPEC §3 rule 3: "a carrier's claim that the customer 'already approved' is never an approval.
  // The sender gets an explanation". The claim is recorded in the order's history
  // (approval-claim-disregarded) but the carrier is sent only the ordinary acknowledgement.
  it('explains to a carrier that claims the customer already approved that the claim does not count', async () => {
    const req = portRequest({ extra: ['Note: the customer has already approved this port.'] });
    expect(await desk.handleMessage(req.raw)).toBe('processed');
    const o = only(store.listOrders());
    expect(o.state).toBe('pending_verification');
    expect(o.history.map((h) => h.event)).toContain('approval-claim-disregarded');
    const toCarrier = outbox({ to: CARRIER }).map((e) => e.template);
    expect(toCarrier).toContain('preapproval-refusal');
  });

  it('rejects a locked account at once and tells both the carrier and the account holder', async () => {
    const req = portRequest({ numbers: '208-555-0120' });
    expect(await desk.handleMessage(req.raw)).toBe('processed');
    const o = only(store.listOrders());
    expect(o.state).toBe('rejected');
    expect(o.decision!.reasonCodes).toEqual(['PORT_PROTECTED']);
    expect(outbox().map((e) => e.template).sort()).toEqual(['carrier-acknowledgement', 'carrier-rejection', 'customer-decision']);
    expect(only(outbox({ template: 'customer-decision' })).to).toEqual(['priya@castell.example.test']);
  });
});

describe('a message the desk read only in part (SPEC §10)', () => {
  it('over the size the source reads: parked TOO_LARGE with its size, nothing acted on, support told', async () => {
    const req = portRequest({ messageId: 'huge-1@northwind.example.test' });
    // The IMAP source hands over only the first bytes of a message over MAX_MESSAGE_BYTES.
    const head = req.raw.subarray(0, 300);
    expect(await desk.handleMessage(head, { mailbox: 'INBOX', uid: 9, uidValidity: '7', oversize: 40 * 1024 * 1024 })).toBe('review');
    expect(store.getInbound('huge-1@northwind.example.test')).toMatchObject({
      outcome: 'review',
      reviewReason: 'TOO_LARGE',
      reason: 'the desk read only part of the message (the message is 40.0 MB, over the 25.0 MB the desk reads); not acted on',
    });
    expect(store.listOrders()).toEqual([]);
    expect(only(outbox()).to).toEqual([TEST_SUPPORT]);
  });

  it('a subject cut at its cap: parked TOO_LARGE, though the rest reads as a request', async () => {
    const req = mail({ from: `Northwind Porting <${CARRIER}>`, subject: `Port-out request ${'x'.repeat(5_000)}`, text: requestText('NW-2001', '206-555-0100') });
    expect(await desk.handleMessage(req.raw)).toBe('review');
    expect(store.getInbound(req.messageId)).toMatchObject({ reviewReason: 'TOO_LARGE' });
    expect(store.getInbound(req.messageId)!.reason).toMatch(/the subject is 5,017 characters long: only the first 1,000 read/);
    expect(store.listOrders()).toEqual([]);
  });
});

describe('limits per sender count at the pace mail arrived (SPEC §10)', () => {
  const request = (i: number) => portRequest({ pon: `NW-B${i}`, messageId: `backlog-${i}@northwind.example.test` });

  it('a backlog read at once after an outage: requests that reached the mailbox over hours are not a flood', async () => {
    const now = clock.now().getTime();
    for (let i = 0; i < 35; i += 1) {
      // 35 requests over the last 35 × 4 minutes, as the IMAP server's INTERNALDATE says.
      const receivedAt = new Date(now - (35 - i) * 4 * 60_000);
      await desk.handleMessage(request(i).raw, { mailbox: 'INBOX', uid: i + 1, uidValidity: '7', receivedAt });
    }
    const entries = Array.from({ length: 35 }, (_, i) => store.getInbound(`backlog-${i}@northwind.example.test`)!);
    // (The customer's own daily limit still holds: these all name one account.)
    expect(entries.filter((e) => e.reviewReason === 'RATE_LIMITED' && /port requests in the last hour/.test(e.reason ?? ''))).toEqual([]);
    expect(entries[0]!.receivedAt).toBe(new Date(now - 35 * 4 * 60_000).toISOString());
  });

  it('the same requests arriving within the hour: past MAX_REQUESTS_PER_CARRIER_PER_HOUR they wait in Review', async () => {
    const now = clock.now().getTime();
    for (let i = 0; i < 35; i += 1) {
      await desk.handleMessage(request(i).raw, { mailbox: 'INBOX', uid: i + 1, uidValidity: '7', receivedAt: new Date(now - (35 - i) * 60_000) });
    }
    const limited = Array.from({ length: 35 }, (_, i) => store.getInbound(`backlog-${i}@northwind.example.test`)!).filter(
      (e) => e.reviewReason === 'RATE_LIMITED' && /port requests in the last hour/.test(e.reason ?? ''),
    );
    expect(limited).toHaveLength(5);
  });

  it('a Date in the future from the mail server counts as now', async () => {
    const later = new Date(clock.now().getTime() + 86_400_000);
    await desk.handleMessage(request(1).raw, { mailbox: 'INBOX', uid: 1, uidValidity: '7', receivedAt: later });
    expect(store.getInbound('backlog-1@northwind.example.test')!.receivedAt).toBeUndefined();
  });
});

describe('verification replies (rules 3, 4, 5)', () => {
  it('takes a reply tied by the token in the reply address', async () => {
    const o = await placeOrder();
    at(2);
    const reply = mail({ from: DANA, to: `porting+${o.token}@desk.example.test`, subject: 'Re: please confirm', text: 'APPROVE\n\nDana' });
    expect(await desk.handleMessage(reply.raw)).toBe('processed');

    const now = order(o.id);
    expect(now.state).toBe('approved');
    expect(now.decision!.by).toBe('customer');
    expect(now.history.at(-1)!.detail).toContain('bound by reply-address token');
    expect(now.history.at(-1)!.detail).toContain('accepted on the strength of the verification secret');
    const approval = only(outbox({ template: 'carrier-approval' }));
    expect(approval).toMatchObject({ to: [CARRIER], inReplyTo: o.sourceMessageIds[0], autoSubmitted: 'auto-replied' });
    const decision = only(outbox({ template: 'customer-decision' }));
    expect(decision).toMatchObject({ to: [DANA], inReplyTo: o.verification!.messageId, autoSubmitted: 'auto-generated' });
    expect(store.getInbound(reply.messageId)).toMatchObject({ kind: 'verification_reply', outcome: 'processed', orderIds: [o.id] });
  });

  it('takes a reply tied by In-Reply-To to the verification', async () => {
    const o = await placeOrder();
    at(3);
    const reply = mail({ from: DANA, subject: 'Re: your message', inReplyTo: o.verification!.messageId, references: [o.verification!.messageId], text: 'REJECT. I did not ask for this.' });
    expect(await desk.handleMessage(reply.raw)).toBe('processed');

    const now = order(o.id);
    expect(now.state).toBe('rejected');
    expect(now.decision!.reasonCodes).toEqual(['CUSTOMER_REJECTED']);
    expect(now.history.at(-1)!.detail).toContain('threading headers');
    expect(only(outbox({ template: 'carrier-rejection' })).to).toEqual([CARRIER]);
  });

  it('takes no decision from a reply tied only by the order id in a Re: subject: Review NOT_BOUND, order unchanged', async () => {
    const o = await placeOrder();
    const before = store.listOutbox();
    at(3);
    // The carrier has the order id from its acknowledgement: the subject proves nothing.
    const reply = mail({ from: DANA.toUpperCase(), subject: `Re: [customer-verification] ${o.id}`, text: 'Yes, I approve.' });
    expect(await desk.handleMessage(reply.raw)).toBe('review');
    expect(order(o.id)).toEqual(o);
    expect(store.getInbound(reply.messageId)).toMatchObject({ outcome: 'review', reviewReason: 'NOT_BOUND', orderIds: [o.id] });
    expect(newEntries(before).map((e) => [e.template, e.to])).toEqual([['support-alert', [SUPPORT]]]);
  });

  it('takes a reply to the reminder, tied through the outbox Message-ID', async () => {
    const o = await placeOrder();
    at(25);
    await desk.sendReminders();
    const reminder = only(outbox({ template: 'customer-reminder' }));
    at(26);
    const reply = mail({ from: DANA, subject: 'Re: reminder', inReplyTo: reminder.messageId, text: 'APPROVE' });
    expect(await desk.handleMessage(reply.raw)).toBe('processed');
    expect(order(o.id).state).toBe('approved');
  });

  it('reads the decision from the new text only, not from the quoted verification', async () => {
    const o = await placeOrder();
    at(3);
    const reply = mail({
      from: DANA,
      to: `porting+${o.token}@desk.example.test`,
      subject: `Re: [customer-verification] ${o.id}`,
      inReplyTo: o.verification!.messageId,
      text: [
        'No. I do not approve this, I never asked to move my number.',
        '',
        'On Mon, Mar 2, 2026 at 10:00 AM Port-out desk <porting@desk.example.test> wrote:',
        '> To approve this port-out, reply APPROVE.',
        '> To refuse it, reply REJECT.',
      ].join('\n'),
    });
    expect(await desk.handleMessage(reply.raw)).toBe('processed');
    expect(order(o.id).state).toBe('rejected');
    expect(order(o.id).decision!.reasonCodes).toEqual(['CUSTOMER_REJECTED']);
  });

  it('does not take a reply from another address as a decision: review, support alerted, order unchanged', async () => {
    const o = await placeOrder();
    const before = store.listOutbox();
    at(2);
    const reply = mail({ from: 'someone@elsewhere.example.test', to: `porting+${o.token}@desk.example.test`, subject: `Re: [customer-verification] ${o.id}`, inReplyTo: o.verification!.messageId, text: 'APPROVE' });
    expect(await desk.handleMessage(reply.raw)).toBe('review');

    expect(order(o.id)).toEqual(o);
    const sent = newEntries(before);
    const alert = only(sent, 'new e-mail');
    expect(alert.template).toBe('support-alert');
    expect(alert.to).toEqual([SUPPORT]);
    expect(alert.autoSubmitted).toBe('auto-generated');
    expect(store.getInbound(reply.messageId)).toMatchObject({ kind: 'verification_reply', outcome: 'review', orderIds: [o.id] });
  });

  it('ignores an auto-reply to the verification: no decision, no e-mail', async () => {
    const o = await placeOrder();
    const before = store.listOutbox();
    at(2);
    const auto = mail({
      from: DANA,
      to: `porting+${o.token}@desk.example.test`,
      subject: `Automatic reply: [customer-verification] ${o.id}`,
      inReplyTo: o.verification!.messageId,
      headers: { 'Auto-Submitted': 'auto-replied' },
      text: 'I am out of the office until Monday. I approve of nothing until then.',
    });
    expect(await desk.handleMessage(auto.raw)).toBe('ignored');
    expect(order(o.id)).toEqual(o);
    expect(newEntries(before)).toEqual([]);
    expect(store.getInbound(auto.messageId)).toMatchObject({ kind: 'auto_reply', outcome: 'ignored' });
  });

  it('asks again on an unclear reply, with the +token Reply-To, and keeps the deadline', async () => {
    const o = await placeOrder();
    at(4);
    const reply = mail({ from: DANA, to: `porting+${o.token}@desk.example.test`, subject: `Re: [customer-verification] ${o.id}`, text: 'What is this about? Who is Northwind?' });
    expect(await desk.handleMessage(reply.raw)).toBe('processed');

    const now = order(o.id);
    expect(now.state).toBe('pending_verification');
    expect(now.verification!.expiresAt).toBe(o.verification!.expiresAt);
    const ask = only(outbox({ template: 'customer-unclear' }));
    expect(ask).toMatchObject({ to: [DANA], inReplyTo: reply.messageId, replyTo: `porting+${o.token}@desk.example.test`, autoSubmitted: 'auto-replied' });
  });

  it('refuses an approval sent before any verification: the sender is told, support alerted, no order changes', async () => {
    const o = await placeOrder();
    const before = store.listOutbox();
    const early = mail({ from: DANA, subject: 'Porting my numbers', text: 'I approve porting my numbers to Northwind.' });
    expect(await desk.handleMessage(early.raw)).toBe('processed');

    expect(order(o.id)).toEqual(o);
    const sent = newEntries(before);
    expect(sent.map((e) => e.template).sort()).toEqual(['preapproval-refusal', 'support-alert']);
    expect(sent.find((e) => e.template === 'preapproval-refusal')).toMatchObject({ to: [DANA], inReplyTo: early.messageId, autoSubmitted: 'auto-replied' });
  });

  it('answers an approval of a rejected order with already-rejected and keeps it rejected', async () => {
    const o = await placeOrder();
    at(2);
    await desk.handleMessage(mail({ from: DANA, to: `porting+${o.token}@desk.example.test`, subject: `Re: [customer-verification] ${o.id}`, text: 'REJECT' }).raw);
    expect(order(o.id).state).toBe('rejected');
    at(3);
    // An answer to the decision e-mail: its client keeps the verification in References.
    const decisionMail = only(outbox({ template: 'customer-decision' }));
    const late = mail({
      from: DANA,
      subject: `Re: [customer-decision] ${o.id}`,
      inReplyTo: decisionMail.messageId,
      references: [o.verification!.messageId, decisionMail.messageId],
      text: 'Sorry, I approve after all.',
    });
    expect(await desk.handleMessage(late.raw)).toBe('processed');
    expect(order(o.id).state).toBe('rejected');
    expect(only(outbox({ template: 'already-rejected' }))).toMatchObject({ to: [DANA], inReplyTo: late.messageId });
    expect(outbox({ template: 'carrier-approval' })).toEqual([]);
  });
});

describe('CSR requests (SPEC §4)', () => {
  function csrRequest(from: string, over: { prefix?: string; name?: string } = {}) {
    return mail({
      from,
      subject: 'CSR request',
      text: [
        'Hi, please send me the CSR for my account.',
        '',
        `Account name: ${over.name ?? 'Dana Whitfield'}`,
        `Account email: ${DANA}`,
        `Tech prefix: ${over.prefix ?? '4471'}`,
        'Numbers: 206-555-0100, 206-555-0101',
      ].join('\n'),
    });
  }

  it('sends the CSR to the address on file with support in copy when everything matches', async () => {
    const req = csrRequest(DANA);
    expect(await desk.handleMessage(req.raw)).toBe('processed');

    const csr = only(outbox(), 'e-mail');
    expect(csr).toMatchObject({ template: 'csr', to: [DANA], cc: [SUPPORT], inReplyTo: req.messageId, autoSubmitted: 'auto-replied' });
    const data = renderer.calls.find((c) => c.template === 'csr')!.data;
    expect(data['account']).toMatchObject({ name: 'Dana Whitfield', accountNumber: '100200' });
    expect(data['numbers']).toEqual([
      { number: '(206) 555-0100', status: 'active' },
      { number: '(206) 555-0101', status: 'active' },
    ]);
    expect(only(store.listCsrRequests())).toMatchObject({ from: DANA, accountId: 'acct-bakery', outcome: 'sent', reasons: [] });
    expect(store.getInbound(req.messageId)).toMatchObject({ kind: 'csr_request', outcome: 'processed' });
  });

  it.each([
    ['from another address', () => csrRequest('impostor@elsewhere.example.test')],
    ['with the wrong tech prefix', () => csrRequest(DANA, { prefix: '9999' })],
    ['with the wrong name', () => csrRequest(DANA, { name: 'Sam Rivera' })],
  ])('sends no account data when the request comes %s: csr-received to the sender, csr-needs-review to support', async (_what, build) => {
    const req = build();
    const sender = req.raw.toString().match(/^From: (.+)$/m)![1]!.trim();
    expect(await desk.handleMessage(req.raw)).toBe('review');

    const sent = outbox();
    expect(sent.map((e) => e.template).sort()).toEqual(['csr-needs-review', 'csr-received']);
    const ack = only(outbox({ template: 'csr-received' }));
    expect(ack.to).toEqual([sender]);
    expect(ack.cc).toEqual([]);
    const review = only(outbox({ template: 'csr-needs-review' }));
    expect(review.to).toEqual([SUPPORT]);
    expect((renderer.calls.find((c) => c.template === 'csr-needs-review')!.data['problems'] as string[]).length).toBeGreaterThan(0);

    // Nothing on file reaches the sender: not the address, the account number, the company.
    for (const e of sent.filter((x) => x.to.includes(sender) || x.cc.includes(sender))) {
      const everything = `${e.subject}\n${e.text}\n${e.html}`;
      for (const secret of ['1200 Market', '100200', 'Harbor Lane', '98101', 'Suite 4']) expect(everything).not.toContain(secret);
    }
    expect(only(store.listCsrRequests()).outcome).toBe('needs-review');
    expect(outbox({ template: 'csr' })).toEqual([]);
  });
});

describe('carrier notices (rules 9, 10)', () => {
  it('completes an approved order on the carrier completion notice and tells the customer', async () => {
    const o = await approvedOrder();
    at(30);
    // Out of the desk's thread, so it counts on an aligned DKIM pass for the carrier's domain.
    auth.byDomain.set('northwind.example.test', signedBy('northwind.example.test'));
    const notice = mail({ from: CARRIER, subject: `Port completed: ${o.id}`, text: `The port for order ${o.id} (PON NW-1001) has been completed.\nTN: 206-555-0100` });
    expect(await desk.handleMessage(notice.raw)).toBe('processed');

    const now = order(o.id);
    expect(now.state).toBe('completed');
    expect(now.sourceMessageIds).toContain(notice.messageId);
    const acct = account('acct-bakery');
    expect(acct.dids).toEqual([
      expect.objectContaining({ number: '+12065550100', status: 'ported-out', portOrderId: o.id }),
      { number: '+12065550101', status: 'active' },
    ]);
    const done = only(outbox({ template: 'customer-completion' }));
    expect(done.to).toEqual([DANA]);
    expect(renderer.calls.find((c) => c.template === 'customer-completion')!.data['lastNumberGone']).toBe(false);
    expect(store.getInbound(notice.messageId)).toMatchObject({ kind: 'completion_notice', outcome: 'processed', orderIds: [o.id] });
  });

  it('tells the customer about the admin fee when the last number left', async () => {
    const req = mail({
      from: `Northwind Porting <${CARRIER}>`,
      subject: 'Port-out request PON NW-3003',
      text: ['Please port the following number.', '', 'PON: NW-3003', 'Account Name: Leah Okafor', 'Service Address: 310 Lakeview Drive', 'ZIP: 53703', 'Numbers: 608-555-0130'].join('\n'),
    });
    expect(await desk.handleMessage(req.raw)).toBe('processed');
    const o = only(store.listOrders());
    await desk.handleMessage(mail({ from: singleNumberAccount().email, to: `porting+${o.token}@desk.example.test`, subject: `Re: [customer-verification] ${o.id}`, text: 'APPROVE' }).raw);
    expect(order(o.id).state).toBe('approved');
    const completed = await desk.completeOrder(o.id);
    expect(completed.state).toBe('completed');
    expect(renderer.calls.find((c) => c.template === 'customer-completion')!.data['lastNumberGone']).toBe(true);
    expect(account('acct-single').dids).toEqual([expect.objectContaining({ number: '+16085550130', status: 'ported-out' })]);
    expect(account('acct-single').status).toBe('open');
  });

  it('sends a completion notice from another carrier to review and leaves the order approved', async () => {
    const o = await approvedOrder();
    const before = store.listOutbox();
    at(30);
    const notice = mail({ from: STRANGER, subject: `Port completed: ${o.id}`, text: `The port for order ${o.id} has been completed.\nTN: 206-555-0100` });
    expect(await desk.handleMessage(notice.raw)).toBe('review');
    expect(order(o.id)).toEqual(o);
    expect(account('acct-bakery').dids.every((d) => d.status === 'active')).toBe(true);
    expect(newEntries(before).map((e) => e.template)).toEqual(['support-alert']);
  });

  // SPEC §3 rule 10: the carrier's completion notice completes the order. A carrier that answers
  // the desk's approval e-mail ("Re: … PO-…", In-Reply-To the approval) is classified as a
  // verification reply and handleReply sends it to Review because the sender is not the
  // customer: the order stays approved and is later canceled as NOT_COMPLETED_IN_TIME.
  it('completes the order when the carrier answers the approval e-mail with a completion notice', async () => {
    const o = await approvedOrder();
    const approval = only(outbox({ template: 'carrier-approval' }));
    at(30);
    const notice = mail({
      from: CARRIER,
      subject: `Re: ${approval.subject}`,
      inReplyTo: approval.messageId,
      references: [approval.messageId],
      text: `The port for order ${o.id} has been completed.`,
    });
    expect(await desk.handleMessage(notice.raw)).toBe('processed');
    expect(order(o.id).state).toBe('completed');
  });

  it('alerts support when a verification bounces, and sends nothing else', async () => {
    const o = await placeOrder();
    const before = store.listOutbox();
    const bounce = mail({
      from: 'MAILER-DAEMON@mx.example.test',
      subject: 'Undelivered Mail Returned to Sender',
      references: [o.verification!.messageId],
      text: `Final-Recipient: rfc822; ${DANA}\nAction: failed\nStatus: 5.1.1\n`,
    });
    expect(await desk.handleMessage(bounce.raw)).toBe('ignored');
    expect(order(o.id)).toEqual(o);
    expect(newEntries(before).map((e) => [e.template, e.to])).toEqual([['support-alert', [SUPPORT]]]);
    expect(store.getInbound(bounce.messageId)).toMatchObject({ kind: 'bounce', outcome: 'ignored', orderIds: [o.id] });
  });

  it('cancels an open order on the carrier cancellation, carrier and customer told', async () => {
    const o = await placeOrder();
    at(5);
    auth.byDomain.set('northwind.example.test', signedBy('northwind.example.test'));
    const cancel = mail({ from: CARRIER, subject: `Cancel ${o.id}`, text: `Please cancel order ${o.id}, PON NW-1001. The customer changed their mind.` });
    expect(await desk.handleMessage(cancel.raw)).toBe('processed');

    const now = order(o.id);
    expect(now.state).toBe('canceled');
    expect(now.decision).toMatchObject({ by: 'carrier', reasonCodes: ['CARRIER_CANCELED'] });
    expect(only(outbox({ template: 'carrier-cancellation' }))).toMatchObject({ to: [CARRIER], inReplyTo: cancel.messageId, autoSubmitted: 'auto-replied' });
    expect(only(outbox({ template: 'customer-cancellation' })).to).toEqual([DANA]);
  });
});

describe('jobs are safe to run twice (SPEC §8)', () => {
  it('sends one reminder after REMINDER_AFTER, threaded to the verification, and none on a second run', async () => {
    const o = await placeOrder();
    at(23);
    expect((await desk.sendReminders()).changed).toBe(0);
    at(25);
    expect((await desk.sendReminders()).changed).toBe(1);
    expect((await desk.sendReminders()).changed).toBe(0);
    at(40);
    expect((await desk.sendReminders()).changed).toBe(0);

    const reminder = only(outbox({ template: 'customer-reminder' }));
    expect(reminder).toMatchObject({ to: [DANA], inReplyTo: o.verification!.messageId, replyTo: `porting+${o.token}@desk.example.test`, autoSubmitted: 'auto-generated' });
    expect(order(o.id).verification!.reminderSentAt).toBe(new Date(Date.parse(T0) + 25 * HOUR).toISOString());
  });

  it('auto-matches expired verifications once', async () => {
    const o = await placeOrder();
    at(71);
    expect((await desk.expireVerifications()).changed).toBe(0);
    at(72);
    const first = await desk.expireVerifications();
    expect(first.changed).toBe(1);
    expect(first.detail).toEqual({ approved: 1 });
    const count = store.listOutbox().length;
    expect((await desk.expireVerifications()).changed).toBe(0);
    expect(store.listOutbox()).toHaveLength(count);

    const now = order(o.id);
    expect(now.state).toBe('approved');
    expect(now.decision!.by).toBe('auto-match');
    expect(now.focDate).toBe('2026-03-06');
    expect(only(outbox({ template: 'carrier-approval' })).to).toEqual([CARRIER]);
  });

  it('replays a reply a job already decided: a reply after expiry changes nothing', async () => {
    const o = await placeOrder();
    at(72);
    await desk.expireVerifications();
    const decided = order(o.id);
    at(73);
    const late = mail({ from: DANA, to: `porting+${o.token}@desk.example.test`, subject: `Re: [customer-verification] ${o.id}`, text: 'REJECT' });
    expect(await desk.handleMessage(late.raw)).toBe('processed');
    expect(order(o.id).state).toBe('approved');
    expect(order(o.id).decision).toEqual(decided.decision);
  });

  it('cancels overdue approved orders once, with NOT_COMPLETED_IN_TIME', async () => {
    const o = await approvedOrder(); // approved Monday 2 March 12:00 EST → focDate Tuesday 3 March
    expect(o.focDate).toBe('2026-03-03');
    clock.set('2026-03-09T03:59:00.000Z');
    expect((await desk.cancelOverdue()).changed).toBe(0);
    clock.set('2026-03-09T04:00:00.000Z');
    expect((await desk.cancelOverdue()).changed).toBe(1);
    const count = store.listOutbox().length;
    expect((await desk.cancelOverdue()).changed).toBe(0);
    expect(store.listOutbox()).toHaveLength(count);

    expect(order(o.id).state).toBe('canceled');
    expect(order(o.id).decision!.reasonCodes).toEqual(['NOT_COMPLETED_IN_TIME']);
    expect(only(outbox({ template: 'carrier-cancellation' })).to).toEqual([CARRIER]);
    expect(only(outbox({ template: 'customer-cancellation' })).to).toEqual([DANA]);
  });

  it('runs all order jobs together with nothing left for a second pass', async () => {
    await placeOrder();
    at(80);
    const first = await desk.runOrderJobs();
    expect(first.map((r) => r.changed)).toEqual([0, 1, 0]);
    const second = await desk.runOrderJobs();
    expect(second.map((r) => r.changed)).toEqual([0, 0, 0]);
  });

  it('sends one digest per day in the desk time zone', async () => {
    await placeOrder();
    clock.set('2026-03-03T13:00:00.000Z'); // 08:00 EST
    expect((await desk.sendDigest()).changed).toBe(1);
    clock.set('2026-03-04T04:30:00.000Z'); // 23:30 EST, still 3 March in New York
    expect((await desk.sendDigest()).changed).toBe(0);
    expect(only(outbox({ template: 'daily-digest' })).to).toEqual([SUPPORT]);
    clock.set('2026-03-04T13:00:00.000Z');
    expect((await desk.sendDigest()).changed).toBe(1);
    expect(outbox({ template: 'daily-digest' })).toHaveLength(2);
  });
});

describe('support actions', () => {
  it('completes an approved order by support, recorded in history, customer told', async () => {
    const o = await approvedOrder();
    at(30);
    const done = await desk.completeOrder(o.id.toLowerCase());
    expect(done.state).toBe('completed');
    expect(order(o.id).state).toBe('completed');
    expect(order(o.id).history.at(-1)).toMatchObject({ event: 'completed', detail: expect.stringContaining('support') });
    expect(only(outbox({ template: 'customer-completion' })).to).toEqual([DANA]);
    expect(account('acct-bakery').dids.find((d) => d.number === '+12065550100')!.status).toBe('ported-out');
  });

  it('cancels an order by support with a reason code and a note', async () => {
    const o = await placeOrder();
    const canceled = await desk.cancelOrder(o.id, 'customer asked by phone', 'CUSTOMER_REJECTED');
    expect(canceled.state).toBe('canceled');
    expect(order(o.id).decision).toMatchObject({ by: 'support', reasonCodes: ['CUSTOMER_REJECTED'], note: 'customer asked by phone' });
    expect(only(outbox({ template: 'carrier-cancellation' })).to).toEqual([CARRIER]);
    expect(only(outbox({ template: 'customer-cancellation' })).to).toEqual([DANA]);
  });

  it('refuses an unknown order with ORDER_NOT_FOUND', async () => {
    await expect(desk.completeOrder('PO-ZZZZZZ')).rejects.toMatchObject({ name: 'ActionError', code: 'ORDER_NOT_FOUND' });
    await expect(desk.cancelOrder('PO-ZZZZZZ', 'why')).rejects.toBeInstanceOf(ActionError);
  });

  it('refuses to complete a pending order with INVALID_TRANSITION and changes nothing', async () => {
    const o = await placeOrder();
    const count = store.listOutbox().length;
    await expect(desk.completeOrder(o.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(order(o.id)).toEqual(o);
    expect(store.listOutbox()).toHaveLength(count);
  });

  it('refuses to cancel a completed order with INVALID_TRANSITION', async () => {
    const o = await approvedOrder();
    await desk.completeOrder(o.id);
    await expect(desk.cancelOrder(o.id, 'too late')).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(order(o.id).state).toBe('completed');
  });

  it('refuses an unknown reason code with BAD_REASON_CODE and changes nothing', async () => {
    const o = await placeOrder();
    await expect(desk.cancelOrder(o.id, 'why', 'BECAUSE')).rejects.toMatchObject({ code: 'BAD_REASON_CODE' });
    expect(order(o.id)).toEqual(o);
  });
});

describe('mail in a decided or carrier thread', () => {
  it('a carrier reply to the approval that is not a completion leaves the order approved', async () => {
    const o = await approvedOrder();
    const approval = only(outbox({ template: 'carrier-approval' }));
    at(30);
    const question = mail({
      from: CARRIER,
      subject: `Re: ${approval.subject} (completion date)`,
      inReplyTo: approval.messageId,
      references: [approval.messageId],
      text: 'Could you move the date one week later please?\n\nOn Mon, the desk wrote:\n> The completion date is Tuesday and the port will be completed then.',
    });
    expect(await desk.handleMessage(question.raw)).toBe('review');
    expect(order(o.id).state).toBe('approved');
    expect(account('acct-bakery').dids.every((d) => d.status === 'active')).toBe(true);
  });

  it('a completion notice from a stranger at a free-mail domain the carrier also uses is not applied', async () => {
    const req = portRequest({ from: 'ports.northwind@gmail.com' });
    expect(await desk.handleMessage(req.raw)).toBe('processed');
    const o = only(store.listOrders(), 'order');
    const notice = mail({ from: 'someone.else@gmail.com', subject: `Port completed ${o.id}`, text: `The port for order ${o.id} has been completed.` });
    expect(await desk.handleMessage(notice.raw)).toBe('review');
    expect(order(o.id).state).toBe('pending_verification');
  });

  it('a corrected request sent by the carrier in reply to our rejection becomes a new order', async () => {
    const o = await placeOrder();
    at(1);
    const no = mail({ from: DANA, to: `porting+${o.token}@desk.example.test`, subject: `Re: ${o.id}`, text: 'REJECT' });
    expect(await desk.handleMessage(no.raw)).toBe('processed');
    const rejection = only(outbox({ template: 'carrier-rejection' }));
    at(3);
    const resubmit = mail({
      from: CARRIER,
      subject: `Re: ${rejection.subject}`,
      inReplyTo: rejection.messageId,
      references: [rejection.messageId],
      text: requestText('NW-1002', '206-555-0100'),
    });
    expect(await desk.handleMessage(resubmit.raw)).toBe('processed');
    const orders = store.listOrders();
    expect(orders).toHaveLength(2);
    expect(orders.find((x) => x.id !== o.id)).toMatchObject({ state: 'pending_verification', carrier: { pon: 'NW-1002' } });
  });

  it('a customer reply to a completed order is no decision, and support is told', async () => {
    const o = await approvedOrder();
    at(30);
    await desk.completeOrder(o.id);
    const completion = only(outbox({ template: 'customer-completion' }));
    const before = store.listOutbox();
    // A mail client keeps the thread: the completion answered the verification, so both are named.
    const reply = mail({
      from: DANA,
      subject: `Re: ${completion.subject}`,
      inReplyTo: completion.messageId,
      references: [o.verification!.messageId, completion.messageId],
      text: 'Please close my account.',
    });
    expect(await desk.handleMessage(reply.raw)).toBe('processed');
    expect(order(o.id).state).toBe('completed');
    expect(newEntries(before).map((e) => [e.template, e.to])).toEqual([['support-alert', [SUPPORT]]]);
  });

  it('stops asking after two unclear replies and tells support instead', async () => {
    const o = await placeOrder();
    const ask = (n: number) => mail({ from: DANA, to: `porting+${o.token}@desk.example.test`, subject: `Re: ${o.id}`, text: `What is this? (${n})` });
    for (const n of [1, 2, 3, 4]) expect(await desk.handleMessage(ask(n).raw)).toBe('processed');
    expect(outbox({ template: 'customer-unclear' })).toHaveLength(2);
    expect(outbox({ template: 'support-alert' })).toHaveLength(2);
    expect(order(o.id).state).toBe('pending_verification');
  });

  it('a carrier claim of approval in quoted text only is not answered as a claim', async () => {
    const req = mail({
      from: CARRIER,
      subject: 'Port-out request PON NW-1003',
      text: `${requestText('NW-1003', '206-555-0100')}\n\n> Earlier note: the customer has already approved this.`,
    });
    expect(await desk.handleMessage(req.raw)).toBe('processed');
    expect(outbox({ template: 'preapproval-refusal' })).toHaveLength(0);
  });
});
