/**
 * The console as a signed-in support user sees it (SPEC §12), through the fastify app with
 * app.inject(): the overview, the orders list and its searches, one order with every e-mail in
 * and out (and no secret of rule 4), the actions on orders (the same e-mails as the command
 * line, history naming the user), Review, and accounts (lock, PIN, PIN lock).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reviewIdOf } from '../../../src/app/review.js';
import { formatNumber } from '../../../src/domain/phone.js';
import type { Account, OutboxEntry, PortOrder } from '../../../src/domain/records.js';
import { TEST_MAIL_FROM, TEST_SUPPORT } from '../../support/desk-config.js';
import { buildMail } from '../../support/mail-builder.js';
import { bakeryAccount, pinAccount, singleNumberAccount } from '../../support/sample-accounts.js';
import { testPins } from '../../support/test-pins.js';
import { startTestConsole, TEST_USER, type TestConsole } from '../../support/web-app.js';

let tc: TestConsole;
let session: { cookie: string; csrf: string };

beforeEach(async () => {
  tc = await startTestConsole();
  await tc.addUser();
  session = await tc.signIn();
});

afterEach(async () => {
  await tc.close();
});

const HOUR = 3_600_000;

/** A page as the signed-in user; must be 200 unless said otherwise. */
async function page(url: string, query?: Record<string, string>, status = 200): Promise<string> {
  const res = await tc.app.inject({ method: 'GET', url, ...(query ? { query } : {}), headers: { cookie: session.cookie } });
  expect(res.statusCode, `GET ${url}`).toBe(status);
  return res.body;
}

/** A form sent as the signed-in user, with the session's CSRF token. */
function submit(url: string, fields: Record<string, string> = {}) {
  return tc.app.inject({ method: 'POST', url, headers: { cookie: session.cookie }, payload: { _csrf: session.csrf, ...fields } });
}

/** Text as the browser shows it: Handlebars' escapes undone. */
function decode(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&#x60;/g, '`')
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&');
}

/** The ids of the order rows of a list (the order-row partial). */
const rowIds = (html: string): string[] => [...html.matchAll(/<td><a href="\/orders\/(PO-[0-9A-Z]{6})">/g)].map((m) => m[1]!);

/** The count on an overview card for a state. */
const cardCount = (html: string, state: string): number | undefined => {
  const m = new RegExp(`href="/orders\\?state=${state}"><span class="count">(\\d+)</span>`).exec(html);
  return m ? Number(m[1]) : undefined;
};

const pager = (html: string, rel: 'prev' | 'next'): string | undefined => {
  const m = new RegExp(`<a href="([^"]*)" rel="${rel}">`).exec(html);
  return m ? decode(m[1]!) : undefined;
};

const order = (id: string) => tc.store.getOrder(id)!;
const account = (id: string) => tc.store.getAccount(id)!;

/** Who the e-mails went to, by role: comparable across two orders of two accounts. */
function roles(entries: OutboxEntry[], o: PortOrder): string[] {
  const customer = account(o.accountId).email;
  return entries
    .map((e) => `${e.template} → ${e.to.map((t) => (t === o.carrier.email ? 'carrier' : t === customer ? 'customer' : t === TEST_SUPPORT ? 'support' : t)).join(',')}`)
    .sort();
}

/** Approves by the order's link, as the customer would. */
async function approveByLink(path: string) {
  const res = await tc.app.inject({ method: 'POST', url: path, payload: { _csrf: tc.links.formToken(path.slice(3)), decision: 'approve' } });
  expect(res.statusCode).toBe(200);
}

/** Dana asks for her CSR with a tech prefix the account does not have: parked as CSR_MISMATCH. */
async function parkCsrRequest(messageId = 'csr-1@harborlane.example.test'): Promise<string> {
  const raw = buildMail({
    from: bakeryAccount().email,
    to: TEST_MAIL_FROM,
    subject: 'CSR request',
    messageId,
    text: 'Please send my CSR.\nAccount name: Dana Whitfield\nTech prefix: 9999\nNumbers: 206-555-0100, 206-555-0101',
  });
  expect(await tc.desk.handleMessage(raw)).toBe('review');
  return reviewIdOf(messageId);
}

