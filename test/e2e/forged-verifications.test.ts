/**
 * End to end, as a fraudster would try it (SPEC §3 rule 4, §11): the real daemon with its
 * embedded SMTP listener (so SPF sees the client and MAIL FROM), a private DNS server publishing
 * DKIM keys, SPF and DMARC records, messages DKIM-signed with keys made at run time, and an SMTP
 * sink for what the desk sends. A genuine reply decides; every forgery leaves the order as it was.
 */
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerThreadIds } from '../../src/domain/binding.js';
import type { PortOrder } from '../../src/domain/records.js';
import { DESK_FROM, SUPPORT, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { buildMail, newMessageId } from '../support/mail-builder.js';
import { MailDomain } from './support/mail-domains.js';
import { account, number, orderIdOf, portRequest, replyTo, text } from './support/scenario.js';

const CARRIER = 'lnp@northwind-telecom.test';
const ATTACKER = 'attacker@evil.test';

let h: DeskHarness;
let customerMail: MailDomain;
let plainMail: MailDomain;
let carrierMail: MailDomain;
let slowMail: MailDomain;

const at = (n: number, domain: string) => `person${n}@${domain}`;

beforeAll(async () => {
  h = await startDeskHarness({
    inbound: 'smtp',
    captureLogs: true,
    accounts: [
      account(61, { email: at(61, 'customer-mail.test') }),
      account(62, { email: at(62, 'customer-mail.test') }),
      account(63, { email: at(63, 'customer-mail.test') }),
      account(64, { email: at(64, 'plainmail.test') }),
      account(65, { email: at(65, 'customer-mail.test') }),
      account(66, { email: at(66, 'slowmail.test') }),
    ],
    env: { VERIFICATION_WINDOW: '1h', REMINDER_AFTER: '30m' },
  });
  // The customers' provider signs and publishes p=reject; plainmail publishes nothing at all.
  customerMail = new MailDomain(h.dns, 'customer-mail.test', { dmarc: 'reject' });
  plainMail = new MailDomain(h.dns, 'plainmail.test');
  carrierMail = new MailDomain(h.dns, 'northwind-telecom.test', { dmarc: 'reject' });
  slowMail = new MailDomain(h.dns, 'slowmail.test', { dmarc: 'reject' });
  h.dns.set('evil.test', { TXT: ['v=spf1 ip4:127.0.0.1 -all'] });
});

afterAll(async () => {
  await h?.close();
});

/** The carrier's signed request for account n's first number; its acknowledgement and the verification. */
async function requestFor(n: number): Promise<{ orderId: string; ack: ParsedMail; verification: ParsedMail }> {
  const pon = `PON-FORGE-${n}`;
  const request = portRequest({
    pon,
    numbers: [number(n, 1)],
    name: `Customer ${n} Person`,
    street: `${100 + n} N Main St`,
    zip: '98101',
    from: `Northwind Telecom LNP <${CARRIER}>`,
    messageId: newMessageId('northwind-telecom.test'),
  });
  await h.send(await carrierMail.sign(request));
  const ack = await h.waitForMail((m) => isTo(CARRIER, m) && /received/i.test(m.subject ?? '') && text(m).includes(pon));
  const verification = await h.waitForMail((m) => (addressOf(m) ?? '').startsWith(`person${n}@`) && /confirm/i.test(m.subject ?? ''));
  expect(orderIdOf(verification)).toBe(orderIdOf(ack));
  return { orderId: orderIdOf(ack), ack, verification };
}

function addressOf(m: ParsedMail): string | undefined {
  const to = Array.isArray(m.to) ? m.to[0] : m.to;
  return to?.value[0]?.address?.toLowerCase();
}

function order(id: string): PortOrder {
  const o = h.daemon.store.getOrder(id);
  expect(o, id).toBeDefined();
  return o!;
}

function inbound(raw: Buffer) {
  const id = /^Message-ID: <([^>]+)>/im.exec(raw.toString())?.[1];
  return h.daemon.store.getInbound(id!);
}

describe('a genuine reply decides', () => {
  it('a reply DKIM-signed by the customer’s domain approves, and the order history says how it was bound and authenticated', async () => {
    const { orderId, verification } = await requestFor(61);
    const reply = await customerMail.sign(replyTo(verification, { from: at(61, 'customer-mail.test'), text: 'APPROVE\n\nThanks' }));
    await h.send(reply);
    await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approved/i.test(m.subject ?? ''));
    const o = order(orderId);
    expect(o.state).toBe('approved');
    expect(o.decision?.by).toBe('customer');
    expect(inbound(reply)).toMatchObject({ outcome: 'processed', auth: { dkim: 'pass', dmarc: 'pass', dmarcPolicy: 'reject', aligned: true, spf: 'none' } });
    const approved = o.history.find((e) => e.event === 'approved')!;
    expect(approved.detail).toMatch(/bound by reply-address token and threading headers; authenticated \(dkim=pass spf=none dmarc=pass \(p=reject\)/);
    // The carrier's signed request is authenticated too, and its history says so.
    expect(o.history[0]!.detail).toMatch(/dkim=pass .*dmarc=pass/);
  });
});

describe('forged decisions leave the order as it was', () => {
  it('by order id in the subject, by the acknowledgement’s Message-ID, by a look-alike From, and a forged REJECT', async () => {
    const { orderId, ack } = await requestFor(62);
    const customer = at(62, 'customer-mail.test');
    const before = order(orderId);
    const forgeries = [
      // The carrier has the order id from its acknowledgement.
      buildMail({ from: customer, to: DESK_FROM, subject: `Re: [${orderId}] Please confirm: request to move your phone numbers`, text: 'APPROVE' }),
      // ...and the acknowledgement's own Message-ID.
      buildMail({ from: customer, to: DESK_FROM, subject: `Re: ${ack.subject}`, inReplyTo: ack.messageId!, references: [ack.messageId!], text: 'APPROVE' }),
      // Look-alike From lines: parsers disagree on which address is the sender.
      buildMail({ from: `Customer 62 <${customer}> <${ATTACKER}>`, to: DESK_FROM, subject: `Re: [${orderId}] Please confirm`, inReplyTo: ack.messageId!, text: 'APPROVE' }),
      buildMail({ from: `"${customer}" <${ATTACKER}>`, to: DESK_FROM, subject: `Re: [${orderId}] Please confirm`, text: 'APPROVE' }),
      // A forged REJECT would kill a genuine port.
      buildMail({ from: customer, to: DESK_FROM, subject: `Re: [${orderId}] Please confirm`, text: 'REJECT' }),
    ];
    for (const raw of forgeries) await h.send(raw, { from: ATTACKER });

    expect(order(orderId)).toEqual(before);
    expect(forgeries.map((raw) => [inbound(raw)?.outcome, inbound(raw)?.reviewReason])).toEqual([
      ['review', 'NOT_BOUND'],
      ['review', 'NOT_BOUND'],
      ['review', 'NO_SENDER'],
      ['review', 'NO_SENDER'],
      ['review', 'NOT_BOUND'],
    ]);
    // Mail authentication agrees: the customer's domain signs its mail and publishes p=reject.
    expect(inbound(forgeries[0]!)?.auth).toMatchObject({ dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
    // Support hears of it, once per sender an hour; the rest waits for the digest.
    const alerts = forgeries.map((raw) => inbound(raw)!).filter((e) => e.alert === 'sent');
    expect(new Set(alerts.map((e) => e.from)).size).toBe(alerts.length);
    await h.waitForMail((m) => isTo(SUPPORT, m) && (m.subject ?? '').includes(orderId) && /no secret/i.test(m.subject ?? ''));
    // Nothing went to the customer or the attacker because of them.
    expect(h.mailsTo(ATTACKER)).toHaveLength(0);
  });

  it('an unsigned reply bound by the real token, from a domain with DMARC p=reject, is refused', async () => {
    const { orderId, verification } = await requestFor(63);
    const before = order(orderId);
    // Whoever sends this knows the token (say, a stolen e-mail), but cannot sign as the domain.
    const reply = replyTo(verification, { from: at(63, 'customer-mail.test'), text: 'APPROVE' });
    await h.send(reply, { from: ATTACKER });
    expect(inbound(reply)).toMatchObject({ outcome: 'review', reviewReason: 'AUTH_FAILED', auth: { dmarc: 'fail', dmarcPolicy: 'reject' } });
    expect(order(orderId)).toEqual(before);
  });

  it('from a domain with no DMARC record and no signature, the verification’s secret alone counts', async () => {
    const { orderId, verification } = await requestFor(64);
    const reply = replyTo(verification, { from: at(64, 'plainmail.test'), text: 'APPROVE' });
    await h.send(reply);
    expect(inbound(reply)).toMatchObject({ outcome: 'processed', auth: { dkim: 'none', dmarc: 'none', aligned: false } });
    expect(order(orderId).state).toBe('approved');
    expect(order(orderId).history.find((e) => e.event === 'approved')!.detail).toContain('accepted on the strength of the verification secret');
    expect(plainMail.name).toBe('plainmail.test');
  });
});

describe('carrier notices', () => {
  it('an unsigned completion notice out of thread from a carrier domain with DMARC is not acted on; the same notice DKIM-signed is', async () => {
    const { orderId, verification } = await requestFor(65);
    await h.send(await customerMail.sign(replyTo(verification, { from: at(65, 'customer-mail.test'), text: 'APPROVE' })));
    await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approved/i.test(m.subject ?? ''));
    const notice = (id: string) =>
      buildMail({
        from: `Northwind Telecom LNP <${CARRIER}>`,
        to: DESK_FROM,
        subject: `Port completed - ${orderId}`,
        text: `The port for order ${orderId} has been completed. ${number(65, 1)} is now active with us.`,
        messageId: id,
      });

    const forged = notice(newMessageId('northwind-telecom.test'));
    await h.send(forged, { from: ATTACKER });
    expect(inbound(forged)).toMatchObject({ kind: 'completion_notice', outcome: 'review', reviewReason: 'AUTH_FAILED' });
    expect(order(orderId).state).toBe('approved');
    expect(h.daemon.store.getAccount('ACCT-65')!.dids[0]!.status).toBe('active');

    const genuine = await carrierMail.sign(notice(newMessageId('northwind-telecom.test')));
    await h.send(genuine);
    await h.waitForMail((m) => isTo(at(65, 'customer-mail.test'), m) && (m.subject ?? '').includes(orderId) && /ported out/i.test(m.subject ?? ''));
    expect(inbound(genuine)).toMatchObject({ outcome: 'processed', auth: { dkim: 'pass', aligned: true } });
    expect(order(orderId).state).toBe('completed');
    expect(order(orderId).history.find((e) => e.event === 'completed')!.detail).toMatch(/authenticated for the carrier's domain/);
  });
});

describe('DNS that does not answer', () => {
  it('defers the message with 451 while the DKIM key look-up times out, and decides once DNS answers', async () => {
    const { orderId, verification } = await requestFor(66);
    const reply = await slowMail.sign(replyTo(verification, { from: at(66, 'slowmail.test'), text: 'APPROVE' }));
    // Without the key the signature cannot be checked, and the domain publishes p=reject: whether
    // this is the customer cannot be told yet.
    h.dns.blackhole('s1._domainkey.slowmail.test');
    try {
      await expect(h.send(reply)).rejects.toMatchObject({ responseCode: 451 });
    } finally {
      h.dns.blackhole('s1._domainkey.slowmail.test', false);
    }
    expect(inbound(reply)).toMatchObject({ outcome: 'deferred', auth: { dkim: 'temperror', dmarc: 'temperror', temporary: true } });
    expect(order(orderId).state).toBe('pending_verification');
    // The sending server tries again later, as for any 4xx.
    await h.send(reply);
    expect(inbound(reply)).toMatchObject({ outcome: 'processed', auth: { dmarc: 'pass' } });
    expect(order(orderId).state).toBe('approved');
  });
});

describe('secrets stay secret', () => {
  it('nothing sent to a carrier or to support, and no log line, carries a token or the Message-ID of an e-mail to a customer', async () => {
    await h.daemon.desk.idle();
    const orders = h.daemon.store.listOrders();
    expect(orders.length).toBeGreaterThanOrEqual(6);
    const secrets = orders.flatMap((o) => [o.token, ...customerThreadIds(o)]);
    expect(secrets.length).toBeGreaterThan(orders.length);
    const toCarrierOrSupport = h.sink.messages.filter((m) => isTo(CARRIER, m.parsed) || isTo(SUPPORT, m.parsed) || m.envelope.rcptTo.some((r) => r === CARRIER || r === SUPPORT));
    expect(toCarrierOrSupport.length).toBeGreaterThan(10);
    const logs = h.logs();
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of secrets) {
      for (const m of toCarrierOrSupport) expect(m.raw.toString('latin1'), `${m.parsed.subject}`).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
