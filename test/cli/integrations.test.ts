/**
 * The other systems (SPEC §14) as the operator meets them on the command line: `portdesk check`
 * pings each webhook endpoint and reads the accounts source without applying it, and
 * `portdesk orders show` lists an order's events and how far each got. Run with the built binary,
 * a fresh DATA_DIR and nothing from the developer's environment; every secret stays masked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import type { PortOrder, WebhookEvent } from '../../src/domain/records.js';
import type { EventView } from '../../src/domain/webhook-events.js';
import { makeAccount, makeOrder, orderId } from '../adapters/store-records.js';
import { ensureBuilt, parseJson, runCli, type CliResult } from '../support/run-cli.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'portdesk-int-'));
  dirs.push(d);
  return d;
}

/** Runs portdesk with DATA_DIR in `dir` and the working directory there too; no DNS lookups for mail authentication. */
function portdesk(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: dir, env: { DATA_DIR: path.join(dir, 'data'), MAIL_AUTH: 'off', ...env } });
}

function output(r: CliResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

/** The port of a loopback server that was started and closed again: nothing listens there now. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

beforeAll(ensureBuilt, 120_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('check: webhooks', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await receiver?.close();
  });

  it('without WEBHOOK_URL: one passing `webhooks` result saying none is configured', async () => {
    const dir = await tempDir();
    const r = await portdesk(dir, ['check', '--json']);
    const results = parseJson<Check[]>(r);
    expect(results.filter((c) => c.name.startsWith('webhook'))).toEqual([{ name: 'webhooks', ok: true, detail: expect.stringMatching(/WEBHOOK_URL unset/) }]);
  });

  it('an endpoint that answers 2xx: ok, and it got one signed, verifiable ping', async () => {
    const dir = await tempDir();
    const r = await portdesk(dir, ['check', '--json'], { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: receiver.secret });
    expect(r.code).toBe(0);
    const results = parseJson<Check[]>(r);
    expect(results.some((c) => c.name === 'webhooks')).toBe(false);
    const hook = results.find((c) => c.name === `webhook ${receiver.url}`);
    expect(hook, JSON.stringify(results, null, 2)).toMatchObject({ ok: true, detail: expect.stringMatching(/204/) });
    expect(receiver.requests).toHaveLength(1);
    const [ping] = receiver.accepted();
    expect(ping).toMatchObject({ verified: true, status: 204, event: { type: 'ping' } });
    expect(ping!.id).toMatch(/^msg_[0-9a-z]+$/);
    expect(output(r)).not.toContain(receiver.secret);
  });

  it('an endpoint that answers 500: FAIL naming HTTP 500, with the fix, and exit 1', async () => {
    const dir = await tempDir();
    receiver.respondWith(500);
    const env = { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: receiver.secret };
    const json = await portdesk(dir, ['check', '--json'], env);
    expect(json.code).toBe(1);
    const hook = parseJson<Check[]>(json).find((c) => c.name === `webhook ${receiver.url}`)!;
    expect(hook.ok).toBe(false);
    expect(hook.detail).toMatch(/HTTP 500/);
    expect(hook.fix).toMatch(/WEBHOOK_URL/);
    expect(hook.fix).toMatch(/WEBHOOK_SECRET/);
    // Every other check still passes: the endpoint alone makes the exit code.
    expect(parseJson<Check[]>(json).filter((c) => !c.ok).map((c) => c.name)).toEqual([hook.name]);

    const text = await portdesk(dir, ['check'], env);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/FAIL\s+webhook http:\/\/127\.0\.0\.1:\d+\/hook: .*HTTP 500/);
    expect(text.stdout).toMatch(/fix: check WEBHOOK_URL/);
    expect(receiver.requests.every((q) => q.verified && q.event?.type === 'ping')).toBe(true);
  });

  it('a query string in WEBHOOK_URL is masked in the result name and appears nowhere in the output', async () => {
    const dir = await tempDir();
    const env = { WEBHOOK_URL: `${receiver.url}?token=abc`, WEBHOOK_SECRET: receiver.secret };
    const json = await portdesk(dir, ['check', '--json'], env);
    const text = await portdesk(dir, ['check'], env);
    expect(json.code).toBe(0);
    expect(text.code).toBe(0);
    const hook = parseJson<Check[]>(json).find((c) => c.name.startsWith('webhook '));
    expect(hook).toMatchObject({ name: `webhook ${receiver.url}?***`, ok: true });
    expect(text.stdout).toContain(`webhook ${receiver.url}?***`);
    for (const r of [json, text]) {
      expect(output(r)).not.toContain('abc');
      expect(output(r)).not.toContain('token=');
    }
    // The endpoint itself was called with its query string.
    expect(receiver.accepted()).toHaveLength(2);
  });

  it('a user and password in WEBHOOK_URL go as Basic authentication and are never shown', async () => {
    const dir = await tempDir();
    const withCredentials = receiver.url.replace('http://', 'http://desk:pa55word@');
    const ok = await portdesk(dir, ['check', '--json'], { WEBHOOK_URL: withCredentials, WEBHOOK_SECRET: receiver.secret });
    expect(ok.code, output(ok)).toBe(0);
    expect(receiver.accepted().map((a) => a.event.type)).toEqual(['ping']);
    receiver.respondWith(500);
    const refused = await portdesk(dir, ['check'], { WEBHOOK_URL: withCredentials, WEBHOOK_SECRET: receiver.secret });
    expect(refused.code).toBe(1);
    for (const r of [ok, refused]) {
      expect(output(r)).not.toContain('pa55word');
      expect(output(r)).toContain('desk:***@');
    }
  });

  it('several endpoints: one result each, each endpoint pinged once; the one refusing fails alone', async () => {
    const dir = await tempDir();
    const second = await startWebhookReceiver({ secret: receiver.secret, path: '/events' });
    try {
      second.respondWith(503);
      const r = await portdesk(dir, ['check', '--json'], { WEBHOOK_URL: `${receiver.url}, ${second.url}`, WEBHOOK_SECRET: receiver.secret });
      expect(r.code).toBe(1);
      const hooks = parseJson<Check[]>(r).filter((c) => c.name.startsWith('webhook'));
      expect(hooks.map((c) => [c.name, c.ok])).toEqual([
        [`webhook ${receiver.url}`, true],
        [`webhook ${second.url}`, false],
      ]);
      expect(hooks[1]!.detail).toMatch(/HTTP 503/);
      expect(receiver.accepted().map((q) => q.event.type)).toEqual(['ping']);
      expect(second.requests.map((q) => [q.verified, q.status, q.event?.type])).toEqual([[true, 503, 'ping']]);
    } finally {
      await second.close();
    }
  });
});

describe('check: accounts source', () => {
  const TOKEN = 'secret-token';
  const ETAG = '"accounts-v1"';
  const VALID = JSON.stringify([
    {
      id: 'ACC-3001',
      name: 'Dana Whitfield',
      company: 'Harbor Lane Bakery LLC',
      email: 'dana@harborlane.example.test',
      techPrefix: '4471',
      accountNumber: '100200',
      address: { street: '1200 Market Street', unit: 'Suite 4', city: 'Seattle', state: 'WA', zip: '98101' },
      dids: ['206-555-0100', '(206) 555-0101'],
      portOutLock: false,
      status: 'open',
    },
    {
      id: 'ACC-3002',
      name: 'Marco Ellison',
      email: 'marco@ellison.example.test',
      techPrefix: '5520',
      accountNumber: '100300',
      address: { street: '48 North Birch Avenue', city: 'Portland', state: 'OR', zip: '97205' },
      dids: ['+1 503 555 0110'],
      portOutLock: false,
      status: 'open',
    },
  ]);
  const INVALID = JSON.stringify([{ ...JSON.parse(VALID)[0], email: 'dana-at-harborlane.example.test' }]);

  interface Seen {
    path: string;
    authorization?: string;
    ifNoneMatch?: string;
    status: number;
  }
  const seen: Seen[] = [];
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const pathname = (req.url ?? '').split('?')[0];
      const doc = pathname === '/export/accounts.json' ? VALID : pathname === '/export/broken.json' ? INVALID : undefined;
      const ifNoneMatch = req.headers['if-none-match'];
      const status = doc === undefined ? 404 : req.headers.authorization !== `Bearer ${TOKEN}` ? 401 : ifNoneMatch === ETAG ? 304 : 200;
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization, ifNoneMatch, status });
      if (status === 200) res.writeHead(200, { 'content-type': 'application/json', etag: ETAG }).end(doc);
      else if (status === 304) res.writeHead(304, { etag: ETAG }).end();
      else res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  async function accountsIn(dir: string): Promise<unknown[]> {
    const r = await portdesk(dir, ['accounts', 'list', '--json']);
    expect(r.code, output(r)).toBe(0);
    return parseJson<unknown[]>(r);
  }

  it('without ACCOUNTS_URL: a passing result saying accounts come from import', async () => {
    const dir = await tempDir();
    const results = parseJson<Check[]>(await portdesk(dir, ['check', '--json']));
    expect(results.find((c) => c.name === 'accounts source')).toMatchObject({ ok: true, detail: expect.stringMatching(/ACCOUNTS_URL unset/) });
  });

  it('an HTTP export with a bearer token and an ETag: ok, 2 accounts, the second read "not modified"; nothing stored, the token never shown', async () => {
    const dir = await tempDir();
    const env = { ACCOUNTS_URL: `${base}/export/accounts.json`, ACCOUNTS_TOKEN: TOKEN };
    const r = await portdesk(dir, ['check', '--json'], env);
    expect(r.code, output(r)).toBe(0);
    const source = parseJson<Check[]>(r).find((c) => c.name === 'accounts source')!;
    expect(source.ok).toBe(true);
    expect(source.detail).toMatch(/\b2 accounts\b/);
    expect(source.detail).toMatch(/not modified/);
    expect(source.detail).toContain(`${base}/export/accounts.json`);
    // A plain read, then a conditional one, both with the token.
    expect(seen).toEqual([
      { path: '/export/accounts.json', authorization: `Bearer ${TOKEN}`, ifNoneMatch: undefined, status: 200 },
      { path: '/export/accounts.json', authorization: `Bearer ${TOKEN}`, ifNoneMatch: ETAG, status: 304 },
    ]);

    const text = await portdesk(dir, ['check'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ok\s+accounts source: .*2 accounts/);
    for (const out of [r, text]) expect(output(out)).not.toContain(TOKEN);
    // check reads; it never imports.
    expect(await accountsIn(dir)).toEqual([]);
  });

  it('a query string in ACCOUNTS_URL is sent but never shown', async () => {
    const dir = await tempDir();
    const r = await portdesk(dir, ['check', '--json'], { ACCOUNTS_URL: `${base}/export/accounts.json?key=q-s3cret`, ACCOUNTS_TOKEN: TOKEN });
    expect(r.code, output(r)).toBe(0);
    const source = parseJson<Check[]>(r).find((c) => c.name === 'accounts source')!;
    expect(source).toMatchObject({ ok: true, detail: expect.stringMatching(/2 accounts/) });
    expect(seen.map((q) => q.path)).toEqual(['/export/accounts.json?key=q-s3cret', '/export/accounts.json?key=q-s3cret']);
    expect(output(r)).not.toContain('q-s3cret');
  });

  it('an export with an invalid e-mail address: FAIL naming the row and the field, with the fix; nothing stored', async () => {
    const dir = await tempDir();
    const r = await portdesk(dir, ['check', '--json'], { ACCOUNTS_URL: `${base}/export/broken.json`, ACCOUNTS_TOKEN: TOKEN });
    expect(r.code).toBe(1);
    const source = parseJson<Check[]>(r).find((c) => c.name === 'accounts source')!;
    expect(source.ok).toBe(false);
    expect(source.detail).toMatch(/invalid/);
    expect(source.detail).toMatch(/row 1: email: Invalid email address/);
    expect(source.fix).toBeTruthy();
    expect(output(r)).not.toContain(TOKEN);
    expect(await accountsIn(dir)).toEqual([]);
  });

  it('a wrong token: FAIL naming the 401, and the token is not shown', async () => {
    const dir = await tempDir();
    const r = await portdesk(dir, ['check', '--json'], { ACCOUNTS_URL: `${base}/export/accounts.json`, ACCOUNTS_TOKEN: 'wrong-token-xyz' });
    expect(r.code).toBe(1);
    const source = parseJson<Check[]>(r).find((c) => c.name === 'accounts source')!;
    expect(source).toMatchObject({ ok: false, detail: expect.stringMatching(/401/), fix: expect.stringMatching(/ACCOUNTS_TOKEN/) });
    expect(output(r)).not.toContain('wrong-token-xyz');
  });

  it('a CSV file path: ok, its accounts counted, the second read "not modified"; nothing stored', async () => {
    const dir = await tempDir();
    const csv = path.join(dir, 'export.csv');
    await writeFile(
      csv,
      [
        'id,name,company,email,techPrefix,accountNumber,street,unit,city,state,zip,dids,portOutPin,portOutLock,status',
        'ACC-3001,Dana Whitfield,Harbor Lane Bakery LLC,dana@harborlane.example.test,4471,100200,1200 Market Street,Suite 4,Seattle,WA,98101,206-555-0100; 206-555-0101,,no,open',
        'ACC-3002,Marco Ellison,,marco@ellison.example.test,5520,100300,48 North Birch Avenue,,Portland,OR,97205,503-555-0110,,no,open',
        '',
      ].join('\n'),
    );
    const r = await portdesk(dir, ['check', '--json'], { ACCOUNTS_URL: csv });
    expect(r.code, output(r)).toBe(0);
    const source = parseJson<Check[]>(r).find((c) => c.name === 'accounts source')!;
    expect(source.ok).toBe(true);
    expect(source.detail).toMatch(/\b2 accounts \(csv\)/);
    expect(source.detail).toMatch(/not modified/);
    expect(await accountsIn(dir)).toEqual([]);
  });

  it('nothing listening at ACCOUNTS_URL: FAIL saying it could not be reached, with the fix, and exit 1', async () => {
    const dir = await tempDir();
    const port = await closedPort();
    const r = await portdesk(dir, ['check', '--json'], { ACCOUNTS_URL: `http://127.0.0.1:${port}/export/accounts.json`, ACCOUNTS_TOKEN: TOKEN });
    expect(r.code).toBe(1);
    const source = parseJson<Check[]>(r).find((c) => c.name === 'accounts source')!;
    expect(source.ok).toBe(false);
    expect(source.detail).toMatch(/could not be reached: ECONNREFUSED/);
    expect(source.fix).toMatch(/ACCOUNTS_URL/);
    expect(output(r)).not.toContain(TOKEN);
  });
});

describe('orders show: events to other systems', () => {
  const N = 4242;
  const ID = orderId(N);
  const PENDING_ENDPOINT = 'https://crm.example.test/hook?key=s3cret';
  const DELIVERED_ENDPOINT = 'https://desk:pa55word@tickets.example.test/in';
  const DROPPED_ENDPOINT = 'https://old-crm.example.test/in';
  let dir: string;
  let event: WebhookEvent;

  beforeAll(async () => {
    dir = await tempDir();
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    const order = makeOrder(N, { createdAt: iso(-600_000), updatedAt: iso(-600_000) });
    event = {
      id: `msg_${now.toString(36)}0a1b2c3d`,
      type: 'order.verification_sent',
      timestamp: iso(-600_000),
      orderId: ID,
      data: { id: ID, state: 'pending_verification' },
      deliveries: [
        {
          endpoint: PENDING_ENDPOINT,
          status: 'pending',
          attempts: 3,
          nextAttemptAt: iso(120_000),
          lastAttemptAt: iso(-60_000),
          firstFailedAt: iso(-590_000),
          lastError: 'HTTP 503',
        },
        { endpoint: DELIVERED_ENDPOINT, status: 'delivered', attempts: 1, nextAttemptAt: iso(-600_000), lastAttemptAt: iso(-599_000), deliveredAt: iso(-599_000) },
        // An endpoint since removed from WEBHOOK_URL.
        { endpoint: DROPPED_ENDPOINT, status: 'dropped', attempts: 2, nextAttemptAt: iso(-300_000), lastError: 'HTTP 500', droppedAt: iso(-60_000) },
      ],
    };
    const store = await openFileStore(path.join(dir, 'data'));
    try {
      await store.commit({ accounts: [makeAccount(N)], orders: [order], events: [event] });
    } finally {
      await store.close();
    }
  });

  it('the text lists each event with each endpoint masked: pending with its tries and last error, or delivered', async () => {
    const r = await portdesk(dir, ['orders', 'show', ID]);
    expect(r.code, output(r)).toBe(0);
    const text = r.stdout;
    expect(text).toContain(`Order ${ID}  (pending_verification)`);
    expect(text).toContain('events to other systems');
    // After the history.
    expect(text.indexOf('events to other systems')).toBeGreaterThan(text.indexOf('history:'));
    expect(text).toContain(event.timestamp);
    expect(text).toContain('order.verification_sent');
    expect(text).toContain(event.id);
    expect(text).toContain('https://crm.example.test/hook?***');
    expect(text).toContain('pending, 3 tries');
    expect(text).toContain('HTTP 503');
    expect(text).toContain('https://desk:***@tickets.example.test/in');
    expect(text).toContain(`delivered ${event.deliveries[1]!.deliveredAt}`);
    expect(text).toContain(`${DROPPED_ENDPOINT}  dropped ${event.deliveries[2]!.droppedAt} (no longer in WEBHOOK_URL), after 2 tries`);
    for (const secret of ['s3cret', 'key=', 'pa55word']) expect(output(r)).not.toContain(secret);
  });

  it('--json adds `events`: id, type, timestamp and deliveries, endpoints masked, no data', async () => {
    const r = await portdesk(dir, ['orders', 'show', ID.toLowerCase(), '--json']);
    expect(r.code, output(r)).toBe(0);
    const shown = parseJson<PortOrder & { events: EventView[] }>(r);
    expect(shown).toMatchObject({ id: ID, state: 'pending_verification' });
    expect(shown.events).toEqual([
      {
        id: event.id,
        type: 'order.verification_sent',
        timestamp: event.timestamp,
        deliveries: [
          { endpoint: 'https://crm.example.test/hook?***', status: 'pending', attempts: 3, lastError: 'HTTP 503', nextAttemptAt: event.deliveries[0]!.nextAttemptAt },
          { endpoint: 'https://desk:***@tickets.example.test/in', status: 'delivered', attempts: 1, deliveredAt: event.deliveries[1]!.deliveredAt },
          { endpoint: DROPPED_ENDPOINT, status: 'dropped', attempts: 2, lastError: 'HTTP 500', droppedAt: event.deliveries[2]!.droppedAt },
        ],
      },
    ]);
    for (const secret of ['s3cret', 'pa55word']) expect(output(r)).not.toContain(secret);
  });

  it('an order without events: no events section, and `events: []` in JSON', async () => {
    const other = orderId(N + 1);
    const store = await openFileStore(path.join(dir, 'data'));
    try {
      await store.commit({ accounts: [makeAccount(N + 1)], orders: [makeOrder(N + 1)] });
    } finally {
      await store.close();
    }
    const text = await portdesk(dir, ['orders', 'show', other]);
    expect(text.code, output(text)).toBe(0);
    expect(text.stdout).not.toContain('events to other systems');
    const json = parseJson<{ events: EventView[] }>(await portdesk(dir, ['orders', 'show', other, '--json']));
    expect(json.events).toEqual([]);
  });
});
