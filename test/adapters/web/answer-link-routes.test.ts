/**
 * The customer's one-click answer, `/v/TOKEN` (SPEC §12, rule 4's third secret), through the
 * fastify app with app.inject(): GET shows the order and changes nothing (mail scanners fetch
 * links); the page's buttons POST the decision with the page's form token, once; a changed,
 * foreign, expired or used link changes nothing; and the link only ever travels to the customer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnswerLinks } from '../../../src/app/answer-links.js';
import { cleanCarrierName } from '../../../src/domain/carrier-text.js';
import { formatNumber } from '../../../src/domain/phone.js';
import type { OutboxEntry, PortOrder } from '../../../src/domain/records.js';
import { TEST_SUPPORT } from '../../support/desk-config.js';
import { buildMail } from '../../support/mail-builder.js';
import { bakeryAccount, lockedAccount, singleNumberAccount } from '../../support/sample-accounts.js';
import { hiddenField, PUBLIC_URL, startTestConsole, type TestConsole } from '../../support/web-app.js';

let tc: TestConsole;

beforeEach(async () => {
  tc = await startTestConsole();
});

afterEach(async () => {
  await tc.close();
});

/** Everything a link could change: the orders, the outbox, and the number of commits. */
function snapshot() {
  return { orders: JSON.stringify(tc.store.listOrders()), outbox: JSON.stringify(tc.store.listOutbox()), commits: tc.store.commits.length };
}

const get = (url: string) => tc.app.inject({ method: 'GET', url });
const post = (url: string, payload: Record<string, string>) => tc.app.inject({ method: 'POST', url, payload });

/** The form token the page hands out, as a browser would read it. */
async function formTokenOf(path: string): Promise<string> {
  const page = await get(path);
  expect(page.statusCode).toBe(200);
  const token = hiddenField(page.body, '_csrf');
  expect(token).toBeTruthy();
  return token!;
}

const tokenOf = (path: string) => path.slice('/v/'.length);
const newEntries = (before: number) => tc.store.listOutbox().slice(before);
const order = (id: string) => tc.store.getOrder(id)!;

/** Who an e-mail went to, by role: what a decision queues, whatever the addresses. */
function roles(entries: OutboxEntry[], o: PortOrder): string[] {
  const customer = tc.store.getAccount(o.accountId)!.email;
  return entries
    .map((e) => `${e.template} → ${e.to.map((t) => (t === o.carrier.email ? 'carrier' : t === customer ? 'customer' : t === TEST_SUPPORT ? 'support' : t)).join(',')}`)
    .sort();
}

describe('GET /v/TOKEN', () => {
  it('shows the numbers, the requesting carrier and two buttons that post approve and reject', async () => {
    const { order: o, path } = await tc.openOrder({ carrierName: 'Northwind Telecom' });
    const res = await get(path);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    for (const did of o.dids) expect(res.body).toContain(formatNumber(did));
    expect(res.body).toContain(cleanCarrierName(o.carrier.name));
    expect(res.body).toContain(o.id);
    expect(res.body).toMatch(/<form method="post"/);
    expect(res.body).toMatch(/<button type="submit" name="decision" value="approve">/);
    expect(res.body).toMatch(/<button type="submit" name="decision" value="reject"/);
    expect(hiddenField(res.body, '_csrf')).toBe(tc.links.formToken(tokenOf(path)));
  });

  it('changes nothing, however often it is fetched (as a mail scanner would)', async () => {
    const { order: o, path } = await tc.openOrder();
    const before = snapshot();
    for (let i = 0; i < 5; i++) expect((await get(path)).statusCode).toBe(200);
    expect((await tc.app.inject({ method: 'HEAD', url: path })).statusCode).toBe(200);
    expect(snapshot()).toEqual(before);
    expect(order(o.id).state).toBe('pending_verification');
  });

  it('asks search engines not to index the page', async () => {
    const { path } = await tc.openOrder();
    expect((await get(path)).headers['x-robots-tag']).toMatch(/noindex/);
  });
});

