/**
 * End to end, the timed rules: reminder, auto-match at expiry (match and mismatch), cancellation
 * after focDate + grace. Windows are seconds long and the jobs run every second; days pass by
 * moving the daemon's clock forward.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { CARRIER, account, matchingRequest, number, orderIdOf, portRequest, text } from './support/scenario.js';

let h: DeskHarness;
const customer = (n: number) => `customer${n}@example.test`;

beforeAll(async () => {
  h = await startDeskHarness({
    accounts: [account(21), account(22), account(23)],
    env: { VERIFICATION_WINDOW: '5s', REMINDER_AFTER: '1s', COMPLETION_GRACE: '5d', FOC_MIN_BUSINESS_DAYS: '1' },
  });
});

afterAll(async () => {
  await h?.close();
});

describe('timed jobs', () => {
  it('no reply and matching details: a reminder, then auto-approved at expiry', async () => {
    await h.send(matchingRequest(21, 'PON-JOB-21'));
    const verification = await h.waitForMail((m) => isTo(customer(21), m) && /confirm/i.test(m.subject ?? ''));
    const orderId = orderIdOf(verification);
    const reminder = await h.waitForMail((m) => isTo(customer(21), m) && /remind/i.test(m.subject ?? ''));
    expect(reminder.subject).toContain(orderId);
    expect(reminder.inReplyTo).toBe(verification.messageId);
    const approval = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approv/i.test(m.subject ?? ''));
    expect(text(approval)).toMatch(/20\d\d/);
    const order = h.daemon.store.getOrder(orderId)!;
    expect(order.state).toBe('approved');
    expect(order.decision?.by).toBe('auto-match');
    expect(order.decision?.matchReport?.matched).toBe(true);
    // One reminder only.
    expect(h.mailsTo(customer(21)).filter((m) => /remind/i.test(m.subject ?? ''))).toHaveLength(1);
  });

  it('no reply and mismatching details: rejected with one reason code per failed field', async () => {
    await h.send(portRequest({ pon: 'PON-JOB-22', numbers: [number(22, 1)], name: 'Customer 22 Person', street: '999 Elm Ave', zip: '10001' }));
    const verification = await h.waitForMail((m) => isTo(customer(22), m) && /confirm/i.test(m.subject ?? ''));
    const orderId = orderIdOf(verification);
    const rejection = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /reject/i.test(m.subject ?? ''));
    expect(text(rejection)).toContain('ADDRESS_MISMATCH');
    expect(text(rejection)).toContain('ZIP_MISMATCH');
    expect(text(rejection)).not.toContain('NAME_MISMATCH');
    // The carrier sees what it sent, never what is on file.
    expect(text(rejection)).not.toContain('122 N Main');
    const order = h.daemon.store.getOrder(orderId)!;
    expect(order.state).toBe('rejected');
    expect([...(order.decision?.reasonCodes ?? [])].sort()).toEqual(['ADDRESS_MISMATCH', 'ZIP_MISMATCH']);
  });

  it('an approved order not completed by focDate + grace is canceled; carrier and customer told', async () => {
    await h.send(matchingRequest(23, 'PON-JOB-23'));
    const verification = await h.waitForMail((m) => isTo(customer(23), m) && /confirm/i.test(m.subject ?? ''));
    const orderId = orderIdOf(verification);
    await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approv/i.test(m.subject ?? ''));
    // Three weeks pass without a completion notice.
    h.clock.advance(21 * 86_400_000);
    const carrierNotice = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /cancel/i.test(m.subject ?? ''));
    expect(text(carrierNotice)).toContain('NOT_COMPLETED_IN_TIME');
    const customerNotice = await h.waitForMail((m) => isTo(customer(23), m) && (m.subject ?? '').includes(orderId) && /cancel/i.test(m.subject ?? ''));
    expect(customerNotice).toBeDefined();
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('canceled');
  });
});
