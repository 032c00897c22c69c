/**
 * Each inbound handler on its own, as the pipeline calls it from its table: a message, its mail
 * authentication and the records of an in-memory store in; the outcome, the Review reason, the
 * record changes and the effects out — as values. A handler never writes: the store sees no
 * commit however the message is judged (the pipeline commits what it returns, in one write).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { testDeskDeps } from '../support/test-desk.js';
import { DeskCore } from '../../src/app/desk-core.js';
import type { Handled, InboundInput } from '../../src/app/inbound/handled.js';
import { HANDLERS } from '../../src/app/inbound/handlers.js';
import type { EmailEffect } from '../../src/domain/effects.js';
import type { AuthResult } from '../../src/domain/mail-auth.js';
import type { MessageKind, PortOrder } from '../../src/domain/records.js';
import { silentLogger } from '../../src/logger.js';
import { parseMessage } from '../../src/mail/parse-message.js';
import { TEST_MAIL_FROM, TEST_SUPPORT } from '../support/desk-config.js';
import { FakeAuthenticator, UNSIGNED, signedBy } from '../support/fake-authenticator.js';
import { buildMail, type MailSpec } from '../support/mail-builder.js';
import { MemoryStore } from '../support/memory-store.js';
import { bakeryAccount, sampleAccounts } from '../support/sample-accounts.js';

const CARRIER = 'ports@northwind.example.test';
const DANA = bakeryAccount().email;

let store: MemoryStore;
let core: DeskCore;

beforeEach(() => {
  store = new MemoryStore({ accounts: sampleAccounts() });
  core = new DeskCore(testDeskDeps({ store, authenticator: new FakeAuthenticator() }));
});

let counter = 0;
async function handle(kind: MessageKind, spec: Partial<MailSpec> & Pick<MailSpec, 'from' | 'subject'>, auth: AuthResult = UNSIGNED): Promise<Handled> {
  const msg = await parseMessage(buildMail({ to: TEST_MAIL_FROM, messageId: `h${++counter}@example.test`, ...spec }));
  const ctx = core.context();
  const input: InboundInput = { core, msg, auth, ctx, log: silentLogger(), arrivedAt: ctx.now };
  const commits = store.commits.length;
  const handled = HANDLERS[kind](input);
  expect(store.commits.length, 'a handler never writes').toBe(commits);
  return handled;
}

const emails = (h: Handled) => (h.effects ?? []).filter((e): e is EmailEffect => e.kind === 'email');
const templates = (h: Handled) => emails(h).map((e) => `${e.template} → ${e.to.join(',')}`);

const request = { from: `Northwind <${CARRIER}>`, subject: 'Port-out request PON NW-1', text: 'PON: NW-1\nAccount Name: Dana Whitfield\nService Address: 1200 Market Street\nZIP: 98101\nNumbers: 206-555-0100' };

/** A bakery order waiting for Dana, committed as the pipeline would. */
async function placeOrder(): Promise<PortOrder> {
  const h = await handle('port_request', request);
  await core.commit(h.changes ?? {}, h.effects ?? [], core.deps.clock.now());
  return store.listOrders()[0]!;
}

