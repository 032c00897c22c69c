/**
 * What keeps the console and the answer pages safe (SPEC §12, rule 4), through the fastify app
 * with app.inject(): every state-changing route refuses a request without its session, its CSRF
 * token or its origin; pages send strangers to sign in and never on to another site; sign-in is
 * rate-limited; what a carrier or a stranger wrote is shown as text; every response carries the
 * security headers; /healthz and /metrics answer as documented; and no log line holds a link.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SIGNIN_FAILURES_PER_CLIENT,
  SIGNIN_FAILURES_PER_NAME,
  SIGNIN_WINDOW_MS,
} from '../../../src/adapters/web/sessions.js';
import { reviewIdOf } from '../../../src/app/review.js';
import type { Account, PortOrder } from '../../../src/domain/records.js';
import { createLogger } from '../../../src/logger.js';
import { TEST_MAIL_FROM } from '../../support/desk-config.js';
import { buildMail } from '../../support/mail-builder.js';
import { bakeryAccount, pinAccount } from '../../support/sample-accounts.js';
import { cookieOf, hiddenField, PUBLIC_URL, startTestConsole, TEST_PASSWORD, TEST_USER, type TestConsole } from '../../support/web-app.js';

let tc: TestConsole;

afterEach(async () => {
  await tc?.close();
});

const HOUR = 3_600_000;
const OTHER_USER = 'bob';

const get = (url: string, cookie?: string, extra: { remoteAddress?: string } = {}) =>
  tc.app.inject({ method: 'GET', url, ...extra, ...(cookie ? { headers: { cookie } } : {}) });

/** Everything an action could change, and how many commits the store saw. */
function snapshot() {
  const s = tc.store;
  return {
    commits: s.commits.length,
    accounts: JSON.stringify(s.listAccounts()),
    orders: JSON.stringify(s.listOrders()),
    outbox: JSON.stringify(s.listOutbox()),
    inbound: JSON.stringify(s.listInbound()),
    users: JSON.stringify(s.listUsers()),
    parked: [...tc.parkedMail.messages.keys()].sort(),
  };
}

/** A sign-in through the form, from a client address: the response to the POST. */
async function signInAs(name: string, password: string, { remoteAddress = '127.0.0.1', next = '/' }: { remoteAddress?: string; next?: string } = {}) {
  const form = await tc.app.inject({ method: 'GET', url: '/signin', remoteAddress });
  return tc.app.inject({
    method: 'POST',
    url: '/signin',
    remoteAddress,
    headers: { cookie: cookieOf(form, 'portdesk_signin')! },
    payload: { name, password, _csrf: hiddenField(form.body, '_csrf')!, next },
  });
}

const errorOf = (html: string) => /<p class="flash error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
const randomSecret = () => randomBytes(32).toString('base64url');

// ---------------------------------------------------------------------------------------------

