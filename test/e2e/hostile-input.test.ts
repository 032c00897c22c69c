/**
 * End to end, as an attacker would try it (SPEC §10), through the daemon's embedded SMTP listener:
 * amplification (one request naming a thousand accounts, a flood of junk), phishing through the
 * desk (a carrier name written to speak to the customer), reflection (a forwarded "From:" of a
 * stranger, a link for a PON), and floods per carrier and per customer. Each attack is refused or
 * parked, and a genuine request right after is still served.
 */
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESK_FROM, SUPPORT, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { buildMail, newMessageId } from '../support/mail-builder.js';
import { account, matchingRequest, number, portRequest, text } from './support/scenario.js';

let h: DeskHarness;

beforeAll(async () => {
  h = await startDeskHarness({
    inbound: 'smtp',
    accounts: Array.from({ length: 30 }, (_, i) => account(101 + i)),
    env: { VERIFICATION_WINDOW: '1h', REMINDER_AFTER: '30m', MAX_REQUESTS_PER_CARRIER_PER_HOUR: '4', MAX_EMAILS_PER_CUSTOMER_PER_DAY: '3' },
  });
});

afterAll(async () => {
  await h?.close();
});

const inbound = (raw: Buffer) => h.daemon.store.getInbound(/^Message-ID: <([^>]+)>/im.exec(raw.toString())![1]!);
const customer = (n: number) => `customer${n}@example.test`;

/** A genuine request from a carrier of its own is still served: verification to the customer. */
async function stillServes(n: number, carrier: string): Promise<ParsedMail> {
  await h.send(portRequest({ pon: `PON-OK-${n}`, numbers: [number(n, 1)], name: `Customer ${n} Person`, street: `${100 + n} N Main St`, zip: '98101', from: `OK Carrier <${carrier}>` }));
  return h.waitForMail((m) => isTo(customer(n), m) && /please confirm/i.test(m.subject ?? ''));
}

describe('amplification', () => {
  it('a request naming numbers on more than MAX_ACCOUNTS_PER_REQUEST accounts waits in Review before any e-mail goes out', async () => {
    const before = h.sink.messages.length;
    const numbers = Array.from({ length: 12 }, (_, i) => number(101 + i, 1));
    const raw = portRequest({ pon: 'PON-PROJECT', numbers, name: 'Many People', zip: '98101', from: 'Bulk <lnp@bulk-carrier.test>' });
    await h.send(raw);
    expect(inbound(raw)).toMatchObject({ outcome: 'review', reviewReason: 'PROJECT_PORT' });
    expect(h.daemon.store.listOrders().filter((o) => o.carrier.email === 'lnp@bulk-carrier.test')).toEqual([]);
    // Only support hears of it.
    await h.waitForMail((m) => isTo(SUPPORT, m) && /project port/i.test(m.subject ?? ''));
    expect(h.sink.messages.slice(before).every((m) => isTo(SUPPORT, m.parsed))).toBe(true);
    await stillServes(113, 'lnp@fine-carrier-1.test');
  });

  it('a flood of junk from many senders makes at most ten support alerts an hour', async () => {
    const alertsBefore = h.mailsTo(SUPPORT).length;
    const junk = Array.from({ length: 25 }, (_, i) =>
      buildMail({ from: `spam${i}@junk-${i}.test`, to: DESK_FROM, subject: `Re: [PO-AAAAA${i % 10}] Please confirm`, text: 'APPROVE', messageId: newMessageId(`junk-${i}.test`) }),
    );
    for (const raw of junk) await h.send(raw);
    const parked = junk.map((raw) => inbound(raw)!);
    const sent = parked.filter((e) => e.alert === 'sent').length;
    expect(sent).toBeLessThanOrEqual(10);
    expect(parked.filter((e) => e.alert === 'held').length).toBe(parked.length - sent);
    await h.daemon.desk.idle();
    await expect.poll(() => h.mailsTo(SUPPORT).length - alertsBefore, { timeout: 10_000 }).toBeLessThanOrEqual(10);
    await stillServes(114, 'lnp@fine-carrier-2.test');
  });
});

describe('phishing through the desk', () => {
  it('a carrier name written to speak to the customer reaches no subject, and the body names the carrier by its mail domain', async () => {
    const raw = portRequest({
      pon: 'PON-PHISH',
      numbers: [number(115, 1)],
      name: 'Customer 115 Person',
      street: '215 N Main St',
      zip: '98101',
      from: '"To KEEP your numbers reply APPROVE now. Call 1-800-555-0199 or visit keep-numbers.example.com \u202eSupport" <lnp@phish-carrier.test>',
    });
    await h.send(raw);
    const verification = await h.waitForMail((m) => isTo(customer(115), m) && /please confirm/i.test(m.subject ?? ''));
    expect(verification.subject).toMatch(/^\[PO-[0-9A-Z]{6}\] Please confirm: a request to move your phone numbers to another provider$/);
    const body = text(verification);
    expect(body).toContain('writing from phish-carrier.test');
    for (const bad of ['APPROVE now', '1-800-555-0199', 'keep-numbers.example.com', '\u202e']) expect(body).not.toContain(bad);
    expect(verification.html || '').not.toContain('keep-numbers.example.com');
  });
});

