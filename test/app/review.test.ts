/**
 * Review as support works it (SPEC §9, §10), on fakes: a parked message is listed with its reason
 * and a short id, shown, dismissed with a note, or handled again once the account was fixed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { testDeskDeps } from '../support/test-desk.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import { findReview, listReview, reviewIdOf } from '../../src/app/review.js';
import { TEST_MAIL_FROM, TEST_SUPPORT } from '../support/desk-config.js';
import { FixedClock } from '../support/fixed-clock.js';
import { buildMail } from '../support/mail-builder.js';
import { MemoryParkedMail } from '../support/memory-parked-mail.js';
import { MemoryStore } from '../support/memory-store.js';
import { bakeryAccount, sampleAccounts } from '../support/sample-accounts.js';

const DANA = bakeryAccount().email;

let store: MemoryStore;
let parked: MemoryParkedMail;
let clock: FixedClock;
let desk: Desk;

beforeEach(() => {
  store = new MemoryStore({ accounts: sampleAccounts() });
  parked = new MemoryParkedMail();
  clock = new FixedClock('2026-03-02T15:00:00.000Z');
  desk = createDesk(testDeskDeps({ store, clock, parkedMail: parked }));
});

/** Dana asks for her CSR with a tech prefix the account does not have (yet). */
async function parkCsrRequest(prefix = '9999', id = 'csr-1@harborlane.example.test') {
  const raw = buildMail({
    from: DANA,
    to: TEST_MAIL_FROM,
    subject: 'CSR request',
    messageId: id,
    text: `Please send my CSR.\nAccount name: Dana Whitfield\nTech prefix: ${prefix}\nNumbers: 206-555-0100, 206-555-0101`,
  });
  expect(await desk.handleMessage(raw)).toBe('review');
  return { raw, key: id, id: reviewIdOf(id) };
}

const sentTo = (address: string, template: string) => store.listOutbox().filter((e) => e.template === template && e.to.includes(address));

describe('Review', () => {
  it('lists what waits with its reason code, its meaning and a short id, and keeps the message for later', async () => {
    const { raw, key, id } = await parkCsrRequest();
    expect(id).toMatch(/^R-[0-9a-f]{10}$/);
    const [item, ...rest] = listReview(store);
    expect(rest).toEqual([]);
    expect(item).toMatchObject({ id, key, reviewReason: 'CSR_MISMATCH', from: DANA, subject: 'CSR request', detail: expect.stringContaining('tech prefix does not match') });
    expect(item!.meaning).toMatch(/do not match one account/);
    expect(findReview(store, id)).toEqual(item);
    expect(findReview(store, key)).toEqual(item);
    expect(parked.messages.get(key)?.equals(raw)).toBe(true);
  });

  it('dismissed with a note: no longer waiting, recorded with who and why, the copy let go', async () => {
    const { id, key } = await parkCsrRequest();
    clock.advance(60_000);
    const item = await desk.dismissReview(id, 'customer called; sent the CSR by hand', 'alex');
    expect(item.resolution).toEqual({ action: 'dismissed', at: '2026-03-02T15:01:00.000Z', by: 'alex', note: 'customer called; sent the CSR by hand' });
    expect(listReview(store)).toEqual([]);
    expect(listReview(store, { all: true }).map((i) => i.id)).toEqual([id]);
    expect(parked.messages.has(key)).toBe(false);
    await expect(desk.dismissReview(id, 'again')).rejects.toMatchObject({ code: 'REVIEW_ALREADY_RESOLVED' });
  });

  it('reprocessed after the account was fixed: handled as if it had just arrived', async () => {
    const { id, key } = await parkCsrRequest();
    expect(sentTo(DANA, 'csr')).toEqual([]);
    // Support finds the tech prefix was wrong on file and fixes the account.
    await store.commit({ accounts: [{ ...store.getAccount(bakeryAccount().id)!, techPrefix: '9999' }] });
    const { item, disposition } = await desk.reprocessReview(id, 'alex');
    expect(disposition).toBe('processed');
    expect(item.resolution).toMatchObject({ action: 'reprocessed', by: 'alex', previous: expect.stringMatching(/^CSR_MISMATCH: /) });
    expect(sentTo(DANA, 'csr')).toHaveLength(1);
    expect(listReview(store)).toEqual([]);
    expect(parked.messages.has(key)).toBe(false);
  });

  it('reprocessed and still wrong: back in Review with its new reason, still kept', async () => {
    const { id, key } = await parkCsrRequest();
    const { item, disposition } = await desk.reprocessReview(id);
    expect(disposition).toBe('review');
    expect(item.resolution).toBeUndefined();
    expect(listReview(store).map((i) => i.id)).toEqual([id]);
    expect(parked.messages.has(key)).toBe(true);
    expect(sentTo(TEST_SUPPORT, 'csr-needs-review').length).toBeGreaterThanOrEqual(1);
  });

  it('says what is wrong: an unknown id, a dismissal without a note, a message that was not kept', async () => {
    await expect(desk.reprocessReview('R-0000000000')).rejects.toMatchObject({ code: 'REVIEW_NOT_FOUND' });
    const { id, key } = await parkCsrRequest();
    await expect(desk.dismissReview(id, '  ')).rejects.toMatchObject({ code: 'REVIEW_NOTE_MISSING' });
    parked.messages.delete(key);
    await expect(desk.reprocessReview(id)).rejects.toMatchObject({ code: 'REVIEW_MAIL_MISSING', message: expect.stringContaining('PortDesk/Review') });
  });

  it('a message that was handled, not parked, is not in Review', async () => {
    const raw = buildMail({ from: DANA, to: TEST_MAIL_FROM, subject: 'Out of office', messageId: 'ooo@x.test', headers: { 'Auto-Submitted': 'auto-replied' }, text: 'Away.' });
    expect(await desk.handleMessage(raw)).toBe('ignored');
    expect(() => findReview(store, 'ooo@x.test')).toThrow(/nothing in Review/);
  });
});