describe('POST /v/TOKEN', () => {
  it('approve with the page’s form token: the order is approved by the customer, "via link", the e-mails queued once', async () => {
    const { order: o, path } = await tc.openOrder();
    const csrf = await formTokenOf(path);
    const outboxBefore = tc.store.listOutbox().length;

    const res = await post(path, { _csrf: csrf, decision: 'approve' });

    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('approved');
    const after = order(o.id);
    expect(after.state).toBe('approved');
    expect(after.decision?.by).toBe('customer');
    expect(after.history.at(-1)).toMatchObject({ event: 'approved', detail: expect.stringContaining('via link') });
    expect(roles(newEntries(outboxBefore), o)).toEqual(['carrier-approval → carrier', 'customer-decision → customer']);
  });

  it('reject with the page’s form token: rejected by the customer (CUSTOMER_REJECTED), "via link"', async () => {
    const { order: o, path } = await tc.openOrder();
    const res = await post(path, { _csrf: await formTokenOf(path), decision: 'reject' });
    expect(res.statusCode).toBe(200);
    const after = order(o.id);
    expect(after.state).toBe('rejected');
    expect(after.decision).toMatchObject({ by: 'customer', reasonCodes: ['CUSTOMER_REJECTED'] });
    expect(after.history.at(-1)).toMatchObject({ event: 'rejected', detail: expect.stringContaining('via link') });
  });

  it('records the decision exactly as the customer’s reply would: same state, same decision, same e-mails', async () => {
    // Dana answers by link; Leah answers the same kind of request by replying APPROVE.
    const byLink = await tc.openOrder();
    const byReply = await tc.openOrder({ account: singleNumberAccount() });
    let before = tc.store.listOutbox().length;
    await post(byLink.path, { _csrf: await formTokenOf(byLink.path), decision: 'approve' });
    const linkMails = roles(newEntries(before), byLink.order);

    const verification = tc.store.listOutbox().find((e) => e.orderId === byReply.order.id && e.template === 'customer-verification')!;
    before = tc.store.listOutbox().length;
    const reply = buildMail({
      from: singleNumberAccount().email,
      to: verification.replyTo!,
      subject: `Re: ${verification.subject}`,
      inReplyTo: verification.messageId,
      text: 'APPROVE',
    });
    expect(await tc.desk.handleMessage(reply)).toBe('processed');
    const replyMails = roles(newEntries(before), byReply.order);

    const a = order(byLink.order.id);
    const b = order(byReply.order.id);
    expect(a.state).toBe(b.state);
    expect({ by: a.decision?.by, reasonCodes: a.decision?.reasonCodes }).toEqual({ by: b.decision?.by, reasonCodes: b.decision?.reasonCodes });
    expect(a.history.at(-1)?.event).toBe(b.history.at(-1)?.event);
    expect(linkMails).toEqual(replyMails);
  });

  it('a replayed POST, and a later reject, get 410 with the state, change nothing and send nothing', async () => {
    const { order: o, path } = await tc.openOrder();
    const csrf = await formTokenOf(path);
    expect((await post(path, { _csrf: csrf, decision: 'approve' })).statusCode).toBe(200);
    const before = snapshot();

    const replay = await post(path, { _csrf: csrf, decision: 'approve' });
    expect(replay.statusCode).toBe(410);
    expect(replay.body).toContain('was approved');

    const reject = await post(path, { _csrf: csrf, decision: 'reject' });
    expect(reject.statusCode).toBe(410);
    expect(reject.body).toContain('was approved');

    expect(snapshot()).toEqual(before);
    expect(order(o.id).state).toBe('approved');
  });

  it('after a decision, the GET shows the state instead of the buttons', async () => {
    const { path } = await tc.openOrder();
    await post(path, { _csrf: await formTokenOf(path), decision: 'reject' });
    const res = await get(path);
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('was rejected');
    expect(res.body).not.toContain('name="decision"');
  });
});

describe('a link that is not genuine', () => {
  /** The same link with one character of its signature changed. */
  function oneCharChanged(token: string): string {
    const i = token.length - 10;
    const c = token[i] === 'A' ? 'B' : 'A';
    return `${token.slice(0, i)}${c}${token.slice(i + 1)}`;
  }

  async function expectRefused(forged: string, orderIds: string[]) {
    const before = snapshot();
    const page = await get(`/v/${forged}`);
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('not valid');
    expect(page.body).toContain(TEST_SUPPORT);
    expect(page.body).not.toContain('name="decision"');
    // Even with the form token this desk would have made for that link.
    for (const decision of ['approve', 'reject']) {
      const res = await post(`/v/${forged}`, { _csrf: tc.links.formToken(forged), decision });
      expect(res.statusCode).toBe(403);
    }
    expect(snapshot()).toEqual(before);
    for (const id of orderIds) expect(order(id).state).toBe('pending_verification');
  }

  it('one character of the signature changed: 403, nothing changed', async () => {
    const { order: o, path } = await tc.openOrder();
    const forged = oneCharChanged(tokenOf(path));
    expect(forged).not.toBe(tokenOf(path));
    await expectRefused(forged, [o.id]);
  });

  it('another real order’s id with the first order’s signature: 403, nothing changed', async () => {
    const first = await tc.openOrder();
    const second = await tc.openOrder({ account: singleNumberAccount() });
    const signature = tokenOf(first.path).split('.')[1]!;
    await expectRefused(`${second.order.id}.${signature}`, [first.order.id, second.order.id]);
  });

  it('a token of the right shape signed with another key: 403, nothing changed', async () => {
    const { order: o, path } = await tc.openOrder();
    const foreign = createAnswerLinks(Buffer.from('o'.repeat(64)), PUBLIC_URL).tokenFor(o.id, o.token);
    expect(foreign.split('.')[0]).toBe(o.id);
    expect(foreign).not.toBe(tokenOf(path));
    await expectRefused(foreign, [o.id]);
  });

  it('junk and a cut-short link: 403, nothing changed', async () => {
    const { order: o, path } = await tc.openOrder();
    await expectRefused('not-a-token', [o.id]);
    await expectRefused(tokenOf(path).slice(0, -1), [o.id]);
  });
});

