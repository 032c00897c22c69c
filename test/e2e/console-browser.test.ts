/**
 * End to end, in a real browser: the daemon (startDaemon, mail in through its embedded SMTP
 * listener, mail out to an SMTP sink) with its console on, driven by Debian's chromium through
 * playwright-core (SPEC §12). Support signs in with the keyboard, finds an order (htmx live search,
 * and the plain form with JavaScript off), completes it; customers answer with the one-click link
 * from the verification e-mail the sink captured. A link fetched by a mail scanner changes
 * nothing; a replayed POST gets 410 and sends nothing; no page trips the Content Security Policy.
 *
 * One daemon and one browser for the file; each test takes a new browser context (its own cookies)
 * and its own account, so the tests do not disturb each other. No fixed sleeps: every wait is for
 * an event, a selector, an e-mail, or the outbox's own pass.
 */
import type { ParsedMail } from 'mailparser';
import type { Browser, BrowserContext, BrowserContextOptions, ConsoleMessage, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScryptPasswords } from '../../src/adapters/scrypt-passwords.js';
import { putUser } from '../../src/app/users.js';
import { launchBrowser } from '../support/browser.js';
import { isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { findFreePort } from '../support/free-port.js';
import { CARRIER, account, matchingRequest, number, orderIdOf, text } from './support/scenario.js';

const USER = 'avery';
const PASSWORD = 'correct horse battery staple';

let h: DeskHarness;
let browser: Browser;
let base: string;
/** Every console message of every page in the file that mentions the Content Security Policy. */
const cspMessages: string[] = [];

beforeAll(async () => {
  const port = await findFreePort();
  base = `http://127.0.0.1:${port}`;
  [h, browser] = await Promise.all([
    startDeskHarness({
      inbound: 'smtp',
      accounts: [1, 2, 3, 4, 5, 6, 7].map((n) => account(n)),
      // Long windows: nothing expires or is reminded underneath the tests.
      env: { HTTP_PORT: String(port), PUBLIC_URL: base, VERIFICATION_WINDOW: '5d', REMINDER_AFTER: '4d' },
    }),
    launchBrowser(),
  ]);
  expect(h.daemon.console).toBe(base);
  await putUser(h.daemon.desk.core, USER, await createScryptPasswords().hash(PASSWORD));
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

// --- helpers ---------------------------------------------------------------------------------

const customer = (n: number) => `customer${n}@example.test`;

/** A new context (own cookies), whose pages report CSP messages to `cspMessages`. */
async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.on('console', (m: ConsoleMessage) => {
    if (/Content Security Policy/i.test(m.text())) cspMessages.push(`${m.page()?.url() ?? '?'}: ${m.text()}`);
  });
  return context;
}

/** Signs in through the form (works with JavaScript on or off) and returns the overview page. */
async function signIn(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await page.fill('#name', USER);
  await page.fill('#password', PASSWORD);
  const [response] = await Promise.all([page.waitForResponse(isPostTo(`${base}/signin`)), page.click('form[action="/signin"] button[type=submit]')]);
  // Said at once, with what the desk answered, rather than as a time-out waiting for the overview.
  expect(`${response.status()} ${response.status() === 303 ? '' : await response.text()}`.trim()).toBe('303');
  await page.waitForURL(`${base}/`);
  return page;
}

let session: Promise<Awaited<ReturnType<BrowserContext['storageState']>>> | undefined;

/**
 * A new context already signed in: the session of one sign-in through the form, made once and
 * shared (a sign-in costs a scrypt check and a few page loads; the form itself is tested above).
 */
async function signedInContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  session ??= (async () => {
    const context = await newContext();
    await signIn(context);
    const state = await context.storageState();
    await context.close();
    return state;
  })();
  return newContext({ ...options, storageState: await session });
}

/** A port request for account n; resolves with the order id and the verification e-mail. */
async function verificationFor(n: number, pon: string): Promise<{ orderId: string; verification: ParsedMail; link: string }> {
  await h.send(matchingRequest(n, pon));
  const verification = await h.waitForMail((m) => isTo(customer(n), m) && /confirm/i.test(m.subject ?? ''));
  const orderId = orderIdOf(verification);
  expect(h.daemon.store.getOrder(orderId)?.state).toBe('pending_verification');
  return { orderId, verification, link: linkIn(verification) };
}

/** The one-click address in the verification's text part. */
function linkIn(m: ParsedMail): string {
  const links = text(m).match(/https?:\/\/\S+\/v\/[A-Za-z0-9._-]+/g) ?? [];
  expect(links.length).toBeGreaterThan(0);
  // The same link wherever the e-mail gives it.
  expect(new Set(links).size).toBe(1);
  expect(links[0]!.startsWith(`${base}/v/PO-`)).toBe(true);
  return links[0]!;
}

/** Every e-mail the sink has about this order (its id in the subject). */
const mailsAbout = (orderId: string) => h.sink.messages.filter((m) => (m.parsed.subject ?? '').includes(orderId));

/**
 * Resolves once the desk has nothing in hand and the outbox nothing queued: every e-mail it meant
 * to send has reached the sink (the sink records a message before answering 250). Each round
 * awaits a real outbox pass (runJobs joins the one running, or starts one).
 */
async function outboxIdle(): Promise<void> {
  for (let round = 0; round < 10; round++) {
    await h.daemon.desk.idle();
    await h.daemon.runJobs();
    if (h.daemon.store.listQueuedOutbox().length === 0) return;
  }
  throw new Error(`the outbox did not empty: ${h.daemon.store.listQueuedOutbox().length} queued`);
}

/** The form token of a one-click page, fetched the way a scanner or a script would. */
async function formTokenOf(link: string): Promise<string> {
  const res = await fetch(link);
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(await res.text())?.[1];
  expect(token).toBeTruthy();
  return token!;
}

/** In the page (the project's types have no DOM): htmx has loaded and run. */
const HTMX_LOADED = "typeof window.htmx === 'object'";

const isPostTo = (url: string) => (r: Response) => r.request().method() === 'POST' && r.url() === url;

// --- the tests -------------------------------------------------------------------------------

describe('the console in a browser', () => {
  it('signs in with the keyboard alone and lands on the overview', async () => {
    const context = await newContext();
    const page = await context.newPage();
    // The console sends a stranger to sign in, remembering where they were going.
    const first = await page.goto(`${base}/orders`);
    expect(first?.status()).toBe(200);
    expect(page.url()).toBe(`${base}/signin?next=${encodeURIComponent('/orders')}`);
    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/signin?next=%2F`);

    // The user name field has the focus from the start (autofocus); Tab moves to the password.
    await page.locator('#name:focus').waitFor();
    await page.keyboard.type(USER);
    await page.keyboard.press('Tab');
    expect(await page.locator('#password:focus').count()).toBe(1);
    await page.keyboard.type(PASSWORD);
    // Tab reaches the button too, without a mouse.
    await page.keyboard.press('Tab');
    expect(await page.locator('form[action="/signin"] button[type=submit]:focus').count()).toBe(1);
    await page.keyboard.press('Shift+Tab');
    expect(await page.locator('#password:focus').count()).toBe(1);
    const [response] = await Promise.all([page.waitForResponse(isPostTo(`${base}/signin`)), page.keyboard.press('Enter')]);
    expect(response.status()).toBe(303);
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Overview');
    expect(await page.locator('header.top form.signout span').textContent()).toBe(USER);
    expect(await page.locator('nav a[aria-current=page]').textContent()).toBe('Overview');
    // The session cookie is HttpOnly and SameSite=Strict.
    const session = (await context.cookies()).find((c) => c.name === 'portdesk_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // A wrong password, typed the same way, is refused with a message and no session.
    const other = await newContext();
    const p2 = await other.newPage();
    await p2.goto(`${base}/signin`);
    await p2.locator('#name:focus').waitFor();
    await p2.keyboard.type(USER);
    await p2.keyboard.press('Tab');
    await p2.keyboard.type('not the password at all');
    const [refused] = await Promise.all([p2.waitForResponse(isPostTo(`${base}/signin`)), p2.keyboard.press('Enter')]);
    expect(refused.status()).toBe(401);
    await p2.locator('.flash.error[role=alert]').waitFor();
    expect(await p2.locator('.flash.error').textContent()).toContain('do not match');
    expect((await other.cookies()).some((c) => c.name === 'portdesk_session')).toBe(false);
    await other.close();
    await context.close();
  });

  it('finds an order by its number (htmx live search, and the plain form without JavaScript), opens it and completes it', async () => {
    // An order approved by its customer (by link, as a script would press the button).
    const { orderId, link } = await verificationFor(2, 'PON-WEB-2');
    const approve = await fetch(link, { method: 'POST', body: new URLSearchParams({ _csrf: await formTokenOf(link), decision: 'approve' }) });
    expect(approve.status).toBe(200);
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('approved');

    // With JavaScript: the results follow the search box as one types, without a page load.
    const context = await signedInContext();
    const page = await context.newPage();
    await page.goto(`${base}/orders`);
    await page.waitForFunction(HTMX_LOADED);
    await page.evaluate('window.pageMarker = 42');
    const phone = number(2, 1); // "(206) 555-1021"
    const htmxRequest = page.waitForRequest((r) => r.url().startsWith(`${base}/orders?`) && r.headers()['hx-request'] === 'true');
    await page.locator('#q').pressSequentially(phone);
    expect(new URL((await htmxRequest).url()).searchParams.get('q')).toBeTruthy();
    const results = page.locator('#orders-results');
    await results.locator('p.muted', { hasText: `matching “${phone}”` }).waitFor();
    expect(await results.locator('tbody tr').count()).toBe(1);
    expect(await results.locator(`tbody tr a[href="/orders/${orderId}"]`).count()).toBe(1);
    // The same document (no navigation), its address updated for the back button.
    expect(await page.evaluate('window.pageMarker')).toBe(42);
    await page.waitForURL((u) => u.pathname === '/orders' && u.searchParams.get('q') === phone);
    // The order id works too.
    await page.locator('#q').fill(orderId);
    await results.locator('p.muted', { hasText: `matching “${orderId}”` }).waitFor();
    expect(await results.locator('tbody tr').count()).toBe(1);
    expect(await page.evaluate('window.pageMarker')).toBe(42);

    // Without JavaScript: the form submits as a plain GET and the page shows the same order.
    const noJs = await signedInContext({ javaScriptEnabled: false });
    const plain = await noJs.newPage();
    await plain.goto(`${base}/orders`);
    await plain.fill('#q', phone);
    await Promise.all([plain.waitForURL((u) => u.pathname === '/orders' && u.searchParams.get('q') === phone), plain.press('#q', 'Enter')]);
    expect(await plain.locator('#orders-results p.muted').textContent()).toContain(`matching “${phone}”`);
    expect(await plain.locator('#orders-results tbody tr').count()).toBe(1);
    // Open it, complete it, read the one-line message and the new state.
    await Promise.all([plain.waitForURL(`${base}/orders/${orderId}`), plain.click(`#orders-results a[href="/orders/${orderId}"]`)]);
    expect(await plain.locator('h1 .state').textContent()).toBe('approved');
    const [done] = await Promise.all([
      plain.waitForResponse(isPostTo(`${base}/orders/${orderId}/complete`)),
      plain.click(`form[action="/orders/${orderId}/complete"] button[type=submit]`),
    ]);
    expect(done.status()).toBe(303);
    await plain.waitForURL(`${base}/orders/${orderId}`);
    expect(await plain.locator('.flash.ok[role=status]').textContent()).toBe(`${orderId} completed; the customer is told.`);
    expect(await plain.locator('h1 .state').textContent()).toBe('completed');
    expect(await plain.locator(`form[action="/orders/${orderId}/complete"]`).count()).toBe(0);
    expect(await plain.locator('ol.history').textContent()).toContain(USER);
    // The message shows once: a reload has none.
    await plain.reload();
    expect(await plain.locator('.flash').count()).toBe(0);
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('completed');

    const completion = await h.waitForMail((m) => isTo(customer(2), m) && (m.subject ?? '').includes(orderId) && /ported out/i.test(m.subject ?? ''));
    expect(text(completion)).toContain(orderId);
    expect(text(completion)).toContain(phone);
    await noJs.close();
    await context.close();
  });

  it('approve by link: the link from the verification e-mail, the Approve button, the thank-you page; the carrier is told', async () => {
    const { orderId, link } = await verificationFor(3, 'PON-WEB-3');
    const context = await newContext();
    const page = await context.newPage();
    const shown = await page.goto(link);
    expect(shown?.status()).toBe(200);
    expect(shown?.headers()['x-robots-tag']).toContain('noindex');
    expect(await page.locator('h1').textContent()).toBe('A request to move your phone number');
    expect(await page.locator('ul.numbers').textContent()).toContain(number(3, 1));
    expect(await page.locator('dl.facts').textContent()).toContain(orderId);

    const [posted] = await Promise.all([page.waitForResponse(isPostTo(link)), page.click('button[name=decision][value=approve]')]);
    expect(posted.status()).toBe(200);
    await page.locator('h1', { hasText: 'Thank you: approved' }).waitFor();
    expect(await page.locator('main').textContent()).toContain(`You approved request ${orderId}`);
    expect(page.url()).toBe(link);

    const approval = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approved/i.test(m.subject ?? ''));
    expect(approval.subject).toContain('PON-WEB-3');
    await h.waitForMail((m) => isTo(customer(3), m) && (m.subject ?? '').includes(orderId) && /approved/i.test(m.subject ?? ''));
    const order = h.daemon.store.getOrder(orderId)!;
    expect(order.state).toBe('approved');
    expect(order.focDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    // Support sees how it was decided.
    const deskPage = await (await signedInContext()).newPage();
    await deskPage.goto(`${base}/orders/${orderId}`);
    expect(await deskPage.locator('h1 .state').textContent()).toBe('approved');
    const history = await deskPage.locator('ol.history').textContent();
    expect(history).toContain('via link');
    await context.close();
  });

  it('reject by link: the Reject button, the thank-you page; the carrier gets CUSTOMER_REJECTED', async () => {
    const { orderId, link } = await verificationFor(4, 'PON-WEB-4');
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(link);
    const [posted] = await Promise.all([page.waitForResponse(isPostTo(link)), page.click('button[name=decision][value=reject]')]);
    expect(posted.status()).toBe(200);
    await page.locator('h1', { hasText: 'Thank you: rejected' }).waitFor();
    expect(await page.locator('main').textContent()).toContain(`You rejected request ${orderId}`);

    const rejection = await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /rejected/i.test(m.subject ?? ''));
    expect(text(rejection)).toContain('CUSTOMER_REJECTED');
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('rejected');

    const deskPage = await (await signedInContext()).newPage();
    await deskPage.goto(`${base}/orders/${orderId}`);
    expect(await deskPage.locator('h1 .state').textContent()).toBe('rejected');
    expect(await deskPage.locator('ol.history').textContent()).toContain('via link');
    // The link now says what became of the request.
    const again = await page.goto(link);
    expect(again?.status()).toBe(410);
    expect(await page.locator('main').textContent()).toContain('was rejected');
    await context.close();
  });

  it('a mail scanner fetching the link (and a page opened without a click) changes nothing and sends nothing', async () => {
    const { orderId, link } = await verificationFor(5, 'PON-WEB-5');
    await outboxIdle();
    const before = mailsAbout(orderId).length;
    const total = h.sink.messages.length;

    for (let i = 0; i < 3; i++) {
      const res = await fetch(link, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; SafeLinks-Scanner)' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(orderId);
    }
    const head = await fetch(link, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const context = await newContext();
    const page = await context.newPage();
    expect((await page.goto(link))?.status()).toBe(200);
    await page.locator('button[name=decision][value=approve]').waitFor();
    await page.reload();
    await page.locator('button[name=decision][value=reject]').waitFor();
    // A POST without the page's form token (a scanner "pressing" links) is refused too.
    const blind = await fetch(link, { method: 'POST', body: new URLSearchParams({ decision: 'approve' }) });
    expect(blind.status).toBe(403);

    await outboxIdle();
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('pending_verification');
    expect(h.daemon.store.getOrder(orderId)?.history.map((e) => e.event)).not.toContain('customer-reply');
    expect(mailsAbout(orderId)).toHaveLength(before);
    expect(h.sink.messages).toHaveLength(total);
    await context.close();
  });

  it('a replayed POST (a second tab, the back button, the same form re-sent) gets 410 and sends no second e-mail', async () => {
    const { orderId, link } = await verificationFor(6, 'PON-WEB-6');
    const context = await newContext();
    const first = await context.newPage();
    const second = await context.newPage();
    await first.goto(link);
    await second.goto(link);
    const token = await first.locator('input[name=_csrf]').inputValue();

    const [posted] = await Promise.all([first.waitForResponse(isPostTo(link)), first.click('button[name=decision][value=approve]')]);
    expect(posted.status()).toBe(200);
    await first.locator('h1', { hasText: 'Thank you: approved' }).waitFor();
    await h.waitForMail((m) => isTo(CARRIER, m) && (m.subject ?? '').includes(orderId) && /approved/i.test(m.subject ?? ''));
    await outboxIdle();
    const before = mailsAbout(orderId).length;
    const approvals = () => mailsAbout(orderId).filter((m) => isTo(CARRIER, m.parsed) && /approved/i.test(m.parsed.subject ?? '')).length;
    expect(approvals()).toBe(1);

    // The second tab still shows the buttons: pressing Approve again is a replay.
    const [replayed] = await Promise.all([second.waitForResponse(isPostTo(link)), second.click('button[name=decision][value=approve]')]);
    expect(replayed.status()).toBe(410);
    expect(await second.locator('h1').textContent()).toBe(`Request ${orderId} has been decided`);
    expect(await second.locator('main').textContent()).toContain('was approved');

    // Back to the form in the first tab: the page is fetched again (no-store) and says it is decided.
    const back = await first.goBack();
    expect(back?.status()).toBe(410);
    expect(await first.locator('button[name=decision]').count()).toBe(0);

    // The same form re-sent by a script, token and all, for either answer.
    for (const decision of ['approve', 'reject']) {
      const res = await fetch(link, { method: 'POST', body: new URLSearchParams({ _csrf: token, decision }) });
      expect(res.status).toBe(410);
      expect(await res.text()).toContain('has been decided');
    }

    await outboxIdle();
    expect(h.daemon.store.getOrder(orderId)?.state).toBe('approved');
    expect(mailsAbout(orderId)).toHaveLength(before);
    expect(approvals()).toBe(1);
    await context.close();
  });

  it('works with JavaScript off (sign-in, orders, an order) and trips no Content Security Policy with it on', async () => {
    const { orderId, link } = await verificationFor(7, 'PON-WEB-7');

    // JavaScript off: every step is a plain link or form.
    const noJs = await newContext({ javaScriptEnabled: false });
    const plain = await signIn(noJs);
    expect(await plain.locator('h1').textContent()).toBe('Overview');
    expect(await plain.locator('section.cards a.card', { hasText: 'pending verification' }).count()).toBe(1);
    await Promise.all([plain.waitForURL(`${base}/orders`), plain.click('nav a[href="/orders"]')]);
    await plain.selectOption('#state', 'pending_verification');
    await Promise.all([plain.waitForURL((u) => u.searchParams.get('state') === 'pending_verification'), plain.click('form[role=search] button[type=submit]')]);
    expect(await plain.locator(`#orders-results a[href="/orders/${orderId}"]`).count()).toBe(1);
    await Promise.all([plain.waitForURL(`${base}/orders/${orderId}`), plain.click(`#orders-results a[href="/orders/${orderId}"]`)]);
    expect(await plain.locator('h1').textContent()).toContain(orderId);
    expect(await plain.locator('h1 .state').textContent()).toBe('pending verification');
    expect(await plain.locator('h2', { hasText: 'What the carrier gave' }).count()).toBe(1);
    expect(await plain.locator('dl.facts').first().textContent()).toContain(number(7, 1));
    expect(await plain.locator('table tbody tr', { hasText: 'Port-out request PON-WEB-7' }).count()).toBeGreaterThan(0);
    // The e-mails out open without script (details/summary) and never show the answer link.
    const outbox = await plain.locator('pre.mail').allTextContents();
    expect(outbox.length).toBeGreaterThan(0);
    expect(outbox.join('\n')).not.toContain(link);
    // Signing out is a form too.
    await Promise.all([plain.waitForURL(`${base}/signin`), plain.click('form.signout button[type=submit]')]);
    expect((await plain.goto(`${base}/orders`))?.url()).toContain('/signin?next=');

    // JavaScript on: every page, with htmx loaded and a live search run, and nothing refused.
    const before = cspMessages.length;
    const context = await signedInContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
    await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));" });
    for (const path of ['/', '/orders', `/orders/${orderId}`, '/review', '/review?all=1', '/accounts', '/accounts/ACCT-7', '/orders?state=approved']) {
      const res = await page.goto(`${base}${path}`);
      expect(res?.status(), path).toBe(200);
      expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForFunction(HTMX_LOADED);
    }
    await page.goto(`${base}/accounts`);
    await page.waitForFunction(HTMX_LOADED);
    const search = page.waitForResponse((r) => r.url().startsWith(`${base}/accounts?`) && r.request().headers()['hx-request'] === 'true');
    await page.locator('#q').fill('customer7');
    await search;
    await page.locator('#accounts-results a[href="/accounts/ACCT-7"]').waitFor();
    // The customer's pages: the answer page and a message page.
    const customerPage = await context.newPage();
    customerPage.on('pageerror', (e) => errors.push(e.message));
    await customerPage.goto(link);
    await customerPage.goto(`${base}/v/PO-AAAAAA.${'x'.repeat(43)}`);
    expect(await customerPage.locator('h1').textContent()).toBe('This link is not valid');
    await customerPage.goto(`${base}/no-such-page`);

    expect(errors).toEqual([]);
    expect(violations).toEqual([]);
    expect(cspMessages.slice(before)).toEqual([]);
    await noJs.close();
    await context.close();
  });

  it('no page in this file logged a Content Security Policy message', () => {
    expect(cspMessages).toEqual([]);
  });
});