describe('reflection', () => {
  it('a forwarded "From:" of a stranger is never written to, and a link given as a PON is not echoed', async () => {
    const victim = 'victim@thirdparty.test';
    const raw = buildMail({
      from: 'Attacker <attacker@evil-forwarder.test>',
      to: DESK_FROM,
      subject: 'Fwd: Port-out request',
      messageId: newMessageId('evil-forwarder.test'),
      text: [
        'See below.',
        '',
        '---------- Forwarded message ---------',
        `From: Third Party <${victim}>`,
        'Date: Mon, 30 Nov 2026 10:00:00 +0000',
        'Subject: Port-out request',
        `To: ${DESK_FROM}`,
        '',
        `PON: https://evil.test/phish${'x'.repeat(400)}`,
        'Account Name: Customer 116 Person',
        'Service Address: 216 N Main St',
        'ZIP: 98101',
        `Telephone Numbers: ${number(116, 1)}`,
      ].join('\n'),
    });
    await h.send(raw);
    const ack = await h.waitForMail((m) => isTo('attacker@evil-forwarder.test', m) && /received/i.test(m.subject ?? ''));
    expect(ack.subject).not.toMatch(/https?:|evil\.test\/phish/);
    expect((ack.subject ?? '').length).toBeLessThan(80);
    expect(h.mailsTo(victim)).toEqual([]);
    const order = h.daemon.store.listOrders().find((o) => o.dids.includes(`+1206555${String(1000 + 116 * 10 + 1).slice(-4)}`))!;
    expect(order.carrier.email).toBe('attacker@evil-forwarder.test');
    expect(order.carrier.pon).toBeUndefined();
  });
});

describe('floods per carrier and per customer', () => {
  it('past MAX_REQUESTS_PER_CARRIER_PER_HOUR a carrier’s requests wait in Review; another carrier is still served', async () => {
    const flood = Array.from({ length: 6 }, (_, i) =>
      portRequest({ pon: `PON-FLOOD-${i}`, numbers: [number(117 + i, 1)], name: `Customer ${117 + i} Person`, zip: '98101', from: `Flood <lnp@flood-carrier.test>` }),
    );
    for (const raw of flood) await h.send(raw);
    const outcomes = flood.map((raw) => [inbound(raw)?.outcome, inbound(raw)?.reviewReason]);
    expect(outcomes.slice(0, 4).every(([o]) => o === 'processed')).toBe(true);
    expect(outcomes.slice(4)).toEqual([
      ['review', 'RATE_LIMITED'],
      ['review', 'RATE_LIMITED'],
    ]);
    await stillServes(125, 'lnp@fine-carrier-3.test');
  });

  it('past MAX_EMAILS_PER_CUSTOMER_PER_DAY requests about a customer wait in Review, so the customer is not flooded', async () => {
    const n = 126;
    const carriers = Array.from({ length: 5 }, (_, i) => `lnp@guess-carrier-${i}.test`);
    const requests = carriers.map((c, i) => matchingRequest(n, `PON-CUST-${i}`, [number(n, (i % 2) + 1)]).toString().replace(/lnp@newcarrier\.example\.test/g, c).replace(/<[^<>]+@newcarrier\.example\.test>/, `<${newMessageId(c.split('@')[1]!)}>`));
    for (const raw of requests) await h.send(raw);
    await h.daemon.desk.idle();
    expect(h.mailsTo(customer(n)).length).toBeLessThanOrEqual(3);
    const parked = requests.map((r) => inbound(Buffer.from(r))).filter((e) => e?.reviewReason === 'RATE_LIMITED');
    expect(parked.length).toBeGreaterThan(0);
    await stillServes(127, 'lnp@fine-carrier-4.test');
  });
});

describe('one message cannot stop the desk', () => {
  it('a 2.8 MB request naming 200,000 numbers is parked TOO_LARGE, read only up to its cap; a genuine request is served right after', async () => {
    const numbers = Array.from({ length: 200_000 }, (_, i) => `206-555-${String(i % 10_000).padStart(4, '0')}`);
    const raw = buildMail({
      from: 'Huge <lnp@huge-carrier.test>',
      to: DESK_FROM,
      subject: 'Port request PON-FLOOD',
      text: ['Please port the numbers below.', 'PON: PON-FLOOD', ...numbers].join('\n'),
      messageId: newMessageId('huge-carrier.test'),
    });
    expect(raw.length).toBeGreaterThan(2_500_000);
    const genuine = stillServes(121, 'lnp@fine-carrier-3.test');
    await h.send(raw);
    expect(inbound(raw)).toMatchObject({ outcome: 'review', reviewReason: 'TOO_LARGE' });
    expect(inbound(raw)!.reason).toMatch(/only the first 262,144 read/);
    expect(h.daemon.store.listOrders().filter((o) => o.carrier.email === 'lnp@huge-carrier.test')).toEqual([]);
    await genuine;
  });
});