describe('the form token', () => {
  it('missing or wrong: 403 and nothing changed', async () => {
    const { order: o, path } = await tc.openOrder();
    const other = await tc.openOrder({ account: singleNumberAccount() });
    const before = snapshot();
    const attempts: Record<string, string>[] = [
      { decision: 'approve' },
      { _csrf: '', decision: 'approve' },
      { _csrf: 'x'.repeat(43), decision: 'approve' },
      // The form token of another genuine link.
      { _csrf: await formTokenOf(other.path), decision: 'approve' },
      // The link's own token in place of the form's.
      { _csrf: tokenOf(path), decision: 'reject' },
    ];
    for (const payload of attempts) expect((await post(path, payload)).statusCode).toBe(403);
    expect(snapshot()).toEqual(before);
    expect(order(o.id).state).toBe('pending_verification');
  });

  it('with a decision other than approve or reject: 400 and nothing changed', async () => {
    const { order: o, path } = await tc.openOrder();
    const csrf = await formTokenOf(path);
    const before = snapshot();
    const payloads: Record<string, string>[] = [{ _csrf: csrf }, { _csrf: csrf, decision: 'maybe' }, { _csrf: csrf, decision: 'APPROVE ' }, { _csrf: csrf, decision: '' }];
    for (const payload of payloads) {
      expect((await post(path, payload)).statusCode).toBe(400);
    }
    expect(snapshot()).toEqual(before);
    expect(order(o.id).state).toBe('pending_verification');
  });

  it('a form sent from another site is refused before anything is read', async () => {
    const { order: o, path } = await tc.openOrder();
    const csrf = await formTokenOf(path);
    const before = snapshot();
    const res = await tc.app.inject({ method: 'POST', url: path, headers: { origin: 'https://evil.example' }, payload: { _csrf: csrf, decision: 'approve' } });
    expect(res.statusCode).toBe(403);
    expect(snapshot()).toEqual(before);
    expect(order(o.id).state).toBe('pending_verification');
  });
});

describe('a link whose time has passed, or whose order the desk decided', () => {
  it('until the verification expires the page answers; from expiresAt on, GET and POST get 410 "time to answer has passed" and change nothing', async () => {
    const { order: o, path } = await tc.openOrder();
    const csrf = await formTokenOf(path);
    const expiresAt = new Date(o.verification!.expiresAt);

    tc.clock.set(new Date(expiresAt.getTime() - 1));
    expect((await get(path)).statusCode).toBe(200);

    tc.clock.set(expiresAt);
    const before = snapshot();
    const page = await get(path);
    expect(page.statusCode).toBe(410);
    expect(page.body).toMatch(/time to answer has passed/i);
    expect(page.body).toContain(TEST_SUPPORT);
    for (const decision of ['approve', 'reject']) {
      const res = await post(path, { _csrf: csrf, decision });
      expect(res.statusCode).toBe(410);
      expect(res.body).toMatch(/time to answer has passed/i);
    }
    expect(snapshot()).toEqual(before);
    expect(order(o.id).state).toBe('pending_verification');
  });

  it('an order canceled by the desk: 410 with its state on GET and POST, nothing changed', async () => {
    const { order: o, path } = await tc.openOrder();
    const csrf = await formTokenOf(path);
    await tc.desk.cancelOrder(o.id, 'carrier withdrew the request');
    const before = snapshot();
    const page = await get(path);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('was canceled');
    const res = await post(path, { _csrf: csrf, decision: 'approve' });
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('was canceled');
    expect(snapshot()).toEqual(before);
    expect(order(o.id).state).toBe('canceled');
  });

  it('an order the customer already decided by reply: 410 with its state, the reply’s decision stands', async () => {
    const { order: o, path } = await tc.openOrder();
    const csrf = await formTokenOf(path);
    const verification = tc.store.listOutbox().find((e) => e.orderId === o.id && e.template === 'customer-verification')!;
    const reply = buildMail({ from: bakeryAccount().email, to: verification.replyTo!, subject: `Re: ${verification.subject}`, inReplyTo: verification.messageId, text: 'REJECT' });
    expect(await tc.desk.handleMessage(reply)).toBe('processed');
    const before = snapshot();
    const res = await post(path, { _csrf: csrf, decision: 'approve' });
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('was rejected');
    expect(snapshot()).toEqual(before);
  });
});

