/**
 * Screenshots of the web console for the documentation (SPEC §12):
 *
 *   node --import tsx scripts/console-screenshots.ts [outDir]      (default docs/screenshots/)
 *
 * Starts the real daemon (startDaemon) on a temporary DATA_DIR with the sample accounts
 * (data/sample-accounts.json): mail in through its embedded SMTP listener, mail out as .eml files
 * in that directory, mail authentication against a private DNS server on loopback that publishes
 * the carriers' DKIM keys, SPF and DMARC (so the console shows real results, and nothing is looked
 * up on the network). Carriers send port requests over a working day (the daemon's clock is moved
 * forward step by step); one is answered by nobody and approved by the desk on its details, then
 * completed; one customer approves by the one-click link; some wait; one request is locked out;
 * one is parked in Review. A console user is added, Chromium (Debian's, through
 * test/support/browser.ts) signs in, and three 1280×800 PNGs are written: overview.png,
 * order.png (an order with its match report and history) and answer-link.png (the customer's
 * one-click page).
 *
 * Everything here is invented: the carriers, their domains (under example.test), the PONs.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import type { BrowserContext, Page } from 'playwright-core';
import { openFileStore } from '../src/adapters/file-store.js';
import { createScryptPasswords } from '../src/adapters/scrypt-passwords.js';
import { createScryptPins } from '../src/adapters/scrypt-pins.js';
import { applyAccountImport, formatImportErrors, parseAccountsFile } from '../src/app/import-accounts.js';
import { putUser } from '../src/app/users.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { startDaemon, type Daemon } from '../src/main.js';
import type { Clock } from '../src/ports/clock.js';
import { launchBrowser } from '../test/support/browser.js';
import { makeDkimKey, publishDkimKey, signMessage, type DkimKey } from '../test/support/dkim.js';
import { startTestDnsServer, type TestDnsServer } from '../test/support/dns-server.js';
import { findFreePort } from '../test/support/free-port.js';
import { buildMail } from '../test/support/mail-builder.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DESK = 'porting@desk.example.test';
const SUPPORT = 'support@desk.example.test';
const USER = 'avery';
const HOUR = 3_600_000;
const VIEWPORT = { width: 1280, height: 800 };

interface Carrier {
  name: string;
  email: string;
  domain: string;
  spid: string;
  signature: string[];
}

const CARRIERS = {
  keystone: {
    name: 'Keystone Fiber LNP',
    email: 'lnp@keystonefiber.example.test',
    domain: 'keystonefiber.example.test',
    spid: '7Q41',
    signature: ['Regards,', 'Number Porting Desk', 'Keystone Fiber', 'Ticket queue: lnp@keystonefiber.example.test'],
  },
  harbor: {
    name: 'Harbor Wireless Porting',
    email: 'porting@harborwireless.example.test',
    domain: 'harborwireless.example.test',
    spid: '6H27',
    signature: ['Thanks,', 'Jordan Ellis', 'Port Operations, Harbor Wireless'],
  },
  tallgrass: {
    name: 'Tallgrass Voice LNP',
    email: 'ports@tallgrassvoice.example.test',
    domain: 'tallgrassvoice.example.test',
    spid: '5T90',
    signature: ['Best,', 'Tallgrass Voice - Wholesale Porting'],
  },
} satisfies Record<string, Carrier>;

/**
 * Real time minus a number of hours, set before the daemon starts and then moved forward only:
 * the outbox sends what is due by this clock, so a step back would hold e-mails queued later.
 */
class SteppedClock implements Clock {
  constructor(private offsetMs: number) {}
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** The clock now reads `hoursAgo` hours before real time. */
  set(hoursAgo: number): void {
    const next = -hoursAgo * HOUR;
    if (next < this.offsetMs) throw new Error('the clock only moves forward');
    this.offsetMs = next;
  }
}

