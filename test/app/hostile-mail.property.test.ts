/**
 * Whatever an attacker writes, it decides nothing without the desk's secret (SPEC §3 rule 4,
 * §10): random and adversarial messages — the customer's own From line (even with a DKIM pass for
 * the customer's domain), the order id in the subject, "APPROVE" in every form, threading headers
 * naming the desk's mail to the carrier, a made-up reply token — go through the whole pipeline
 * against an order waiting for its customer, and the order stays waiting, with no approval or
 * rejection sent to anyone.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDesk, type Desk } from '../../src/app/desk.js';
import type { PortOrder } from '../../src/domain/records.js';
import { TEST_MAIL_FROM } from '../support/desk-config.js';
import { FakeAuthenticator, signedBy } from '../support/fake-authenticator.js';
import { buildMail } from '../support/mail-builder.js';
import { MemoryStore } from '../support/memory-store.js';
import { bakeryAccount, sampleAccounts } from '../support/sample-accounts.js';
import { testDeskDeps } from '../support/test-desk.js';

const CARRIER = 'ports@northwind.example.test';
const CUSTOMER = bakeryAccount().email;
const CUSTOMER_DOMAIN = CUSTOMER.slice(CUSTOMER.indexOf('@') + 1);

let store: MemoryStore;
let desk: Desk;
let order: PortOrder;
/** The Message-IDs of the desk's mail to the carrier: the carrier knows them. */
let carrierKnows: string[];

beforeAll(async () => {
  store = new MemoryStore({ accounts: sampleAccounts() });
  const auth = new FakeAuthenticator();
  // The customer's domain signs everything: the attacker's forgery passes DKIM (a compromised
  // relay, a look-alike that got through). Only the secret may bind.
  auth.byDomain.set(CUSTOMER_DOMAIN, signedBy(CUSTOMER_DOMAIN));
  desk = createDesk(testDeskDeps({ store, authenticator: auth }));
  const request = buildMail({
    from: `Northwind Porting <${CARRIER}>`,
    to: TEST_MAIL_FROM,
    subject: 'Port-out request PON NW-1001',
    messageId: 'req-1@northwind.example.test',
    text: 'PON: NW-1001\nAccount Name: Dana Whitfield\nService Address: 1200 Market Street\nZIP: 98101\nNumbers: 206-555-0100',
  });
  expect(await desk.handleMessage(request)).toBe('processed');
  order = store.listOrders()[0]!;
  expect(order.state).toBe('pending_verification');
  carrierKnows = store.listOutbox().filter((e) => e.to.includes(CARRIER)).map((e) => e.messageId);
});

const decisionWords = fc.constantFrom('APPROVE', 'approve', 'Yes', 'YES I APPROVE', 'I approve this port', 'REJECT', 'no', 'approved.', 'Y', '✅ approve');

const hostileMessage = fc.record({
  from: fc.constantFrom(CUSTOMER, `Dana Whitfield <${CUSTOMER}>`, `"${CUSTOMER}" <attacker@evil.test>`, 'attacker@evil.test', CARRIER),
  to: fc.constantFrom(TEST_MAIL_FROM, 'porting+AAAAAAAAAAAAAAAAAAAAAAAAAA@desk.example.test', 'porting+approve@desk.example.test', 'porting@desk.example.test'),
  subject: fc.constantFrom('Re: [customer-verification] ORDER', 'Re: ORDER', 'ORDER APPROVE', 'RE: Please confirm ORDER', 'Fwd: ORDER'),
  words: decisionWords,
  noise: fc.string({ maxLength: 200 }),
  thread: fc.constantFrom<'none' | 'carrier' | 'order' | 'made-up'>('none', 'carrier', 'order', 'made-up'),
  autoHeaders: fc.boolean(),
});

describe('no hostile message decides an order without the secret', () => {
  it('the order stays pending_verification and nothing decisive is sent', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(hostileMessage, async (m) => {
        const before = store.listOutbox().length;
        const thread =
          m.thread === 'carrier'
            ? { inReplyTo: carrierKnows[0]!, references: carrierKnows }
            : m.thread === 'order'
              ? { inReplyTo: `${order.id}@desk.example.test`, references: [`${order.id}@desk.example.test`] }
              : m.thread === 'made-up'
                ? { inReplyTo: 'v-000000@desk.example.test', references: ['v-000000@desk.example.test'] }
                : {};
        const raw = buildMail({
          from: m.from,
          to: m.to,
          subject: m.subject.replace('ORDER', order.id),
          text: `${m.words}\n${m.noise}\n\nOn Mon, Mar 2, 2026 the desk wrote:\n> Reply APPROVE or REJECT for ${order.id}`,
          messageId: `hostile-${++n}@evil.test`,
          ...thread,
          ...(m.autoHeaders ? { headers: { 'Auto-Submitted': 'no', 'X-Original-To': 'porting+x@desk.example.test' } } : {}),
        });
        await desk.handleMessage(raw);
        expect(store.getOrder(order.id)!.state).toBe('pending_verification');
        const sent = store.listOutbox().slice(before);
        expect(sent.filter((e) => ['carrier-approval', 'carrier-rejection', 'customer-decision'].includes(e.template))).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