describe('state-changing routes', () => {
  let alice: { cookie: string; csrf: string };
  let bob: { cookie: string; csrf: string };
  let approved: PortOrder;
  let reviewId: string;

  beforeEach(async () => {
    tc = await startTestConsole();
    await tc.addUser();
    await tc.addUser(OTHER_USER, 'another long password here');
    // Something for every action to act on: an approved order, a parked message whose account
    // was since fixed, an account with a PIN lock.
    const { order, path } = await tc.openOrder();
    await tc.app.inject({ method: 'POST', url: path, payload: { _csrf: tc.links.formToken(path.slice(3)), decision: 'approve' } });
    approved = tc.store.getOrder(order.id)!;
    expect(approved.state).toBe('approved');
    const raw = buildMail({ from: bakeryAccount().email, to: TEST_MAIL_FROM, subject: 'CSR request', messageId: 'csr-1@harborlane.example.test', text: 'Please send my CSR.\nAccount name: Dana Whitfield\nTech prefix: 9999\nNumbers: 206-555-0100' });
    expect(await tc.desk.handleMessage(raw)).toBe('review');
    reviewId = reviewIdOf('csr-1@harborlane.example.test');
    await tc.store.commit({ accounts: [{ ...tc.store.getAccount('acct-bakery')!, techPrefix: '9999' }] });
    const at = tc.clock.now().toISOString();
    await tc.store.commit({ accounts: [{ ...pinAccount(), pinGuard: { wrong: [], locks: [{ carrier: 'guessers.example.test', at, wrongPins: 3 }] } } satisfies Account] });
    alice = await tc.signIn();
    bob = await tc.signIn(OTHER_USER, 'another long password here');
  });

  /** Every POST route of console-routes.ts but sign-in, with the fields its form sends. */
  const routes: { route: string; url: () => string; fields: Record<string, string> }[] = [
    { route: '/signout', url: () => '/signout', fields: {} },
    { route: '/orders/:id/complete', url: () => `/orders/${approved.id}/complete`, fields: {} },
    { route: '/orders/:id/cancel', url: () => `/orders/${approved.id}/cancel`, fields: { reason: 'customer called to stop it' } },
    { route: '/review/:id/reprocess', url: () => `/review/${reviewId}/reprocess`, fields: {} },
    { route: '/review/:id/dismiss', url: () => `/review/${reviewId}/dismiss`, fields: { note: 'sent by hand' } },
    { route: '/accounts/:id/lock', url: () => '/accounts/acct-bakery/lock', fields: { locked: 'yes' } },
    { route: '/accounts/:id/pin', url: () => '/accounts/acct-bakery/pin', fields: { pin: 'K7Q2Z9' } },
    { route: '/accounts/:id/unlock-pin', url: () => '/accounts/acct-pin/unlock-pin', fields: { carrier: 'guessers.example.test' } },
  ];

  const send = (url: string, { cookie, csrf, fields, headers = {} }: { cookie?: string; csrf?: string; fields: Record<string, string>; headers?: Record<string, string> }) =>
    tc.app.inject({ method: 'POST', url, headers: { ...headers, ...(cookie ? { cookie } : {}) }, payload: { ...fields, ...(csrf !== undefined ? { _csrf: csrf } : {}) } });

  const stillSignedIn = async (cookie: string) => expect((await get('/', cookie)).statusCode).toBe(200);

  describe.each(routes)('POST $route', ({ url, fields }) => {
    it('with the session, its token and this site’s origin: done (the control for the refusals below)', async () => {
      const before = snapshot();
      const res = await send(url(), { cookie: alice.cookie, csrf: alice.csrf, fields, headers: { origin: new URL(PUBLIC_URL).origin, 'sec-fetch-site': 'same-origin' } });
      expect(res.statusCode).toBe(303);
      if (url() === '/signout') expect((await get('/', alice.cookie)).statusCode).toBe(303);
      else expect(snapshot()).not.toEqual(before);
    });

    const refusals: [string, () => Parameters<typeof send>[1]][] = [
      ['no CSRF token', () => ({ cookie: alice.cookie, fields })],
      ['an empty CSRF token', () => ({ cookie: alice.cookie, csrf: '', fields })],
      ['a wrong CSRF token', () => ({ cookie: alice.cookie, csrf: randomSecret(), fields })],
      ['another session’s CSRF token', () => ({ cookie: alice.cookie, csrf: bob.csrf, fields })],
      ['no cookie', () => ({ csrf: alice.csrf, fields })],
      ['a forged session cookie', () => ({ cookie: `portdesk_session=${randomSecret()}`, csrf: alice.csrf, fields })],
      ['the sign-in form’s cookie and token', () => ({ cookie: `portdesk_signin=${alice.csrf}`, csrf: alice.csrf, fields })],
      ['a cross-site Origin', () => ({ cookie: alice.cookie, csrf: alice.csrf, fields, headers: { origin: 'https://evil.example' } })],
      ['Origin: null', () => ({ cookie: alice.cookie, csrf: alice.csrf, fields, headers: { origin: 'null' } })],
      ['Sec-Fetch-Site: cross-site', () => ({ cookie: alice.cookie, csrf: alice.csrf, fields, headers: { 'sec-fetch-site': 'cross-site' } })],
    ];

    it.each(refusals)('refuses %s: 403, nothing changed, the session still there', async (_what, request) => {
      const before = snapshot();
      const res = await send(url(), request());
      expect(res.statusCode).toBe(403);
      expect(snapshot()).toEqual(before);
      await stillSignedIn(alice.cookie);
      await stillSignedIn(bob.cookie);
    });

    it('refuses a session idle for longer than SESSION_IDLE_MS: 403, nothing changed', async () => {
      tc.clock.advance(SESSION_IDLE_MS - 1000);
      await stillSignedIn(alice.cookie);
      tc.clock.advance(SESSION_IDLE_MS + 1);
      const before = snapshot();
      const res = await send(url(), { cookie: alice.cookie, csrf: alice.csrf, fields });
      expect(res.statusCode).toBe(403);
      expect(snapshot()).toEqual(before);
      expect((await get('/', alice.cookie)).statusCode).toBe(303);
    });

    it('refuses a session older than SESSION_MAX_MS, though used all along: 403, nothing changed', async () => {
      const started = tc.clock.now().getTime();
      while (tc.clock.now().getTime() - started < SESSION_MAX_MS) {
        tc.clock.advance(Math.min(HOUR, started + SESSION_MAX_MS - tc.clock.now().getTime()));
        await stillSignedIn(alice.cookie);
      }
      tc.clock.advance(1);
      const before = snapshot();
      const res = await send(url(), { cookie: alice.cookie, csrf: alice.csrf, fields });
      expect(res.statusCode).toBe(403);
      expect(snapshot()).toEqual(before);
      expect((await get('/', alice.cookie)).statusCode).toBe(303);
    });

    it('refuses the session of a user removed since: 403, nothing changed', async () => {
      await tc.store.commit({ users: [{ ...tc.store.getUser(TEST_USER)!, removedAt: tc.clock.now().toISOString() }] });
      const before = snapshot();
      const res = await send(url(), { cookie: alice.cookie, csrf: alice.csrf, fields });
      expect(res.statusCode).toBe(403);
      expect(snapshot()).toEqual(before);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('pages without a session', () => {
  beforeEach(async () => {
    tc = await startTestConsole();
    await tc.addUser();
  });

  const PAGES = ['/', '/orders', '/orders?q=206&state=approved', '/orders/PO-AAAAA2', '/review', '/review?all=1', '/review/R-0000000000', '/accounts', '/accounts?q=dana', '/accounts/acct-bakery'];

  it.each(PAGES)('GET %s redirects (303) to /signin?next=… and shows nothing', async (url) => {
    for (const cookie of [undefined, `portdesk_session=${randomSecret()}`]) {
      const res = await get(url, cookie);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`/signin?next=${encodeURIComponent(url)}`);
      expect(res.body).not.toContain('acct-bakery');
    }
  });

  it('after sign-in, next brings the user back to the page asked for', async () => {
    const res = await signInAs(TEST_USER, TEST_PASSWORD, { next: '/orders?q=206&state=approved' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/orders?q=206&state=approved');
  });

  // Browsers drop tabs and line breaks from a Location, so "/<TAB>/evil.example" is "//evil.example" to them.
  it.each([
    ['//evil.example', '//evil.example'],
    ['https://evil.example', 'https://evil.example'],
    ['http://evil.example/', 'http://evil.example/'],
    ['/\\evil.example', '/\\evil.example'],
    ['javascript:alert(1)', 'javascript:alert(1)'],
    ['" //evil.example" (a leading space)', ' //evil.example'],
    ['"/<TAB>/evil.example"', '/\t/evil.example'],
    ['"/<LF>/evil.example"', '/\n/evil.example'],
  ])('next=%s goes to / after sign-in, and the form never carries it', async (_label, next) => {
    const res = await signInAs(TEST_USER, TEST_PASSWORD, { next });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    const form = await get(`/signin?next=${encodeURIComponent(next)}`);
    expect(hiddenField(form.body, 'next')).toBe('/');
  });

  it('a signed-in user asking for the sign-in page goes to the overview', async () => {
    const { cookie } = await tc.signIn();
    const res = await get('/signin', cookie);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
  });

  it('sign-out ends the session: the cookie no longer opens a page', async () => {
    const { cookie, csrf } = await tc.signIn();
    const res = await tc.app.inject({ method: 'POST', url: '/signout', headers: { cookie }, payload: { _csrf: csrf } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/signin');
    expect((await get('/', cookie)).statusCode).toBe(303);
  });
});

// ---------------------------------------------------------------------------------------------

describe('sign-in', () => {
  beforeEach(async () => {
    tc = await startTestConsole();
    await tc.addUser();
    await tc.addUser(OTHER_USER, 'another long password here');
  });

  it('the right name and password: a session cookie and a redirect', async () => {
    const res = await signInAs(TEST_USER, TEST_PASSWORD);
    expect(res.statusCode).toBe(303);
    expect(cookieOf(res, 'portdesk_session')).toBeDefined();
  });

  it('the name is not case-sensitive nor its spaces', async () => {
    expect((await signInAs(' Alice ', TEST_PASSWORD)).statusCode).toBe(303);
  });

  it('a wrong password: 401, no session', async () => {
    const res = await signInAs(TEST_USER, `${TEST_PASSWORD}!`);
    expect(res.statusCode).toBe(401);
    expect(cookieOf(res, 'portdesk_session')).toBeUndefined();
    expect(errorOf(res.body)).toBeTruthy();
  });

  it('an unknown user: 401 with the same message as a wrong password', async () => {
    const wrong = await signInAs(TEST_USER, 'not the password at all');
    const unknown = await signInAs('mallory', 'not the password at all');
    expect(unknown.statusCode).toBe(401);
    expect(cookieOf(unknown, 'portdesk_session')).toBeUndefined();
    expect(errorOf(unknown.body)).toBe(errorOf(wrong.body));
  });

  it(`after ${SIGNIN_FAILURES_PER_NAME} failures for a name (from any clients): 429 with Retry-After, even with the right password`, async () => {
    // The same name however it is written: case and spaces do not make another name.
    const spellings = [TEST_USER, TEST_USER.toUpperCase(), ` ${TEST_USER}`, `${TEST_USER} `, 'Alice'];
    for (let i = 0; i < SIGNIN_FAILURES_PER_NAME; i++) {
      expect((await signInAs(spellings[i % spellings.length]!, `guess ${i} wrong!!`, { remoteAddress: `198.51.100.${i + 1}` })).statusCode).toBe(401);
    }
    const res = await signInAs(TEST_USER, TEST_PASSWORD, { remoteAddress: '198.51.100.200' });
    expect(res.statusCode).toBe(429);
    expect(cookieOf(res, 'portdesk_session')).toBeUndefined();
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(SIGNIN_WINDOW_MS / 1000);
    // Another user is not held back, and the name may try again once the window has passed.
    expect((await signInAs(OTHER_USER, 'another long password here', { remoteAddress: '198.51.100.200' })).statusCode).toBe(303);
    tc.clock.advance(retryAfter * 1000);
    expect((await signInAs(TEST_USER, TEST_PASSWORD, { remoteAddress: '198.51.100.200' })).statusCode).toBe(303);
  });

  it(`after ${SIGNIN_FAILURES_PER_CLIENT} failures from one client over different names: 429 for that client, even with the right password`, async () => {
    const client = '203.0.113.7';
    for (let i = 0; i < SIGNIN_FAILURES_PER_CLIENT; i++) {
      expect((await signInAs(`user${i}`, 'not a password of theirs', { remoteAddress: client })).statusCode).toBe(401);
    }
    const res = await signInAs(TEST_USER, TEST_PASSWORD, { remoteAddress: client });
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(cookieOf(res, 'portdesk_session')).toBeUndefined();
    // Another client is not held back.
    expect((await signInAs(TEST_USER, TEST_PASSWORD, { remoteAddress: '203.0.113.8' })).statusCode).toBe(303);
  });

  it('the per-client limit counts the connection’s address, not an X-Forwarded-For header the client wrote', async () => {
    const client = '203.0.113.7';
    for (let i = 0; i < SIGNIN_FAILURES_PER_CLIENT; i++) {
      const form = await tc.app.inject({ method: 'GET', url: '/signin', remoteAddress: client });
      const res = await tc.app.inject({
        method: 'POST',
        url: '/signin',
        remoteAddress: client,
        headers: { cookie: cookieOf(form, 'portdesk_signin')!, 'x-forwarded-for': `192.0.2.${i + 1}` },
        payload: { name: `user${i}`, password: 'not a password of theirs', _csrf: hiddenField(form.body, '_csrf')! },
      });
      expect(res.statusCode).toBe(401);
    }
    expect((await signInAs(TEST_USER, TEST_PASSWORD, { remoteAddress: client })).statusCode).toBe(429);
  });

  it('needs the form’s pre-session cookie and token: 403 without them, even with the right password', async () => {
    const form = await get('/signin');
    const token = hiddenField(form.body, '_csrf')!;
    const pre = cookieOf(form, 'portdesk_signin')!;
    const other = await get('/signin');
    const attempts = [
      { headers: {}, payload: { name: TEST_USER, password: TEST_PASSWORD, _csrf: token } },
      { headers: { cookie: pre }, payload: { name: TEST_USER, password: TEST_PASSWORD } },
      { headers: { cookie: pre }, payload: { name: TEST_USER, password: TEST_PASSWORD, _csrf: randomSecret() } },
      { headers: { cookie: pre }, payload: { name: TEST_USER, password: TEST_PASSWORD, _csrf: hiddenField(other.body, '_csrf')! } },
      { headers: { cookie: `portdesk_signin=${randomSecret()}` }, payload: { name: TEST_USER, password: TEST_PASSWORD, _csrf: token } },
    ];
    for (const a of attempts) {
      const res = await tc.app.inject({ method: 'POST', url: '/signin', ...a });
      expect(res.statusCode).toBe(403);
      expect(cookieOf(res, 'portdesk_session')).toBeUndefined();
    }
  });

  it('a sign-in form sent from another site is refused', async () => {
    const form = await get('/signin');
    const res = await tc.app.inject({
      method: 'POST',
      url: '/signin',
      headers: { cookie: cookieOf(form, 'portdesk_signin')!, origin: 'https://evil.example' },
      payload: { name: TEST_USER, password: TEST_PASSWORD, _csrf: hiddenField(form.body, '_csrf')! },
    });
    expect(res.statusCode).toBe(403);
    expect(cookieOf(res, 'portdesk_session')).toBeUndefined();
  });

  it('a removed user’s session ends at the next request, and the user cannot sign in again', async () => {
    const { cookie } = await tc.signIn();
    expect((await get('/', cookie)).statusCode).toBe(200);
    await tc.store.commit({ users: [{ ...tc.store.getUser(TEST_USER)!, removedAt: tc.clock.now().toISOString() }] });
    const res = await get('/orders', cookie);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/signin?next=%2Forders');
    expect((await signInAs(TEST_USER, TEST_PASSWORD)).statusCode).toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------

describe('what others wrote is shown as text', () => {
  const SCRIPT = '<script>alert(1)</script>';
  const IMG = '"><img src=x onerror=alert(1)>';
  const TEMPLATE = '{{7*7}}';
  const HOSTILE = `${SCRIPT} ${IMG} ${TEMPLATE}`;

  let session: { cookie: string; csrf: string };
  let hostileOrder: PortOrder;
  let linkPath: string;
  let reviewId: string;

  /** No markup from HOSTILE reached the page as markup. */
  function expectInert(html: string, where: string) {
    expect(html, where).not.toContain('<script>alert(1)');
    expect(html, where).not.toContain('<img src=x');
    expect(html, where).not.toContain('<img src');
    expect(html, where).not.toMatch(/onerror=alert/i);
  }

  /** …and it is there, escaped. */
  function expectShownEscaped(html: string, where: string) {
    expectInert(html, where);
    expect(html, where).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html, where).toContain('&quot;&gt;&lt;img src');
    expect(html, where).toContain(TEMPLATE);
  }

  const page = async (url: string, query?: Record<string, string>) => {
    const res = await tc.app.inject({ method: 'GET', url, ...(query ? { query } : {}), headers: { cookie: session.cookie } });
    expect(res.statusCode, url).toBe(200);
    return res.body;
  };

  beforeEach(async () => {
    tc = await startTestConsole();
    await tc.addUser();
    session = await tc.signIn();
    // A port request whose subject, body, PON and carrier name carry markup.
    const a = bakeryAccount();
    const raw = buildMail({
      from: 'Ports Team <ports@newcarrier.example.test>',
      to: TEST_MAIL_FROM,
      subject: `Port request ${HOSTILE}`,
      text: [
        `Please port the numbers below. ${HOSTILE}`,
        '',
        `Numbers: ${a.dids.map((d) => d.number).join(', ')}`,
        `Name: ${a.name}`,
        `Company: ${a.company}`,
        `Address: ${a.address.street}, ${a.address.unit}`,
        `City: ${a.address.city}`,
        `State: ${a.address.state}`,
        `Zip: ${a.address.zip}`,
        `Account number: ${a.accountNumber}`,
        `PON: ${HOSTILE}`,
        `Carrier: ${HOSTILE}`,
      ].join('\n'),
    });
    expect(await tc.desk.handleMessage(raw)).toBe('processed');
    const opened = tc.store.listOrders().find((o) => o.state === 'pending_verification')!;
    // The desk cleans a carrier's name and PON as it reads them; a record holding them raw (an
    // older store, another way in) must still be shown as text.
    hostileOrder = { ...opened, carrier: { ...opened.carrier, name: HOSTILE, pon: HOSTILE } };
    await tc.store.commit({ orders: [hostileOrder] });
    linkPath = `/v/${tc.links.tokenFor(opened.id, opened.token)}`;
    // A stranger's message with markup in its subject and body waits in Review.
    const stranger = buildMail({ from: 'someone@elsewhere.example.test', to: TEST_MAIL_FROM, subject: `Hello ${HOSTILE}`, messageId: 'hostile@elsewhere.example.test', text: `Body ${HOSTILE}` });
    expect(await tc.desk.handleMessage(stranger)).toBe('review');
    reviewId = reviewIdOf('hostile@elsewhere.example.test');
    // An account and a failed e-mail with markup in them.
    await tc.store.commit({ accounts: [{ ...tc.store.getAccount('acct-single')!, name: HOSTILE, company: HOSTILE }] });
    const mail = tc.store.listOutbox().find((e) => e.orderId === opened.id)!;
    await tc.store.commit({ outbox: [{ ...mail, status: 'failed', attempts: 5, subject: `Subject ${HOSTILE}`, lastError: `550 ${HOSTILE}` }] });
  });

  it('in the orders list', async () => {
    expectShownEscaped(await page('/orders'), 'orders');
  });

  it('in the orders search, the term reflected', async () => {
    const html = await page('/orders', { q: HOSTILE });
    expectShownEscaped(html, 'orders search');
  });

  it('on the order page: carrier name, PON and the message’s subject', async () => {
    const html = await page(`/orders/${hostileOrder.id}`);
    expectShownEscaped(html, 'order');
    expect(html).toContain(`Port request &lt;script&gt;`);
    expect(html).toContain(`<dt>PON</dt><dd>&lt;script&gt;`);
  });

  it('in the Review list and on the Review item: subject and body', async () => {
    expectShownEscaped(await page('/review'), 'review');
    const item = await page(`/review/${reviewId}`);
    expectShownEscaped(item, 'review item');
    expect(item).toContain('Body &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('on the account page and in the accounts list', async () => {
    expectShownEscaped(await page('/accounts/acct-single'), 'account');
    expectShownEscaped(await page('/accounts'), 'accounts');
    expectShownEscaped(await page('/accounts', { q: HOSTILE }), 'accounts search');
  });

  it('on the overview: a failed e-mail’s subject and error', async () => {
    expectShownEscaped(await page('/'), 'overview');
  });

  it('on the answer page (the carrier name cleaned there)', async () => {
    const res = await tc.app.inject({ method: 'GET', url: linkPath });
    expect(res.statusCode).toBe(200);
    expectInert(res.body, 'link page');
  });

  it('in a message that repeats what was asked: an unknown account id, a sign-in name, a next address', async () => {
    const res = await tc.app.inject({ method: 'POST', url: `/accounts/${encodeURIComponent(HOSTILE)}/lock`, headers: { cookie: session.cookie }, payload: { _csrf: session.csrf, locked: 'yes' } });
    expect(res.statusCode).toBe(303);
    const flashed = await tc.app.inject({ method: 'GET', url: res.headers.location as string, headers: { cookie: session.cookie } });
    expectShownEscaped(flashed.body, 'flash');

    const form = await tc.app.inject({ method: 'GET', url: `/signin?next=${encodeURIComponent(`/${IMG}`)}` });
    expectInert(form.body, 'sign-in next');
    const failed = await tc.app.inject({
      method: 'POST',
      url: '/signin',
      headers: { cookie: cookieOf(form, 'portdesk_signin')! },
      payload: { name: HOSTILE, password: 'x', _csrf: hiddenField(form.body, '_csrf')!, next: `/${IMG}` },
    });
    expect(failed.statusCode).toBe(401);
    expectInert(failed.body, 'sign-in name');
  });
});

// ---------------------------------------------------------------------------------------------

describe('response headers', () => {
  beforeEach(async () => {
    tc = await startTestConsole();
    await tc.addUser();
  });

  function expectSecurityHeaders(res: { headers: Record<string, unknown> }, where: string) {
    const csp = String(res.headers['content-security-policy'] ?? '');
    expect(csp, where).toMatch(/default-src 'none'|default-src 'self'/);
    expect(csp, where).not.toContain("'unsafe-inline'");
    expect(csp, where).not.toContain("'unsafe-eval'");
    expect(csp, where).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options'], where).toBe('DENY');
    expect(res.headers['x-content-type-options'], where).toBe('nosniff');
    expect(res.headers['referrer-policy'], where).toBe('same-origin');
    expect(res.headers['cache-control'], where).toBe('no-store');
  }

  it('on a console page, the sign-in page, a redirect, the answer page, a refused link, /healthz, /metrics and a 404', async () => {
    const { cookie } = await tc.signIn();
    const { path } = await tc.openOrder();
    const responses = {
      overview: await get('/', cookie),
      order: await get('/orders', cookie),
      signin: await get('/signin'),
      redirect: await get('/orders'),
      link: await get(path),
      'forged link': await get(`${path.slice(0, -2)}xx`),
      healthz: await get('/healthz'),
      metrics: await get('/metrics'),
      'not found': await get('/no/such/page'),
      'refused post': await tc.app.inject({ method: 'POST', url: '/signout', headers: { origin: 'https://evil.example' } }),
    };
    expect(responses['not found'].statusCode).toBe(404);
    for (const [where, res] of Object.entries(responses)) expectSecurityHeaders(res, where);
  });

  it('every page refers to scripts and styles by address, none inline', async () => {
    const { cookie } = await tc.signIn();
    const { path } = await tc.openOrder();
    for (const res of [await get('/', cookie), await get(path), await get('/signin')]) {
      expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.body).not.toMatch(/<style/);
      expect(res.body).not.toMatch(/\son[a-z]+=/i);
    }
  });

  it('cookies are HttpOnly and SameSite=Strict: the sign-in form’s and the session’s', async () => {
    const form = await get('/signin');
    const res = await signInAs(TEST_USER, TEST_PASSWORD);
    const setCookies = [form.headers['set-cookie'], res.headers['set-cookie']].flat().filter((c): c is string => typeof c === 'string');
    const session = setCookies.find((c) => c.startsWith('portdesk_session='));
    const signin = setCookies.find((c) => c.startsWith('portdesk_signin=') && !/Expires=Thu, 01 Jan 1970/i.test(c));
    for (const c of [session, signin]) {
      expect(c).toBeDefined();
      expect(c).toMatch(/;\s*HttpOnly/i);
      expect(c).toMatch(/;\s*SameSite=Strict/i);
      expect(c).toMatch(/;\s*Path=\//i);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('/healthz and /metrics', () => {
  beforeEach(async () => {
    tc = await startTestConsole();
  });

  it('/healthz: 200 with status, store, imap, smtp and the queued e-mails, without signing in', async () => {
    await tc.openOrder();
    const res = await get('/healthz');
    expect(res.statusCode).toBe(200);
    const queued = tc.store.listQueuedOutbox().length;
    expect(queued).toBeGreaterThan(0);
    expect(res.json()).toEqual({ status: 'ok', store: 'ok', imap: 'ok', smtp: 'ok', outboxQueued: queued, webhooksPending: 0 });
  });

  it('/healthz: 200 when mail comes by the SMTP listener or goes to files', async () => {
    tc.health.imap = 'listening';
    tc.health.smtp = 'files';
    const res = await get('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', imap: 'listening', smtp: 'files' });
  });

  it.each([
    ['imap', 'down'],
    ['smtp', 'retrying'],
    ['store', 'failed'],
  ] as const)('/healthz: 503 when %s is %s', async (part, state) => {
    Object.assign(tc.health, { [part]: state });
    const res = await get('/healthz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: expect.not.stringMatching(/^ok$/), [part]: state });
  });

  it('/metrics from this host: the orders by state, counted', async () => {
    await tc.openOrder();
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const res = await get('/metrics', undefined, { remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(200);
      const pending = tc.store.listOrders({ state: 'pending_verification' }).length;
      expect(pending).toBeGreaterThan(0);
      expect(res.body).toMatch(new RegExp(`^portdesk_orders\\{state="pending_verification"\\} ${pending}$`, 'm'));
      expect(res.body).toMatch(/^portdesk_orders\{state="approved"\} 0$/m);
      expect(res.body).toMatch(new RegExp(`^portdesk_outbox\\{status="queued"\\} ${tc.store.listQueuedOutbox().length}$`, 'm'));
    }
  });

  it('/metrics from another address: 403, whatever X-Forwarded-For says', async () => {
    for (const remoteAddress of ['203.0.113.9', '10.0.0.1', '::ffff:203.0.113.9']) {
      const res = await get('/metrics', undefined, { remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(403);
      expect(res.body).not.toContain('portdesk_orders');
    }
    const spoofed = await tc.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(spoofed.statusCode).toBe(403);
  });
});

// ---------------------------------------------------------------------------------------------

describe('logs', () => {
  it('never hold an answer link, its signature, the order’s token or a customer Message-ID', async () => {
    const lines: string[] = [];
    const log = createLogger('debug', { destination: { write: (line: string) => void lines.push(line) } });
    tc = await startTestConsole({ log });
    await tc.addUser();
    const { order: o, path } = await tc.openOrder();
    const token = path.slice(3);
    const page = await get(path);
    expect(page.statusCode).toBe(200);
    const csrf = hiddenField(page.body, '_csrf')!;
    expect((await tc.app.inject({ method: 'POST', url: path, payload: { _csrf: csrf, decision: 'approve' } })).statusCode).toBe(200);
    // A replay, a forged link and the console's view of the order.
    expect((await tc.app.inject({ method: 'POST', url: path, payload: { _csrf: csrf, decision: 'reject' } })).statusCode).toBe(410);
    expect((await get(`${path.slice(0, -2)}xx`)).statusCode).toBe(403);
    const { cookie, csrf: sessionCsrf } = await tc.signIn();
    expect((await get(`/orders/${o.id}`, cookie)).statusCode).toBe(200);
    // A failed sign-in and a PIN set: neither the password tried nor the PIN is logged.
    expect((await signInAs(TEST_USER, 'Tr0ub4dor&3-wrong')).statusCode).toBe(401);
    const pin = 'K7Q2Z9';
    expect((await tc.app.inject({ method: 'POST', url: '/accounts/acct-single/pin', headers: { cookie }, payload: { _csrf: sessionCsrf, pin } })).statusCode).toBe(303);
    expect(tc.store.getAccount('acct-single')!.portOutPin).toBeDefined();

    // The capture works and saw the link's requests.
    expect(lines.some((l) => l.includes('/v/:token'))).toBe(true);
    expect(lines.some((l) => l.includes('via') && l.includes(o.id))).toBe(true);
    const current = tc.store.getOrder(o.id)!;
    const secrets = [token, token.split('.')[1]!, current.token, current.verification!.messageId, csrf, sessionCsrf, cookie.split('=')[1]!, TEST_PASSWORD, 'Tr0ub4dor&3-wrong', pin];
    for (const line of lines) for (const s of secrets) expect(line).not.toContain(s);
  });
});