describe('where the link travels', () => {
  it('only in the e-mails to the customer: never to the carrier or to support, whatever happens to the order', async () => {
    const dana = await tc.openOrder();
    const leah = await tc.openOrder({ account: singleNumberAccount() });
    await expect(tc.openOrder({ account: lockedAccount() })).rejects.toThrow(); // rejected at once: PORT_PROTECTED
    tc.clock.advance(25 * 3_600_000);
    await tc.desk.sendReminders();
    // Leah's unclear answer, a stranger's message for support, then Dana's answer by link and the digest.
    const leahVerification = tc.store.listOutbox().find((e) => e.orderId === leah.order.id && e.template === 'customer-verification')!;
    await tc.desk.handleMessage(buildMail({ from: singleNumberAccount().email, to: leahVerification.replyTo!, subject: 'Re: hm', inReplyTo: leahVerification.messageId, text: 'not sure yet' }));
    await tc.desk.handleMessage(buildMail({ from: 'someone@elsewhere.example.test', to: 'porting@desk.example.test', subject: `About ${dana.order.id}`, text: 'what is this' }));
    await post(dana.path, { _csrf: await formTokenOf(dana.path), decision: 'approve' });
    await tc.desk.completeOrder(dana.order.id);
    await tc.desk.sendDigest();

    const orders = tc.store.listOrders();
    const secrets = orders.flatMap((o) => [o.token, tc.links.tokenFor(o.id, o.token)]);
    const customers = new Set(orders.map((o) => tc.store.getAccount(o.accountId)!.email));
    const all = tc.store.listOutbox();
    const toCarrier = all.filter((e) => e.to.some((t) => orders.some((o) => o.carrier.email === t)));
    const toSupport = all.filter((e) => e.to.includes(TEST_SUPPORT));
    expect(toCarrier.length).toBeGreaterThanOrEqual(4);
    expect(toSupport.map((e) => e.template)).toEqual(expect.arrayContaining(['support-alert', 'daily-digest']));

    for (const e of [...toCarrier, ...toSupport]) {
      const whole = JSON.stringify(e);
      expect(whole, `${e.template} to ${e.to.join(',')}`).not.toContain('/v/');
      for (const s of secrets) expect(whole, `${e.template} to ${e.to.join(',')}`).not.toContain(s);
    }
    for (const e of all.filter((x) => x.text.includes('/v/') || x.html.includes('/v/'))) {
      expect(e.to.every((t) => customers.has(t)), `${e.template} to ${e.to.join(',')}`).toBe(true);
    }
  });

  it('a message that quotes the link and the reply address: the alert to support repeats neither', async () => {
    const { order: o, path } = await tc.openOrder();
    const verification = tc.store.listOutbox().find((e) => e.orderId === o.id && e.template === 'customer-verification')!;
    const url = `${PUBLIC_URL}${path}`;
    // Dana writes from another address (so it is no decision), pasting what the verification gave her.
    const raw = buildMail({
      from: 'dana.personal@elsewhere.example.test',
      to: verification.replyTo!,
      subject: `approve ${url} ${verification.replyTo}`,
      inReplyTo: verification.messageId,
      text: `APPROVE\n\n${url}\n${verification.replyTo}`,
    });
    const before = tc.store.listOutbox().length;
    expect(await tc.desk.handleMessage(raw)).toBe('review');
    const toSupport = tc.store.listOutbox().slice(before).filter((e) => e.to.includes(TEST_SUPPORT));
    expect(toSupport.length).toBeGreaterThan(0);
    for (const e of toSupport) {
      const whole = JSON.stringify(e);
      for (const secret of [o.token, tokenOf(path), tokenOf(path).split('.')[1]!, verification.messageId]) expect(whole, e.template).not.toContain(secret);
    }
    expect(order(o.id).state).toBe('pending_verification');
  });

  it('the verification carries the full link in its text and its html', async () => {
    const { order: o } = await tc.openOrder();
    const url = tc.links.urlFor(o.id, o.token);
    expect(url.startsWith(`${PUBLIC_URL}/v/`)).toBe(true);
    const verification = tc.store.listOutbox().filter((e) => e.orderId === o.id && e.template === 'customer-verification');
    expect(verification).toHaveLength(1);
    expect(verification[0]!.to).toEqual([bakeryAccount().email]);
    expect(verification[0]!.text).toContain(url);
    expect(verification[0]!.html).toContain(url);
  });
});
