/**
 * End to end: the real daemon reading a real Dovecot mailbox and sending through an SMTP sink.
 * Scenarios driven by the customer's and the carrier's mail (the verification window is long
 * here, so nothing expires underneath them; the timed scenarios are in desk-jobs.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMail, newMessageId } from '../support/mail-builder.js';
import { DESK_FROM, SUPPORT, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { CARRIER, account, matchingRequest, number, orderIdOf, portRequest, replyTo, text } from './support/scenario.js';

let h: DeskHarness;

beforeAll(async () => {
  h = await startDeskHarness({
    accounts: [
      account(1),
      account(2),
      account(3),
      account(4),
      account(5),
      account(6),
      account(7),
      account(8),
      account(9, { portOutLock: true }),
      account(10, { portOutPin: '4321' }),
      account(11, { dids: [{ number: '+12065551111', status: 'active' }] }),
      account(12),
      account(13),
      account(14),
    ],
    env: { VERIFICATION_WINDOW: '1h', REMINDER_AFTER: '30m' },
  });
});

afterAll(async () => {
  await h?.close();
});

const customer = (n: number) => `customer${n}@example.test`;

async function verificationFor(n: number, pon: string) {
  await h.send(matchingRequest(n, pon));
  const ack = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes('received') && text(m).includes(pon));
  const verification = await h.waitForMail((m) => isTo(customer(n), m) && /confirm/i.test(m.subject ?? ''));
  expect(orderIdOf(ack)).toBe(orderIdOf(verification));
  return { orderId: orderIdOf(verification), verification };
}

describe('customer replies', () => {
  it('approval by reply: the carrier gets the completion date and the customer is told', async () => {
    const { orderId, verification } = await verificationFor(1, 'PON-E2E-1');
    expect(verification.replyTo?.value[0]?.address).toMatch(/^porting\+[a-z0-9]+@example\.test$/);
    expect(verification.headers.get('auto-submitted')).toBe('auto-generated');
    expect(text(verification)).toContain(number(1, 1));

    await h.send(replyTo(verification, { from: customer(1), text: 'APPROVE\n\nThanks, Customer 1' }));
    const approval = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approv/i.test(m.subject ?? ''));
    expect(text(approval)).toMatch(/20\d\d/);
    const notice = await h.waitForMail((m) => isTo(customer(1), m) && (m.subject ?? '').includes(orderId) && /approv/i.test(m.subject ?? ''));
    expect(notice.inReplyTo).toBe(verification.messageId);
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('approved');
    expect(h.daemon.store.getOrder(orderId)?.focDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('rejection by reply: the carrier gets CUSTOMER_REJECTED', async () => {
    const { orderId, verification } = await verificationFor(2, 'PON-E2E-2');
    await h.send(replyTo(verification, { from: customer(2), text: 'REJECT - I did not ask for this.' }));
    const rejection = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /reject/i.test(m.subject ?? ''));
    expect(text(rejection)).toContain('CUSTOMER_REJECTED');
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('rejected');
  });

  it('an unclear reply is asked again and the window keeps running', async () => {
    const { orderId, verification } = await verificationFor(3, 'PON-E2E-3');
    const before = h.daemon.store.getOrder(orderId)!.verification!.expiresAt;
    await h.send(replyTo(verification, { from: customer(3), text: 'What is this about? Call me.' }));
    const again = await h.waitForMail((m) => isTo(customer(3), m) && (m.subject ?? '').includes(orderId) && m.messageId !== verification.messageId);
    expect(text(again)).toMatch(/APPROVE/);
    const order = h.daemon.store.getOrder(orderId)!;
    expect(order.state).toBe('pending_verification');
    expect(order.verification!.expiresAt).toBe(before);
  });

  it('a reply from another address is no decision; support is alerted', async () => {
    const { orderId, verification } = await verificationFor(4, 'PON-E2E-4');
    await h.send(replyTo(verification, { from: 'someone.else@example.test', text: 'APPROVE' }));
    const alert = await h.waitForMail((m) => isTo(SUPPORT, m) && text(m).includes(orderId));
    expect(text(alert)).toContain('someone.else@example.test');
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('pending_verification');
  });

  it('an out-of-office answer to the verification is ignored', async () => {
    const { orderId, verification } = await verificationFor(5, 'PON-E2E-5');
    const ooo = buildMail({
      from: customer(5),
      to: DESK_FROM,
      subject: `Automatic reply: ${verification.subject}`,
      text: 'I am out of the office until Monday. Yes, I will answer then.',
      inReplyTo: verification.messageId!,
      references: [verification.messageId!],
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' },
    });
    await h.send(ooo);
    await h.waitForInboxEmpty();
    await h.daemon.desk.idle();
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('pending_verification');
    const ignored = (await h.dovecot.list('desk@example.test', 'PortDesk/Ignored')).map((m) => m.messageId);
    expect(ignored.some((id) => ooo.toString().includes(id ?? '\u0000'))).toBe(true);
    expect(h.mailsTo(customer(5)).filter((m) => (m.subject ?? '').includes(orderId))).toHaveLength(1);
  });

  it('an approval e-mailed before any verification gets the pre-approval refusal', async () => {
    await h.send(
      buildMail({
        from: customer(6),
        to: DESK_FROM,
        subject: 'Port of my numbers',
        text: `I approve the port of ${number(6, 1)} to New Carrier.`,
      }),
    );
    const refusal = await h.waitForMail((m) => isTo(customer(6), m));
    expect(text(refusal)).toMatch(/verification/i);
    expect(h.daemon.store.listOrders({ accountId: 'ACCT-6' })).toHaveLength(0);
  });

  it('an approval after rejection is answered "already rejected"; the order stays rejected', async () => {
    const { orderId, verification } = await verificationFor(7, 'PON-E2E-7');
    await h.send(replyTo(verification, { from: customer(7), text: 'REJECT' }));
    await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /reject/i.test(m.subject ?? ''));
    await h.send(replyTo(verification, { from: customer(7), text: 'Sorry, my mistake. APPROVE please.' }));
    const answer = await h.waitForMail((m) => isTo(customer(7), m) && /already|rejected/i.test(text(m)) && /new request/i.test(text(m)));
    expect(answer.subject).toContain(orderId);
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('rejected');
  });
});

describe('carrier requests', () => {
  it('numbers on two accounts plus one unknown number: two orders and a TN_NOT_FOUND', async () => {
    await h.send(portRequest({ pon: 'PON-E2E-MIX', numbers: [number(8, 1), number(12, 1), '(425) 555-0199'], name: 'Customer 8 Person', zip: '98101' }));
    const ack = await h.waitForMail((m) => isTo(CARRIER, m) && text(m).includes('PON-E2E-MIX') && /received/i.test(m.subject ?? ''));
    const ids = (ack.subject ?? '').match(/PO-[0-9A-Z]{6}/g) ?? [];
    expect(new Set(ids).size).toBe(2);
    const notFound = await h.waitForMail((m) => isTo(CARRIER, m) && text(m).includes('TN_NOT_FOUND'));
    expect(text(notFound)).toContain('(425) 555-0199');
    await h.waitForMail((m) => isTo(customer(8), m));
    await h.waitForMail((m) => isTo(customer(12), m));
  });

  it('a second request for a number with an open order gets TN_PENDING_ORDER; the same request twice gives one order', async () => {
    const first = matchingRequest(13, 'PON-E2E-13');
    await h.send(first);
    const ack = await h.waitForMail((m) => isTo(CARRIER, m) && text(m).includes('PON-E2E-13'));
    const orderId = orderIdOf(ack);
    // The same carrier resends the same request (a new Message-ID): same order, acknowledged again.
    await h.send(matchingRequest(13, 'PON-E2E-13'));
    const again = await h.waitForMail((m) => isTo(CARRIER, m) && text(m).includes('PON-E2E-13'));
    expect(orderIdOf(again)).toBe(orderId);
    expect(h.daemon.store.listOrders({ accountId: 'ACCT-13' })).toHaveLength(1);
    // Another carrier asks for the same number: refused.
    await h.send(portRequest({ pon: 'OTHER-1', numbers: [number(13, 1)], name: 'Customer 13 Person', zip: '98101', from: 'ports@othercarrier.example.test' }));
    const refused = await h.waitForMail((m) => isTo('ports@othercarrier.example.test', m) && text(m).includes('TN_PENDING_ORDER'));
    expect(refused.subject).toMatch(/PO-/);
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('pending_verification');
  });

  it('port lock and PIN: locked → PORT_PROTECTED; missing and wrong PIN refused; right PIN verified', async () => {
    await h.send(matchingRequest(9, 'PON-LOCK'));
    expect(text(await h.waitForMail((m) => isTo(CARRIER, m) && text(m).includes('PORT_PROTECTED')))).toContain('PON-LOCK');
    await h.waitForMail((m) => isTo(customer(9), m));

    await h.send(portRequest({ pon: 'PON-NOPIN', numbers: [number(10, 1)], name: 'Customer 10 Person', zip: '98101' }));
    await h.waitForMail((m) => isTo(CARRIER, m) && text(m).includes('PIN_MISSING'));
    await h.send(portRequest({ pon: 'PON-BADPIN', numbers: [number(10, 1)], name: 'Customer 10 Person', zip: '98101', pin: '9999' }));
    const bad = await h.waitForMail((m) => isTo(CARRIER, m) && text(m).includes('PIN_INVALID'));
    expect(text(bad)).not.toContain('4321');
    expect(text(bad)).not.toContain('9999');
    await h.send(portRequest({ pon: 'PON-GOODPIN', numbers: [number(10, 1)], name: 'Customer 10 Person', zip: '98101', pin: '4321' }));
    const v = await h.waitForMail((m) => isTo(customer(10), m) && /confirm/i.test(m.subject ?? ''));
    expect(text(v)).not.toContain('4321');
  });

  it('completion notice: the customer gets the completion e-mail, with the admin-fee paragraph when the last number left', async () => {
    await h.send(portRequest({ pon: 'PON-LAST', numbers: ['(206) 555-1111'], name: 'Customer 11 Person', zip: '98101', street: '111 N Main St' }));
    const v = await h.waitForMail((m) => isTo(customer(11), m) && /confirm/i.test(m.subject ?? ''));
    const orderId = orderIdOf(v);
    await h.send(replyTo(v, { from: customer(11), text: 'Approve' }));
    const approval = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approv/i.test(m.subject ?? ''));
    // The carrier answers in the desk's thread with it: an unsigned notice counts there (SPEC §11).
    await h.send(
      buildMail({
        from: CARRIER,
        to: DESK_FROM,
        inReplyTo: approval.messageId!,
        references: [approval.messageId!],
        subject: `Port completed - ${orderId} PON-LAST`,
        text: `The port for order ${orderId} (PON PON-LAST) has been completed. Number (206) 555-1111 is now active with us.`,
      }),
    );
    const done = await h.waitForMail((m) => isTo(customer(11), m) && (m.subject ?? '').includes(orderId) && /complet|ported/i.test(m.subject ?? ''));
    expect(text(done)).toContain('$15');
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('completed');
    expect(h.daemon.store.getAccount('ACCT-11')?.dids[0]?.status).toBe('ported-out');
  });
});

describe('CSR requests', () => {
  it('a matching CSR request gets the CSR at the address on file, support in copy', async () => {
    await h.send(
      buildMail({
        from: customer(14),
        to: DESK_FROM,
        subject: 'CSR request',
        text: `Please send me my customer service record (CSR).\n\nName: Customer 14 Person\nEmail: ${customer(14)}\nTech Prefix: TP14\nNumbers: ${number(14, 1)}, ${number(14, 2)}\n`,
      }),
    );
    const csr = await h.waitForMail((m) => isTo(customer(14), m) && /114 N Main St/.test(text(m)));
    expect(csr.cc && JSON.stringify(csr.cc)).toContain(SUPPORT);
    expect(text(csr)).toContain('1014');
  });

  it('a CSR request that does not match sends no account data; support gets needs-review', async () => {
    await h.send(
      buildMail({
        from: 'impostor@example.test',
        to: DESK_FROM,
        subject: 'CSR request',
        text: `Please send me the customer service record (CSR).\n\nName: Customer 14 Person\nTech Prefix: TP14\nNumbers: ${number(14, 1)}\n`,
        messageId: newMessageId('example.test'),
      }),
    );
    const answer = await h.waitForMail((m) => isTo('impostor@example.test', m));
    expect(text(answer)).not.toMatch(/Main St|98101|Customer 14/);
    const review = await h.waitForMail((m) => isTo(SUPPORT, m) && /review/i.test(m.subject ?? '') && text(m).includes('impostor@example.test'));
    expect(text(review)).toMatch(/address on file/);
  });
});