/** Commits `n` finished orders made from `model`, each newer than the last. */
async function addOrders(model: PortOrder, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `PO-P${String(i).padStart(5, '0')}`);
  const orders = ids.map((id, i) => ({ ...model, id, token: `tok${id}xxxxxxxx`, state: 'canceled' as const, createdAt: new Date(Date.parse(model.createdAt) + (i + 1) * 1000).toISOString() }));
  await tc.store.commit({ orders });
  return ids;
}

describe('overview', () => {
  it('counts orders by state: the pending count follows the orders opened', async () => {
    expect(cardCount(await page('/'), 'pending_verification')).toBe(0);
    await tc.openOrder();
    await tc.openOrder({ account: singleNumberAccount() });
    const html = await page('/');
    expect(cardCount(html, 'pending_verification')).toBe(tc.store.listOrders({ state: 'pending_verification' }).length);
    expect(cardCount(html, 'pending_verification')).toBe(2);
    expect(cardCount(html, 'approved')).toBe(0);
  });

  it('shows what waits in Review and the queued e-mails', async () => {
    await tc.openOrder();
    await parkCsrRequest();
    const html = await page('/');
    expect(html).toMatch(new RegExp(`<span class="count">1</span><span>in Review</span>`));
    expect(html).toContain(`<span class="count">${tc.store.listQueuedOutbox().length}</span><span>e-mails queued</span>`);
  });

  it('counts the messages read in the last 24 hours, those read this very moment included', async () => {
    await tc.openOrder();
    await tc.openOrder({ account: singleNumberAccount() });
    expect(await page('/')).toContain(`messages in (${tc.store.listInbound().length})`);
  });
});

describe('orders', () => {
  let dana: PortOrder;
  let leah: PortOrder;

  beforeEach(async () => {
    dana = (await tc.openOrder({ pon: 'BAKERY-7' })).order;
    leah = (await tc.openOrder({ account: singleNumberAccount(), carrierName: 'Northwind Telecom', pon: 'NW-77' })).order;
  });

  it('lists every order, newest first, with its numbers, carrier and PON', async () => {
    const html = await page('/orders');
    expect(rowIds(html)).toEqual([leah.id, dana.id]);
    for (const did of [...dana.dids, ...leah.dids]) expect(html).toContain(formatNumber(did));
    expect(html).toContain('Northwind Telecom');
    expect(html).toContain('BAKERY-7');
  });

  it('finds an order by a number, however it is written', async () => {
    for (const q of ['+12065550100', '(206) 555-0100', '2065550100', '206-555-0100', '206.555.0101']) {
      expect(rowIds(await page('/orders', { q })), q).toEqual([dana.id]);
    }
    expect(rowIds(await page('/orders', { q: '(608) 555-0130' }))).toEqual([leah.id]);
  });

  it('finds orders by account id, carrier name, PON and order id', async () => {
    expect(rowIds(await page('/orders', { q: 'acct-single' }))).toEqual([leah.id]);
    expect(rowIds(await page('/orders', { q: 'northwind' }))).toEqual([leah.id]);
    expect(rowIds(await page('/orders', { q: 'bakery-7' }))).toEqual([dana.id]);
    expect(rowIds(await page('/orders', { q: dana.id.toLowerCase() }))).toEqual([dana.id]);
    expect(rowIds(await page('/orders', { q: 'nothing like this' }))).toEqual([]);
  });

  it('filters by state, alone and with a search', async () => {
    await tc.desk.cancelOrder(dana.id, 'withdrawn');
    expect(rowIds(await page('/orders', { state: 'canceled' }))).toEqual([dana.id]);
    expect(rowIds(await page('/orders', { state: 'pending_verification' }))).toEqual([leah.id]);
    expect(rowIds(await page('/orders', { state: 'canceled', q: 'northwind' }))).toEqual([]);
    // An unknown state is no filter.
    expect(rowIds(await page('/orders', { state: 'bogus' }))).toEqual([leah.id, dana.id]);
  });

  it('pages: fifty at a time, newest first, every order once, the pager links keep the filter', async () => {
    const extra = await addOrders(order(dana.id), 53);
    const all = tc.store.listOrders().map((o) => o.id);
    expect(all).toHaveLength(55);

    const first = await page('/orders');
    const firstIds = rowIds(first);
    expect(firstIds).toHaveLength(50);
    expect(firstIds[0]).toBe(extra.at(-1));
    expect(pager(first, 'prev')).toBeUndefined();
    const next = pager(first, 'next')!;
    expect(next).toBe('/orders?page=2');

    const second = await page(next);
    const secondIds = rowIds(second);
    expect(secondIds).toHaveLength(5);
    expect(pager(second, 'next')).toBeUndefined();
    expect(pager(second, 'prev')).toBe('/orders?page=1');
    expect(new Set([...firstIds, ...secondIds])).toEqual(new Set(all));

    const canceled = await page('/orders', { state: 'canceled' });
    expect(rowIds(canceled)).toHaveLength(50);
    const nextCanceled = pager(canceled, 'next')!;
    expect(new URL(nextCanceled, 'http://x').searchParams.get('state')).toBe('canceled');
    expect(rowIds(await page(nextCanceled))).toHaveLength(extra.length - 50);
  });
});