describe('HANDLERS', () => {
  it('port_request: orders to create and the acknowledgement and verification to send', async () => {
    const h = await handle('port_request', request);
    expect(h).toMatchObject({ outcome: 'processed', orderIds: [expect.stringMatching(/^PO-/)] });
    expect(h.changes?.orders?.map((o) => o.state)).toEqual(['pending_verification']);
    expect(templates(h)).toEqual([`carrier-acknowledgement → ${CARRIER}`, `customer-verification → ${DANA}`]);
    expect(store.listOrders()).toEqual([]);
  });

  it('port_request without numbers: Review NO_NUMBERS, the carrier told what is missing', async () => {
    const h = await handle('port_request', { ...request, text: 'PON: NW-2\nAccount Name: Dana Whitfield' });
    expect(h).toMatchObject({ outcome: 'review', reviewReason: 'NO_NUMBERS' });
    expect(templates(h)).toEqual([`carrier-rejection → ${CARRIER}`, `support-alert → ${TEST_SUPPORT}`]);
  });

  it('verification_reply bound by the token: the decision as a changed order', async () => {
    const o = await placeOrder();
    const h = await handle('verification_reply', { from: DANA, to: `porting+${o.token}@desk.example.test`, subject: `Re: ${o.id}`, text: 'APPROVE' });
    expect(h).toMatchObject({ outcome: 'processed', orderIds: [o.id], bound: true });
    expect(h.changes?.orders?.map((x) => x.state)).toEqual(['approved']);
    expect(store.getOrder(o.id)!.state).toBe('pending_verification');
  });

  it('verification_reply without a secret: Review NOT_BOUND, no change', async () => {
    const o = await placeOrder();
    const h = await handle('verification_reply', { from: DANA, subject: `Re: [${o.id}] Please confirm`, text: 'APPROVE' });
    expect(h).toMatchObject({ outcome: 'review', reviewReason: 'NOT_BOUND', orderIds: [o.id] });
    expect(h.changes).toBeUndefined();
    expect(templates(h)).toEqual([`support-alert → ${TEST_SUPPORT}`]);
  });

  it('completion_notice and cancellation: out of the thread and unsigned, Review NOT_BOUND; signed, the change', async () => {
    const o = await placeOrder();
    const notice = { from: CARRIER, subject: `Cancel ${o.id}`, text: `Please cancel order ${o.id}.` };
    expect(await handle('cancellation', notice)).toMatchObject({ outcome: 'review', reviewReason: 'NOT_BOUND' });
    const signed = await handle('cancellation', notice, signedBy('northwind.example.test'));
    expect(signed).toMatchObject({ outcome: 'processed', orderIds: [o.id] });
    expect(signed.changes?.orders?.map((x) => x.state)).toEqual(['canceled']);
    const completion = await handle('completion_notice', { from: CARRIER, subject: `Completed ${o.id}`, text: `Order ${o.id} has been completed.` }, signedBy('northwind.example.test'));
    expect(completion).toMatchObject({ outcome: 'review', reviewReason: 'NOT_APPLICABLE' });
  });

  it('csr_request: the CSR to the address on file with support in copy, or Review CSR_MISMATCH', async () => {
    const csr = (prefix: string) => ({ from: DANA, subject: 'CSR request', text: `Please send my CSR.\nAccount name: Dana Whitfield\nTech prefix: ${prefix}\nNumbers: 206-555-0100, 206-555-0101` });
    const ok = await handle('csr_request', csr(bakeryAccount().techPrefix));
    expect(ok).toMatchObject({ outcome: 'processed' });
    expect(emails(ok).map((e) => [e.template, e.to, e.cc])).toEqual([['csr', [DANA], [TEST_SUPPORT]]]);
    const wrong = await handle('csr_request', csr('0000'));
    expect(wrong).toMatchObject({ outcome: 'review', reviewReason: 'CSR_MISMATCH' });
    expect(templates(wrong)).toEqual([`csr-received → ${DANA}`, `csr-needs-review → ${TEST_SUPPORT}`]);
  });

  it('auto_reply and bounce: ignored, never answered', async () => {
    expect(await handle('auto_reply', { from: DANA, subject: 'Out of office', text: 'Away.' })).toEqual({ outcome: 'ignored', reason: 'auto-reply' });
    expect(await handle('bounce', { from: 'MAILER-DAEMON@mx.example.test', subject: 'Undelivered', text: 'Status: 5.1.1' })).toEqual({ outcome: 'ignored', reason: 'bounce' });
  });

  it('other: Review OTHER, or the pre-approval explanation for an unsolicited approval', async () => {
    expect(await handle('other', { from: DANA, subject: 'My bill', text: 'Why is my bill so high?' })).toMatchObject({ outcome: 'review', reviewReason: 'OTHER' });
    const approval = await handle('other', { from: DANA, subject: 'Porting', text: 'I approve porting my numbers.' });
    expect(approval).toMatchObject({ outcome: 'processed' });
    expect(templates(approval)).toEqual([`preapproval-refusal → ${DANA}`, `support-alert → ${TEST_SUPPORT}`]);
  });
});
