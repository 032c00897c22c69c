/**
 * End to end through the daemon's embedded SMTP listener (SPEC §10, issue 12 item 1): a carrier
 * guesses an account's port-out PIN with eleven requests, the right one last. The third wrong PIN
 * locks the account against that carrier — support is alerted, the customer told — and the rest,
 * the right PIN included, are refused at once without a word to the customer. A genuine carrier
 * right after is still served; support clears the lock through the daemon's control socket; and
 * with no answer from the customer, auto-match does not approve the genuine order either. No PIN,
 * right or wrong, is anywhere in the data directory (nor, on PostgreSQL, in the database).
 */
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORT, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { account, number, orderIdOf, portRequest, text } from './support/scenario.js';

const N = 70;
const RIGHT_PIN = '8815';
const GUESSES = Array.from({ length: 11 }, (_, i) => String(8805 + i)); // 8805 … 8815, the right one last
const GUESSER = 'lnp@quickport-guess.test';
const GENUINE = 'lnp@northwind-genuine.test';
const CUSTOMER = `customer${N}@example.test`;

let h: DeskHarness;

beforeAll(async () => {
  h = await startDeskHarness({
    inbound: 'smtp',
    accounts: [account(N, { portOutPin: RIGHT_PIN })],
    env: { VERIFICATION_WINDOW: '1h', REMINDER_AFTER: '30m' },
  });
});

afterAll(async () => {
  await h?.close();
});

function request(pin: string, i: number, from: string): Buffer {
  return portRequest({
    pon: `PON-G-${i}`,
    numbers: [number(N, 1)],
    name: `Customer ${N} Person`,
    street: `${100 + N} N Main St`,
    zip: '98101',
    pin,
    from: `Porting <${from}>`,
  });
}

const rejectionFor = (pon: string) => (m: ParsedMail) => isTo(GUESSER, m) && (m.subject ?? '').includes(pon) && /rejected/i.test(m.subject ?? '');

describe('PIN guessing against the running daemon', () => {
  it('the lock stops the guessing, the customer is not flooded, and a genuine carrier is served right after', async () => {
    for (const [i, pin] of GUESSES.entries()) {
      await h.send(request(pin, i + 1, GUESSER));
      const answer = text(await h.waitForMail(rejectionFor(`PON-G-${i + 1}`)));
      if (i < 2) {
        expect(answer).toContain('PIN_INVALID');
        expect(answer).not.toContain('PIN_LOCKED');
      } else if (i === 2) {
        expect(answer).toContain('PIN_INVALID');
        expect(answer).toContain('PIN_LOCKED');
      } else {
        // Refused at once, the right PIN too: the carrier learns nothing more.
        expect(answer).toContain('PIN_LOCKED');
        expect(answer).not.toContain('PIN_INVALID');
      }
      expect(answer).not.toContain(pin);
    }
    const account = h.daemon.store.getAccount(`ACCT-${N}`)!;
    expect(account.pinGuard?.locks).toEqual([expect.objectContaining({ carrier: 'quickport-guess.test', wrongPins: 3 })]);
    const guessed = h.daemon.store.listOrders().filter((o) => o.carrier.email === GUESSER);
    expect(guessed).toHaveLength(11);
    expect(guessed.every((o) => o.state === 'rejected' && o.verification === undefined)).toBe(true);

    // Support: one alert, naming the account, the carrier and how to clear it.
    const alert = await h.waitForMail((m) => isTo(SUPPORT, m) && /PIN guessing/.test(m.subject ?? ''));
    expect(text(alert)).toContain(`ACCT-${N}`);
    expect(text(alert)).toContain(`portdesk accounts unlock-pin ACCT-${N} --carrier quickport-guess.test`);
    for (const pin of GUESSES) expect(text(alert)).not.toContain(pin);

    // A genuine carrier right after: verification to the customer.
    await h.send(request(RIGHT_PIN, 100, GENUINE));
    const verification = await h.waitForMail((m) => isTo(CUSTOMER, m) && /please confirm/i.test(m.subject ?? ''));
    const genuineId = orderIdOf(verification);
    expect(h.daemon.store.getOrder(genuineId)).toMatchObject({ state: 'pending_verification', provided: { pinGiven: true, pinMatched: true } });

    // The customer heard of the first three requests (the third saying the carrier is locked
    // out) and of the genuine one: four e-mails for twelve requests, not fifteen. The outbox
    // says what was ever queued; the sink, what arrived.
    expect(h.daemon.store.listOutbox().filter((e) => e.to.includes(CUSTOMER)).map((e) => e.template)).toEqual([
      'customer-decision',
      'customer-decision',
      'customer-decision',
      'customer-verification',
    ]);
    for (let i = 0; i < 100 && h.mailsTo(CUSTOMER).length < 4; i++) await new Promise((r) => setTimeout(r, 50));
    const toCustomer = h.mailsTo(CUSTOMER);
    expect(toCustomer).toHaveLength(4);
    const decisions = toCustomer.filter((m) => /rejected/i.test(m.subject ?? ''));
    expect(decisions).toHaveLength(3);
    expect(text(decisions[2]!)).toContain('PIN_LOCKED');
    expect(h.mailsTo(SUPPORT).filter((m) => /PIN guessing/.test(m.subject ?? ''))).toHaveLength(1);

    // Nothing in DATA_DIR (or the database) holds a PIN: not the account's, not any guess.
    const files = await h.storedText();
    for (const pin of GUESSES) {
      expect(files).not.toContain(`"${pin}"`);
      expect(files).not.toContain(`PIN: ${pin}`);
    }
    expect(files).not.toContain('"pin":');
  });

  it('support clears the lock through the daemon; auto-match still does not approve the order made amid the guessing', async () => {
    // Through the control socket, or on PostgreSQL the commands table: as `portdesk accounts unlock-pin` sends it.
    const cleared = await h.command({ cmd: 'unlock-pin', accountId: `ACCT-${N}`, carrier: 'quickport-guess.test', by: 'e2e' });
    expect(cleared).toMatchObject({ ok: true, result: { accountId: `ACCT-${N}`, cleared: [{ carrier: 'quickport-guess.test' }] } });
    expect(h.daemon.store.getAccount(`ACCT-${N}`)!.pinGuard?.locks).toEqual([]);

    // The genuine order's window runs out with no answer: rejected, never approved.
    const pending = h.daemon.store.listOrders().find((o) => o.carrier.email === GENUINE)!;
    h.clock.advance(2 * 3_600_000);
    const decided = await h.waitForMail((m) => isTo(GENUINE, m) && (m.subject ?? '').includes(pending.id) && /rejected/i.test(m.subject ?? ''), 20_000);
    expect(text(decided)).toContain('PIN_ATTEMPTS');
    expect(h.daemon.store.getOrder(pending.id)).toMatchObject({ state: 'rejected', decision: { by: 'auto-match', reasonCodes: ['PIN_ATTEMPTS'] } });
    expect(h.mailsTo(GENUINE).some((m) => /approved/i.test(m.subject ?? ''))).toBe(false);
  });
});
