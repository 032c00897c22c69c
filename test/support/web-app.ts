/**
 * The console's fastify app over a desk of its own, for route tests with `app.inject()`: an
 * in-memory store with the sample accounts, the real Handlebars templates (so e-mails carry the
 * answer link), a fixed clock, cheap password hashing, and helpers to sign in and to open an
 * order that waits for the customer.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { BUILTIN_TEMPLATES_DIR } from '../../src/config.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import { createAnswerLinks, type AnswerLinks } from '../../src/app/answer-links.js';
import { createHandlebarsRenderer } from '../../src/adapters/handlebars-renderer.js';
import { createScryptPasswords } from '../../src/adapters/scrypt-passwords.js';
import { createMetrics } from '../../src/adapters/web/metrics.js';
import { buildWebApp, type Health } from '../../src/adapters/web/server.js';
import type { Account, PortOrder } from '../../src/domain/records.js';
import type { Logger } from '../../src/logger.js';
import { silentLogger } from '../../src/logger.js';
import { buildMail } from './mail-builder.js';
import { MemoryParkedMail } from './memory-parked-mail.js';
import { MemoryStore } from './memory-store.js';
import { FixedClock } from './fixed-clock.js';
import { sampleAccounts, bakeryAccount } from './sample-accounts.js';
import { testDeskDeps } from './test-desk.js';
import { testPins } from './test-pins.js';

export const PUBLIC_URL = 'http://desk.example.test:8025';
export const TEST_USER = 'alice';
export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestConsole {
  app: FastifyInstance;
  desk: Desk;
  store: MemoryStore;
  clock: FixedClock;
  links: AnswerLinks;
  parkedMail: MemoryParkedMail;
  health: Health;
  addUser(name?: string, password?: string): Promise<void>;
  /** Signs in through the form; the session cookie and the CSRF token every form carries. */
  signIn(name?: string, password?: string): Promise<{ cookie: string; csrf: string }>;
  /**
   * A port request for an account's numbers (default: the bakery account, which must have no open
   * order), read by the desk: the order now waiting for the customer, and its answer link's path.
   */
  openOrder(extra?: { account?: Account; carrierName?: string; pon?: string; from?: string }): Promise<{ order: PortOrder; path: string }>;
  close(): Promise<void>;
}

export const cookieOf = (res: LightMyRequestResponse, name: string): string | undefined => {
  const c = res.cookies.find((k) => k.name === name);
  return c ? `${c.name}=${c.value}` : undefined;
};

export const hiddenField = (html: string, name: string): string | undefined => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

export async function startTestConsole({ log = silentLogger(), publicUrl = PUBLIC_URL }: { log?: Logger; publicUrl?: string } = {}): Promise<TestConsole> {
  const store = new MemoryStore({ accounts: sampleAccounts() });
  const clock = new FixedClock('2026-03-02T15:00:00.000Z');
  const links = createAnswerLinks(Buffer.from('k'.repeat(64)), publicUrl);
  const metrics = createMetrics(store);
  const parkedMail = new MemoryParkedMail();
  const desk = createDesk(
    testDeskDeps({
      store,
      clock,
      log,
      renderer: createHandlebarsRenderer({ builtinDir: BUILTIN_TEMPLATES_DIR }),
      pins: testPins,
      parkedMail,
      answerLink: (orderId, token) => links.urlFor(orderId, token),
      onHandled: (kind, outcome, seconds) => metrics.observeMessage(kind, outcome, seconds),
    }),
  );
  const passwords = createScryptPasswords({ N: 2 ** 4, r: 8, p: 1 });
  const health: Health = { store: 'ok', imap: 'ok', smtp: 'ok' };
  const app = await buildWebApp({
    config: { host: '127.0.0.1', port: 8025, publicUrl, metricsFromAnywhere: false },
    desk,
    store,
    links,
    passwords,
    clock,
    log,
    timezone: 'America/New_York',
    supportEmail: 'support@desk.example.test',
    health: () => health,
    metrics,
    parkedMail,
  });
  let requests = 0;
  const tc: TestConsole = {
    app,
    desk,
    store,
    clock,
    links,
    parkedMail,
    health,
    async addUser(name = TEST_USER, password = TEST_PASSWORD) {
      const now = clock.now().toISOString();
      await store.commit({ users: [{ name, passwordHash: await passwords.hash(password), createdAt: now }] });
    },
    async signIn(name = TEST_USER, password = TEST_PASSWORD) {
      const form = await app.inject({ method: 'GET', url: '/signin' });
      const pre = cookieOf(form, 'portdesk_signin')!;
      const res = await app.inject({
        method: 'POST',
        url: '/signin',
        headers: { cookie: pre },
        payload: { name, password, _csrf: hiddenField(form.body, '_csrf')!, next: '/' },
      });
      if (res.statusCode !== 303) throw new Error(`sign-in failed: ${res.statusCode}`);
      const cookie = cookieOf(res, 'portdesk_session')!;
      const home = await app.inject({ method: 'GET', url: '/', headers: { cookie } });
      return { cookie, csrf: hiddenField(home.body, '_csrf')! };
    },
    async openOrder(extra = {}) {
      requests++;
      const account = extra.account ?? bakeryAccount();
      const before = new Set(store.listOrders().map((o) => o.id));
      const raw = buildMail({
        from: extra.from ?? `${extra.carrierName ?? 'Ports Team'} <ports@newcarrier.example.test>`,
        to: 'porting@desk.example.test',
        subject: `Port request ${extra.pon ?? `PON-${requests}`}`,
        text: [
          'Please port the numbers below.',
          '',
          `Numbers: ${account.dids.map((d) => d.number).join(', ')}`,
          `Name: ${account.name}`,
          ...(account.company ? [`Company: ${account.company}`] : []),
          `Address: ${account.address.street}${account.address.unit ? `, ${account.address.unit}` : ''}`,
          `City: ${account.address.city}`,
          `State: ${account.address.state}`,
          `Zip: ${account.address.zip}`,
          `Account number: ${account.accountNumber}`,
          `PON: ${extra.pon ?? `PON-${requests}`}`,
          ...(extra.carrierName ? [`Carrier: ${extra.carrierName}`] : []),
        ].join('\n'),
      });
      await desk.handleMessage(raw);
      const order = store.listOrders().find((o) => !before.has(o.id) && o.state === 'pending_verification');
      if (!order) throw new Error('the port request opened no order waiting for the customer');
      const mail = store.listOutbox().find((e) => e.orderId === order.id && e.template === 'customer-verification');
      const url = /https?:\/\/\S+\/v\/\S+/.exec(mail?.text ?? '')?.[0];
      if (!url) throw new Error('the verification carries no answer link');
      return { order, path: new URL(url).pathname };
    },
    close: () => app.close(),
  };
  return tc;
}