function dueDate(clock: Clock, days: number): string {
  const d = new Date(clock.now().getTime() + days * 24 * HOUR);
  // Skip to a Tuesday–Thursday: carriers ask for mid-week ports.
  while (![2, 3, 4].includes(d.getUTCDay())) d.setUTCDate(d.getUTCDate() + 1);
  return `${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/${d.getUTCFullYear()}`;
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(REPO, 'docs', 'screenshots'));
  await mkdir(outDir, { recursive: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-screens-'));
  // Three days and a bit ago: the first request, which nobody answers.
  const clock = new SteppedClock(-84 * HOUR);
  let daemon: Daemon | undefined;
  let dns: TestDnsServer | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    // The sample accounts, PINs hashed as `portdesk accounts import` does.
    const parsed = parseAccountsFile(await readFile(path.join(REPO, 'data', 'sample-accounts.json'), 'utf8'), 'json');
    if (!parsed.ok) throw new Error(`the sample accounts do not load: ${formatImportErrors(parsed.errors).join('; ')}`);
    const store = await openFileStore(dataDir);
    try {
      const imported = await applyAccountImport(store, parsed.accounts, { pins: createScryptPins(), now: new Date(Date.now() - 30 * 24 * HOUR) });
      if (!imported.ok) throw new Error(`the sample accounts do not load: ${formatImportErrors(imported.errors).join('; ')}`);
    } finally {
      await store.close();
    }

    // Each carrier signs its mail (DKIM), publishes SPF for loopback and a DMARC policy.
    dns = await startTestDnsServer();
    const keys = new Map<string, DkimKey>();
    for (const c of Object.values(CARRIERS)) {
      const key = makeDkimKey('ed25519');
      keys.set(c.domain, key);
      publishDkimKey(dns, c.domain, 'mail2025', key);
      dns.set(c.domain, { TXT: ['v=spf1 ip4:127.0.0.1 -all'] });
      dns.set(`_dmarc.${c.domain}`, { TXT: ['v=DMARC1; p=reject; adkim=r; aspf=r'] });
    }

    const httpPort = await findFreePort();
    const base = `http://127.0.0.1:${httpPort}`;
    const config = loadConfig(
      {
        DATA_DIR: dataDir,
        INBOUND_SMTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        PUBLIC_URL: base,
        MAIL_FROM: DESK,
        SUPPORT_EMAIL: SUPPORT,
        TIMEZONE: 'America/Los_Angeles',
        MAIL_AUTH: 'enforce',
        MAIL_AUTH_DNS: dns.address,
        // The jobs run when this script asks (runJobs), at the clock it has set.
        JOBS_SCHEDULE: '0 0 1 1 *',
        LOG_LEVEL: 'silent',
      },
      { cwd: dataDir, dotenv: false },
    );

    daemon = await startDaemon(config, { log: silentLogger(), clock });
    const d = daemon;
    const port = Number(/:(\d+)$/.exec(d.inbound)?.[1]);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });

    /** Everything the desk meant to send has gone out (to the .eml files). */
    const settle = async () => {
      for (let round = 0; round < 10; round++) {
        await d.desk.idle();
        await d.runJobs();
        if (d.store.listQueuedOutbox().length === 0) return;
      }
      throw new Error('the outbox did not empty');
    };

    const send = async (carrier: Carrier, subject: string, lines: string[]) => {
      const raw = buildMail({
        from: `${carrier.name} <${carrier.email}>`,
        to: DESK,
        subject,
        text: [...lines, '', ...carrier.signature].join('\n'),
        date: clock.now(),
        messageId: `${randomBytes(8).toString('hex')}@${carrier.domain}`,
      });
      const signed = await signMessage(raw, { signingDomain: carrier.domain, selector: 'mail2025', key: keys.get(carrier.domain)! });
      await transport.sendMail({ envelope: { from: carrier.email, to: [DESK] }, raw: signed });
      await settle();
    };

    const orderFor = (pon: string) => {
      const o = d.store.listOrders().find((x) => x.carrier.pon === pon);
      if (!o) throw new Error(`no order for PON ${pon}`);
      return o;
    };
    const linkFor = (orderId: string) => {
      const v = d.store.listOutbox().find((e) => e.orderId === orderId && e.template === 'customer-verification');
      const link = v && /https?:\/\/\S+\/v\/\S+/.exec(v.text)?.[0];
      if (!link) throw new Error(`no answer link for ${orderId}`);
      return link;
    };

    // 1. Brooks Hardware: the details on file (no account number); the customer never answers.
    await send(CARRIERS.keystone, 'LNP port-out request - PON KF-88213', [
      'Hello,',
      '',
      'Please accept the following port-out request.',
      '',
      'PON: KF-88213',
      'Customer Name: Daniel Brooks',
      'Service Address: 45 Main St, Unit 2',
      'City: Burlington',
      'State: VT',
      'ZIP: 05401',
      'Numbers to port: 802-555-0163',
      `Desired Due Date: ${dueDate(clock, 5)}`,
      `New SPID: ${CARRIERS.keystone.spid}`,
    ]);
    const brooks = orderFor('KF-88213');

    // Three days later the window has closed: the desk decides from the details (the match report).
    clock.set(9.5);
    await settle();
    if (d.store.getOrder(brooks.id)?.state !== 'approved') throw new Error(`${brooks.id} was not approved on its details: ${d.store.getOrder(brooks.id)?.state}`);

    // 2. Bayview Design: two of three numbers; the customer approves by the link.
    clock.set(8.2);
    await send(CARRIERS.harbor, 'Port Out Request // Bayview Design Studio // PON HW-240517-03', [
      'Hi team,',
      '',
      'We have a signed LOA for the numbers below. Details:',
      '',
      'PON: HW-240517-03',
      'End User Name: Aiko Tanaka',
      'Company: Bayview Design Studio',
      'Service Address: 2201 Mission St, Ste 5',
      'City: San Francisco',
      'State: CA',
      'Zip Code: 94110',
      'TNs: (415) 555-0190, (415) 555-0191',
      `Requested Port Date: ${dueDate(clock, 7)}`,
    ]);
    const bayview = orderFor('HW-240517-03');
    clock.set(7.6);
    const bayviewLink = linkFor(bayview.id);
    const page = await fetch(bayviewLink).then((r) => r.text());
    const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    if (!token) throw new Error('the answer page has no form token');
    const answered = await fetch(bayviewLink, { method: 'POST', body: new URLSearchParams({ _csrf: token, decision: 'approve' }) });
    if (answered.status !== 200) throw new Error(`approving ${bayview.id} by link answered ${answered.status}`);
    await settle();

    // 3. Support completes Brooks Hardware after the carrier's confirmation call.
    clock.set(6.1);
    await d.desk.completeOrder(brooks.id, USER);
    await settle();

    // 4. Cascade Coffee: two numbers, waiting for Maria Delgado's answer.
    clock.set(4.3);
    await send(CARRIERS.tallgrass, 'Port request PON TGV-30977 (Cascade Coffee Roasters)', [
      'Good morning,',
      '',
      'Tallgrass Voice requests a port-out for the following end user.',
      '',
      'PON: TGV-30977',
      'Account Name: Maria Delgado',
      'Company: Cascade Coffee Roasters LLC',
      'Acct #: 100-2231',
      'Service Address: 1420 Pine Street, Suite 310',
      'City/State/Zip: Seattle, WA 98101',
      'Telephone Numbers:',
      '  206-555-0100',
      '  206-555-0101',
      `DDD: ${dueDate(clock, 6)}`,
    ]);
    const cascade = orderFor('TGV-30977');

    // 5. Okafor & Lee: the whole group, with the port-out PIN; waiting too.
    clock.set(2.8);
    await send(CARRIERS.keystone, 'LNP port-out request - PON KF-88240', [
      'Hello,',
      '',
      'Please accept the following port-out request.',
      '',
      'PON: KF-88240',
      'Customer Name: Thomas Okafor',
      'Business Name: Okafor & Lee Law PLLC',
      'Account Number: 100-2232',
      'Service Address: 88 Congress Ave, Suite 1200',
      'City: Austin',
      'State: TX',
      'ZIP: 78701',
      'Port-Out PIN: 8812',
      'Numbers to port: 512-555-0140, 512-555-0141, 512-555-0142',
      `Desired Due Date: ${dueDate(clock, 8)}`,
      'Authorized Name: Thomas Okafor',
    ]);

    // 6. Greenline Dental: the account is locked against port-outs; the desk refuses.
    clock.set(1.9);
    await send(CARRIERS.harbor, 'Port Out Request // Greenline Dental Group // PON HW-240519-11', [
      'Hi team,',
      '',
      'Port-out request for the numbers below, LOA on file.',
      '',
      'PON: HW-240519-11',
      'End User Name: Susan Whitfield',
      'Company: Greenline Dental Group Inc',
      'Service Address: 700 N Michigan Ave, Suite 905',
      'City: Chicago',
      'State: IL',
      'Zip Code: 60611',
      'TNs: 312-555-0120, 312-555-0121',
    ]);

    // 7. A request that names no telephone number: parked in Review for a person.
    clock.set(0.7);
    await send(CARRIERS.tallgrass, 'Port request PON TGV-31002', [
      'Good afternoon,',
      '',
      'Please port all lines on the account below to Tallgrass Voice. The customer signed the LOA',
      'yesterday; the numbers are on the CSR we requested last week.',
      '',
      'PON: TGV-31002',
      'Account Name: Priya Raman',
      'Service Address: 3307 SE Hawthorne Blvd, Apt 4B',
      'City/State/Zip: Portland, OR 97214',
    ]);
    clock.set(0);
    await settle();
    transport.close();

    const states = d.store.listOrders().map((o) => `${o.id} ${o.carrier.pon} ${o.state}`);
    console.log(`orders:\n  ${states.join('\n  ')}`);
    const review = d.store.listInbound().filter((e) => e.reviewReason);
    console.log(`in Review: ${review.map((e) => e.reviewReason).join(', ') || 'nothing'}`);

    // A console user, and Chromium signed in as that user.
    const password = randomBytes(18).toString('base64url');
    await putUser(d.desk.core, USER, await createScryptPasswords().hash(password));
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme: 'light', locale: 'en-US', timezoneId: config.timezone });
    const consolePage = await signIn(context, base, password);

    /** `showAll`: scroll down just enough that this element is whole in the picture. */
    const shoot = async (p: Page, url: string, file: string, showAll?: string) => {
      const res = await p.goto(url);
      if (res?.status() !== 200) throw new Error(`${url} answered ${res?.status()}`);
      await p.evaluate('document.fonts.ready');
      if (showAll) {
        const box = await p.locator(showAll).boundingBox();
        if (!box) throw new Error(`${url} has no ${showAll}`);
        await p.evaluate(`window.scrollTo(0, ${Math.max(0, Math.ceil(box.y + box.height + 16 - VIEWPORT.height))})`);
      }
      await p.screenshot({ path: path.join(outDir, file) });
      console.log(`wrote ${path.join(outDir, file)}`);
    };
    await shoot(consolePage, `${base}/`, 'overview.png');
    // The match report sits below the carrier's details: scrolled into the picture with the history.
    await shoot(consolePage, `${base}/orders/${brooks.id}`, 'order.png', 'h2:text-is("Match report") + table');
    // The customer's page: no session, as Maria Delgado would open it from her e-mail.
    const customer = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme: 'light', locale: 'en-US' });
    await shoot(await customer.newPage(), linkFor(cascade.id), 'answer-link.png');
  } finally {
    await browser?.close();
    await daemon?.stop();
    await dns?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Signs in through the form in the browser, as a person would. */
async function signIn(context: BrowserContext, base: string, password: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await page.fill('#name', USER);
  await page.fill('#password', password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${base}/signin`),
    page.click('form[action="/signin"] button[type=submit]'),
  ]);
  if (response.status() !== 303) throw new Error(`the desk refused the sign-in: ${response.status()} ${(await response.text()).slice(0, 120)}`);
  await page.waitForURL(`${base}/`);
  return page;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
