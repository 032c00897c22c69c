/**
 * PIN guessing through the desk's use cases (fakes, no server): carrier requests go into
 * desk.handleMessage, the lock lands in the account record and the alert in the outbox, and
 * support's `unlock-pin` (unlockPin) clears it. Also: without a Pins adapter, no PIN is right.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { testDeskDeps } from '../support/test-desk.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import { ActionError, unlockPin } from '../../src/app/support-actions.js';
import type { PortOrder } from '../../src/domain/records.js';
import { testDeskConfig, TEST_MAIL_FROM, TEST_SUPPORT } from '../support/desk-config.js';
import { FixedClock } from '../support/fixed-clock.js';
import { buildMail } from '../support/mail-builder.js';
import { MemoryStore } from '../support/memory-store.js';
import { SAMPLE_PIN, pinAccount, sampleAccounts } from '../support/sample-accounts.js';
import { testPins } from '../support/test-pins.js';

const T0 = '2026-03-02T15:00:00.000Z';
const GUESSER = 'lnp@guesser.example.test';
const GENUINE = 'ports@northwind.example.test';
const HOLDER = pinAccount();

let store: MemoryStore;
let clock: FixedClock;
let desk: Desk;
let sent = 0;

function build(withPins = true): Desk {
  return createDesk(testDeskDeps({ store, clock, config: testDeskConfig({ mailAuth: undefined }), ...(withPins ? { pins: testPins } : {}) }));
}

beforeEach(() => {
  store = new MemoryStore({ accounts: sampleAccounts() });
  clock = new FixedClock(T0);
  desk = build();
});

/** A request for the PIN account's number, with `pin`; returns the order it made. */
async function request(pin: string, from = GUESSER): Promise<PortOrder> {
  const pon = `P-${++sent}`;
  const raw = buildMail({
    from: `Porting <${from}>`,
    to: TEST_MAIL_FROM,
    subject: `Port-out request PON ${pon}`,
    messageId: `req-${sent}@${from.split('@')[1]}`,
    text: [
      `PON: ${pon}`,
      `Account Name: ${HOLDER.name}`,
      `Service Address: ${HOLDER.address.street}`,
      `ZIP: ${HOLDER.address.zip}`,
      `PIN: ${pin}`,
      'Numbers: 503-555-0110',
    ].join('\n'),
  });
  expect(await desk.handleMessage(raw)).toBe('processed');
  clock.set(new Date(clock.now().getTime() + 60_000));
  return store.listOrders().find((o) => o.carrier.pon === pon)!;
}

const outbox = (template: string, to?: string) => store.listOutbox().filter((e) => e.template === template && (to === undefined || e.to.includes(to)));

describe('the PIN lock through the desk', () => {
  it('locks the account against the guessing carrier in its record, alerts support once, and support clears it', async () => {
    for (const pin of ['8805', '8806', '8807']) await request(pin);
    expect(store.getAccount(HOLDER.id)!.pinGuard?.locks.map((l) => l.carrier)).toEqual(['guesser.example.test']);
    const alert = outbox('support-alert', TEST_SUPPORT);
    expect(alert).toHaveLength(1);
    expect(alert[0]!.subject + alert[0]!.text).not.toMatch(/8805|8806|8807|8421/);

    const refused = await request(SAMPLE_PIN);
    expect(refused.decision?.reasonCodes).toEqual(['PIN_LOCKED']);
    expect(outbox('support-alert', TEST_SUPPORT)).toHaveLength(1);
    // The customer heard of the three requests, the third saying the carrier is locked out; not of the fourth.
    expect(outbox('customer-decision', HOLDER.email)).toHaveLength(3);

    const genuine = await request(SAMPLE_PIN, GENUINE);
    expect(genuine.state).toBe('pending_verification');

    await expect(unlockPin(desk.core, 'no-such-account')).rejects.toBeInstanceOf(ActionError);
    const none = await unlockPin(desk.core, HOLDER.id, 'elsewhere.example.test', 'pat');
    expect(none.cleared).toEqual([]);
    const cleared = await unlockPin(desk.core, HOLDER.id, 'guesser.example.test', 'pat');
    expect(cleared).toMatchObject({ accountId: HOLDER.id, cleared: [{ carrier: 'guesser.example.test', wrongPins: 3 }] });
    expect(store.getAccount(HOLDER.id)!.pinGuard?.locks).toEqual([]);

    // Unlocked, the carrier is answered on the merits again (the number now has the genuine order).
    const after = await request(SAMPLE_PIN);
    expect(after.decision?.reasonCodes).toEqual(['TN_PENDING_ORDER']);
  });

  it('refuses every PIN when the desk has no Pins adapter, rather than let one through', async () => {
    desk = build(false);
    const order = await request(SAMPLE_PIN, GENUINE);
    expect(order.decision?.reasonCodes).toEqual(['PIN_INVALID']);
  });
});