describe('one order', () => {
  it('shows its details, what the carrier gave and its history', async () => {
    const { order: o } = await tc.openOrder({ carrierName: 'Northwind Telecom', pon: 'NW-77' });
    const html = decode(await page(`/orders/${o.id}`));
    expect(html).toContain(`Order ${o.id}`);
    expect(html).toContain(o.accountId);
    for (const did of o.dids) expect(html).toContain(formatNumber(did));
    expect(html).toContain('Northwind Telecom');
    expect(html).toContain('NW-77');
    expect(html).toContain(`sent to ${o.verification!.sentTo}`);
    expect(html).toContain(o.provided.accountNumber!);
    for (const h of o.history) expect(html).toContain(h.detail!);
  });

  it('lists the events told to other systems, each endpoint masked with its delivery', async () => {
    const { order: o } = await tc.openOrder();
    expect(decode(await page(`/orders/${o.id}`))).toContain('Events to other systems');
    const at = new Date().toISOString();
    await tc.store.commit({
      events: [
        {
          id: 'msg_0000000000000a1',
          type: 'order.received',
          timestamp: at,
          orderId: o.id,
          data: { id: o.id, state: 'received' },
          deliveries: [
            { endpoint: 'https://crm.example.test/hook?key=s3cret', status: 'pending', attempts: 2, nextAttemptAt: at, lastError: 'HTTP 503' },
            { endpoint: 'https://ops:pa55@tickets.example.test/in', status: 'delivered', attempts: 1, nextAttemptAt: at, deliveredAt: at },
            { endpoint: 'https://old-crm.example.test/in', status: 'dropped', attempts: 4, nextAttemptAt: at, lastError: 'HTTP 500', droppedAt: at },
          ],
        },
      ],
    });
    const html = decode(await page(`/orders/${o.id}`));
    expect(html).toContain('order.received');
    expect(html).toContain('msg_0000000000000a1');
    expect(html).toContain('https://crm.example.test/hook?***: pending');
    expect(html).toContain('2 tries; last: HTTP 503');
    expect(html).toContain('https://ops:***@tickets.example.test/in: delivered');
    // An endpoint since removed from WEBHOOK_URL: dropped, with no next try.
    expect(html).toMatch(/https:\/\/old-crm\.example\.test\/in: dropped [^<]+ \(no longer in WEBHOOK_URL\)<br><small>4 tries; last: HTTP 500<\/small>/);
    expect(html).not.toContain('s3cret');
    expect(html).not.toContain('pa55');
  });

  it('a lower-case id finds it; an unknown id is a 404 page', async () => {
    const { order: o } = await tc.openOrder();
    expect(await page(`/orders/${o.id.toLowerCase()}`)).toContain(`Order ${o.id}`);
    expect(await page('/orders/PO-ZZZZZZ', undefined, 404)).toContain('No such order');
  });

  it('shows the inbound message with its mail authentication result', async () => {
    const { order: o } = await tc.openOrder();
    const entry = tc.store.listInbound().find((e) => o.sourceMessageIds.includes(e.key))!;
    expect(await page(`/orders/${o.id}`)).toContain('not checked');
    await tc.store.commit({
      inbound: [{ ...entry, auth: { by: 'portdesk', fromDomain: 'newcarrier.example.test', dkim: 'pass', dkimDomains: ['newcarrier.example.test'], spf: 'fail', dmarc: 'pass', arc: 'none', aligned: true } }],
    });
    const html = decode(await page(`/orders/${o.id}`));
    expect(html).toContain(entry.from!);
    expect(html).toContain(entry.subject!);
    expect(html).toContain('DKIM pass, SPF fail, DMARC pass, aligned');
  });

  it('shows every e-mail out, but never the order’s token, the answer link or a customer Message-ID', async () => {
    const { order: o, path } = await tc.openOrder();
    tc.clock.advance(25 * HOUR);
    await tc.desk.sendReminders();
    session = await tc.signIn(); // the first session ended while the day passed
    const html = await page(`/orders/${o.id}`);
    const shown = decode(html);
    const mails = tc.store.listOutbox().filter((e) => e.orderId === o.id);
    expect(mails.map((e) => e.template)).toEqual(expect.arrayContaining(['carrier-acknowledgement', 'customer-verification', 'customer-reminder']));
    for (const e of mails) expect(shown).toContain(e.subject);
    // The answer link is there, masked.
    expect(shown).toContain('/v/…');
    const current = order(o.id);
    for (const secret of [current.token, path, path.slice(3), tc.links.urlFor(o.id, o.token), current.verification!.messageId, ...(current.verification!.followUpIds ?? [])]) {
      expect(html).not.toContain(secret);
      expect(shown).not.toContain(secret);
    }
    expect(shown).not.toMatch(/\/v\/PO-/);
    expect(shown).not.toMatch(/porting\+[A-Za-z0-9_-]{8,}@/);
  });

  it('cancel: the reason and the user in the history, the same e-mails as `portdesk orders cancel`', async () => {
    const viaConsole = (await tc.openOrder()).order;
    const viaCli = (await tc.openOrder({ account: singleNumberAccount() })).order;

    let before = tc.store.listOutbox().length;
    const res = await submit(`/orders/${viaConsole.id}/cancel`, { reason: 'customer called to stop it' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/orders/${viaConsole.id}`);
    const consoleMails = roles(tc.store.listOutbox().slice(before), viaConsole);

    before = tc.store.listOutbox().length;
    await tc.desk.cancelOrder(viaCli.id, 'customer called to stop it');
    const cliMails = roles(tc.store.listOutbox().slice(before), viaCli);

    expect(consoleMails).toEqual(cliMails);
    expect(consoleMails.length).toBeGreaterThan(0);
    const done = order(viaConsole.id);
    expect(done.state).toBe('canceled');
    expect(done.state).toBe(order(viaCli.id).state);
    expect(done.decision?.note).toBe('customer called to stop it');
    expect(done.history.at(-1)?.detail).toContain(`support user: ${TEST_USER}`);
    // The page it comes back to says so.
    const html = await page(res.headers.location as string);
    expect(html).toMatch(/class="flash ok"[^>]*>[^<]*canceled/);
    expect(html).toContain(`support user: ${TEST_USER}`);
  });

  it('cancel without a reason changes nothing and says why', async () => {
    const { order: o } = await tc.openOrder();
    const commits = tc.store.commits.length;
    const res = await submit(`/orders/${o.id}/cancel`, { reason: '   ' });
    expect(res.statusCode).toBe(303);
    expect(tc.store.commits.length).toBe(commits);
    expect(order(o.id).state).toBe('pending_verification');
    expect(await page(`/orders/${o.id}`)).toMatch(/class="flash error"[^>]*>[^<]*needs a reason/);
  });

  it('complete: the user in the history, the same e-mails as `portdesk orders complete`', async () => {
    const viaConsole = await tc.openOrder();
    const viaCli = await tc.openOrder({ account: singleNumberAccount() });
    await approveByLink(viaConsole.path);
    await approveByLink(viaCli.path);

    let before = tc.store.listOutbox().length;
    const res = await submit(`/orders/${viaConsole.order.id}/complete`);
    expect(res.statusCode).toBe(303);
    const consoleMails = roles(tc.store.listOutbox().slice(before), viaConsole.order);

    before = tc.store.listOutbox().length;
    await tc.desk.completeOrder(viaCli.order.id);
    const cliMails = roles(tc.store.listOutbox().slice(before), viaCli.order);

    expect(consoleMails).toEqual(cliMails);
    expect(consoleMails.length).toBeGreaterThan(0);
    const done = order(viaConsole.order.id);
    expect(done.state).toBe('completed');
    expect(done.history.at(-1)?.detail).toContain(`support user: ${TEST_USER}`);
    expect(account(done.accountId).dids.every((d) => d.status === 'ported-out')).toBe(true);
  });

  it('complete on an order that cannot be completed changes nothing and says why', async () => {
    const { order: o } = await tc.openOrder();
    const commits = tc.store.commits.length;
    expect(await page(`/orders/${o.id}`)).not.toContain(`/orders/${o.id}/complete`);
    const res = await submit(`/orders/${o.id}/complete`);
    expect(res.statusCode).toBe(303);
    expect(tc.store.commits.length).toBe(commits);
    expect(order(o.id).state).toBe('pending_verification');
    expect(await page(`/orders/${o.id}`)).toContain('class="flash error"');
  });
});

describe('Review', () => {
  it('lists what waits with its reason, and shows one item with the message', async () => {
    const id = await parkCsrRequest();
    const list = await page('/review');
    expect(list).toContain(`href="/review/${id}"`);
    expect(list).toContain('CSR_MISMATCH');
    expect(list).toContain(bakeryAccount().email);

    const item = await page(`/review/${id}`);
    expect(item).toContain(`Review ${id}`);
    expect(item).toContain('CSR_MISMATCH');
    expect(item).toContain('Tech prefix: 9999');
    expect(item).toContain(`action="/review/${id}/reprocess"`);
    expect(item).toContain(`action="/review/${id}/dismiss"`);
    expect(await page('/review/R-0000000000', undefined, 404)).toContain('Not in Review');
  });

  it('a parked message that quotes an answer link or a reply address: neither the list nor the item shows it', async () => {
    const { order: o, path } = await tc.openOrder();
    const verification = tc.store.listOutbox().find((e) => e.orderId === o.id && e.template === 'customer-verification')!;
    const url = tc.links.urlFor(o.id, o.token);
    // From another address than the one on file: not a decision, parked for a person.
    const raw = buildMail({
      from: 'dana.personal@elsewhere.example.test',
      to: verification.replyTo!,
      subject: `approve ${url} ${verification.replyTo}`,
      messageId: 'fwd-1@elsewhere.example.test',
      inReplyTo: verification.messageId,
      text: `APPROVE\n\n${url}\n${verification.replyTo}`,
    });
    expect(await tc.desk.handleMessage(raw)).toBe('review');
    const id = reviewIdOf('fwd-1@elsewhere.example.test');
    const secrets = [o.token, path.slice(3), path.slice(3).split('.')[1]!, verification.messageId];
    for (const url of ['/review', '/review?all=1', `/review/${id}`, `/orders/${o.id}`, '/']) {
      const html = await page(url);
      for (const secret of secrets) expect(html, url).not.toContain(secret);
    }
    expect(await page(`/review/${id}`)).toContain('/v/…');
  });

  it('a message from an unknown sender that names no order waits there too', async () => {
    const raw = buildMail({ from: 'someone@elsewhere.example.test', to: TEST_MAIL_FROM, subject: 'Question about porting', messageId: 'q-1@elsewhere.example.test', text: 'Can you tell me how this works?' });
    expect(await tc.desk.handleMessage(raw)).toBe('review');
    const id = reviewIdOf('q-1@elsewhere.example.test');
    expect(await page('/review')).toContain(`href="/review/${id}"`);
    expect(await page(`/review/${id}`)).toContain('Can you tell me how this works?');
  });

  it('dismiss with a note: no longer waiting, recorded with the user and the note', async () => {
    const id = await parkCsrRequest();
    const res = await submit(`/review/${id}/dismiss`, { note: 'sent the CSR by hand' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/review/${id}`);
    const entry = tc.store.getInbound('csr-1@harborlane.example.test')!;
    expect(entry.resolution).toMatchObject({ action: 'dismissed', by: TEST_USER, note: 'sent the CSR by hand' });
    expect(await page('/review')).not.toContain(`href="/review/${id}"`);
    expect(await page('/review', { all: '1' })).toContain(`href="/review/${id}"`);
    const item = await page(`/review/${id}`);
    expect(item).toContain(`by ${TEST_USER}: sent the CSR by hand`);
    expect(item).not.toContain(`action="/review/${id}/dismiss"`);
  });

  it('dismiss without a note changes nothing', async () => {
    const id = await parkCsrRequest();
    const commits = tc.store.commits.length;
    expect((await submit(`/review/${id}/dismiss`, { note: ' ' })).statusCode).toBe(303);
    expect(tc.store.commits.length).toBe(commits);
    expect(tc.store.getInbound('csr-1@harborlane.example.test')!.resolution).toBeUndefined();
    expect(await page(`/review/${id}`)).toContain('class="flash error"');
  });

  it('reprocess after fixing the account: handled as new, the CSR goes to the customer', async () => {
    const id = await parkCsrRequest();
    await tc.store.commit({ accounts: [{ ...account('acct-bakery'), techPrefix: '9999' }] });
    const csrBefore = tc.store.listOutbox().filter((e) => e.template === 'csr').length;
    const res = await submit(`/review/${id}/reprocess`);
    expect(res.statusCode).toBe(303);
    expect(tc.store.getInbound('csr-1@harborlane.example.test')!.resolution).toMatchObject({ action: 'reprocessed', by: TEST_USER });
    const csr = tc.store.listOutbox().filter((e) => e.template === 'csr');
    expect(csr.length).toBe(csrBefore + 1);
    expect(csr.at(-1)!.to).toEqual([bakeryAccount().email]);
    expect(await page(`/review/${id}`)).toMatch(/class="flash ok"[^>]*>Handled again: processed/);
  });

  it('reprocess with nothing fixed: it waits in Review again, and the page says so', async () => {
    const id = await parkCsrRequest();
    await submit(`/review/${id}/reprocess`);
    expect(await page(`/review/${id}`)).toMatch(/class="flash ok"[^>]*>Handled again: it waits in Review again/);
    expect(await page('/review')).toContain(`href="/review/${id}"`);
    expect(tc.store.getInbound('csr-1@harborlane.example.test')!.resolution).toBeUndefined();
  });
});

describe('accounts', () => {
  it('searches by name, e-mail, id and number', async () => {
    const ids = async (q: string) => [...(await page('/accounts', { q })).matchAll(/<td><a href="\/accounts\/([^"]+)">/g)].map((m) => m[1]);
    expect(await ids('')).toEqual(tc.store.listAccounts().map((a) => a.id));
    expect(await ids('whitfield')).toEqual(['acct-bakery']);
    expect(await ids('okafor.example.test')).toEqual(['acct-single']);
    expect(await ids('acct-pin')).toEqual(['acct-pin']);
    expect(await ids('(608) 555-0130')).toEqual(['acct-single']);
    expect(await ids('+12065550101')).toEqual(['acct-bakery']);
  });

  it('one account shows its details, numbers and orders', async () => {
    const { order: o } = await tc.openOrder();
    const html = await page('/accounts/acct-bakery');
    const a = bakeryAccount();
    expect(html).toContain(a.email);
    expect(html).toContain(a.address.street);
    for (const d of a.dids) expect(html).toContain(formatNumber(d.number));
    expect(rowIds(html)).toEqual([o.id]);
    expect(await page('/accounts/acct-nope', undefined, 404)).toContain('No such account');
  });

  it('locks and unlocks port-out', async () => {
    let res = await submit('/accounts/acct-bakery/lock', { locked: 'yes' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/accounts/acct-bakery');
    expect(account('acct-bakery').portOutLock).toBe(true);
    expect(await page('/accounts/acct-bakery')).toContain('<strong>locked</strong>');

    res = await submit('/accounts/acct-bakery/lock', { locked: 'no' });
    expect(res.statusCode).toBe(303);
    expect(account('acct-bakery').portOutLock).toBe(false);
  });

  it('a locked account refuses the next request at once', async () => {
    await submit('/accounts/acct-bakery/lock', { locked: 'yes' });
    await expect(tc.openOrder()).rejects.toThrow();
    expect(tc.store.listOrders({ accountId: 'acct-bakery' }).at(-1)?.decision?.reasonCodes).toContain('PORT_PROTECTED');
  });

  it('sets a PIN: stored as a hash that matches it, never as the PIN, and never shown on a page', async () => {
    const pin = 'K7Q2Z9';
    const res = await submit('/accounts/acct-bakery/pin', { pin });
    expect(res.statusCode).toBe(303);
    const stored = account('acct-bakery').portOutPin;
    expect(stored).toBeDefined();
    expect(stored).not.toBe(pin);
    expect(stored).not.toContain(pin);
    expect(testPins.matches(pin, stored!)).toBe(true);
    expect(testPins.matches('K7Q2Z8', stored!)).toBe(false);
    for (const url of ['/accounts/acct-bakery', '/accounts', '/', '/orders']) {
      const html = await page(url);
      expect(html, url).not.toContain(pin);
      expect(html, url).not.toContain(stored);
    }
    expect(await page('/accounts/acct-bakery')).toMatch(/<dt>PIN<\/dt><dd>set/);
  });

  it('a PIN too short is refused and the account unchanged', async () => {
    const before = JSON.stringify(account('acct-bakery'));
    await submit('/accounts/acct-bakery/pin', { pin: '12' });
    expect(JSON.stringify(account('acct-bakery'))).toBe(before);
    expect(await page('/accounts/acct-bakery')).toContain('class="flash error"');
  });

  it('clears a PIN', async () => {
    expect(account('acct-pin').portOutPin).toBeDefined();
    expect(await page('/accounts/acct-pin')).toContain('Clear the PIN');
    const res = await submit('/accounts/acct-pin/pin', { clear: 'yes' });
    expect(res.statusCode).toBe(303);
    expect(account('acct-pin').portOutPin).toBeUndefined();
    expect(await page('/accounts/acct-pin')).toMatch(/<dt>PIN<\/dt><dd>not set/);
  });

  it('clears a PIN lock set by guessing', async () => {
    const at = tc.clock.now().toISOString();
    const locked: Account = { ...pinAccount(), pinGuard: { wrong: [], lastWrongAt: at, locks: [{ carrier: 'guessers.example.test', at, wrongPins: 3 }] } };
    await tc.store.commit({ accounts: [locked] });
    const html = await page('/accounts/acct-pin');
    expect(html).toContain('action="/accounts/acct-pin/unlock-pin"');
    expect(html).toContain('guessers.example.test');

    const res = await submit('/accounts/acct-pin/unlock-pin', { carrier: 'guessers.example.test' });
    expect(res.statusCode).toBe(303);
    expect(account('acct-pin').pinGuard?.locks ?? []).toEqual([]);
    const after = await page('/accounts/acct-pin');
    expect(after).toMatch(/class="flash ok"[^>]*>PIN lock cleared for guessers\.example\.test/);
    expect(after).not.toContain('action="/accounts/acct-pin/unlock-pin"');
  });
});
