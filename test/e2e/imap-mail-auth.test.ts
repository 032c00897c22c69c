/**
 * End to end over IMAP (Dovecot): the desk never saw the SMTP session, so it believes an
 * Authentication-Results header only from its own MX (TRUSTED_AUTHSERV_IDS) and otherwise checks
 * DKIM and DMARC itself (SPEC §11). A message whose DNS look-up times out stays in the INBOX and
 * is handled again once DNS answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortOrder } from '../../src/domain/records.js';
import { DESK_USER, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { messageIdOf } from '../support/mail-builder.js';
import { MailDomain } from './support/mail-domains.js';
import { CARRIER, account, matchingRequest, orderIdOf, replyTo } from './support/scenario.js';

const MX = 'mx.example.test';

let h: DeskHarness;
let customerMail: MailDomain;

beforeAll(async () => {
  h = await startDeskHarness({
    accounts: [71, 72, 73].map((n) => account(n, { email: `person${n}@customer-mail.test` })),
    env: { VERIFICATION_WINDOW: '1h', REMINDER_AFTER: '30m', TRUSTED_AUTHSERV_IDS: MX },
    retryDeferredMs: 300,
  });
  customerMail = new MailDomain(h.dns, 'customer-mail.test', { dmarc: 'reject' });
});

afterAll(async () => {
  await h?.close();
});

async function verificationFor(n: number) {
  await h.send(matchingRequest(n, `PON-IMAP-AUTH-${n}`));
  const verification = await h.waitForMail((m) => isTo(`person${n}@customer-mail.test`, m) && /confirm/i.test(m.subject ?? ''));
  return { orderId: orderIdOf(verification), verification };
}

/** What the provider's MX (or a forger) writes on top of the message. */
function withResults(raw: Buffer, authservId: string, n: number): Buffer {
  const header =
    `Authentication-Results: ${authservId};\r\n dkim=pass header.d=customer-mail.test header.s=s1;\r\n` +
    ` spf=pass smtp.mailfrom=person${n}@customer-mail.test;\r\n dmarc=pass (p=REJECT) header.from=customer-mail.test\r\n`;
  return Buffer.concat([Buffer.from(header), raw]);
}

function order(id: string): PortOrder {
  return h.daemon.store.getOrder(id)!;
}

async function folderHas(folder: string, raw: Buffer): Promise<boolean> {
  const id = messageIdOf(raw);
  return (await h.dovecot.list(DESK_USER, folder)).some((m) => m.messageId?.replace(/^<|>$/g, '') === id);
}

describe('Authentication-Results over IMAP', () => {
  it('a header from the trusted MX is believed: an unsigned reply it vouches for approves', async () => {
    const { orderId, verification } = await verificationFor(71);
    const reply = withResults(replyTo(verification, { from: 'person71@customer-mail.test', text: 'APPROVE' }), MX, 71);
    await h.send(reply);
    await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approved/i.test(m.subject ?? ''));
    expect(order(orderId).state).toBe('approved');
    expect(h.daemon.store.getInbound(messageIdOf(reply)!)).toMatchObject({
      outcome: 'processed',
      auth: { by: `header:${MX}`, dkim: 'pass', spf: 'pass', dmarc: 'pass', dmarcPolicy: 'reject', aligned: true },
    });
  });

  it('a header from anyone else is ignored: the desk checks DKIM itself, and an unsigned reply from a p=reject domain is refused', async () => {
    const { orderId, verification } = await verificationFor(72);
    const before = order(orderId);
    const reply = withResults(replyTo(verification, { from: 'person72@customer-mail.test', text: 'APPROVE' }), 'mx.forger.test', 72);
    await h.send(reply);
    await h.waitForInboxEmpty();
    expect(h.daemon.store.getInbound(messageIdOf(reply)!)).toMatchObject({
      outcome: 'review',
      reviewReason: 'AUTH_FAILED',
      auth: { by: 'portdesk', dkim: 'none', dmarc: 'fail', aligned: false },
    });
    expect(order(orderId)).toEqual(before);
    expect(await folderHas('PortDesk/Review', reply)).toBe(true);
  });
});

describe('DNS that does not answer, over IMAP', () => {
  it('the message stays in the INBOX while the DKIM key cannot be looked up, and is handled once it can', async () => {
    const { orderId, verification } = await verificationFor(73);
    const reply = await customerMail.sign(replyTo(verification, { from: 'person73@customer-mail.test', text: 'APPROVE' }));
    h.dns.blackhole('s1._domainkey.customer-mail.test');
    try {
      await h.send(reply);
      await expect.poll(() => h.daemon.store.getInbound(messageIdOf(reply)!)?.outcome, { timeout: 20_000 }).toBe('deferred');
      expect(await folderHas('INBOX', reply)).toBe(true);
      expect(order(orderId).state).toBe('pending_verification');
    } finally {
      h.dns.blackhole('s1._domainkey.customer-mail.test', false);
    }
    await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approved/i.test(m.subject ?? ''), 20_000);
    expect(order(orderId).state).toBe('approved');
    await h.waitForInboxEmpty();
    expect(await folderHas('PortDesk/Processed', reply)).toBe(true);
    expect(h.daemon.store.getInbound(messageIdOf(reply)!)).toMatchObject({ outcome: 'processed', auth: { dkim: 'pass', aligned: true } });
  });
});
