/**
 * Each command's happy path, run as the operator runs it: the built binary, a fresh DATA_DIR, the
 * embedded defaults (no IMAP, .eml files for outgoing mail) and nothing from the developer's
 * environment.
 */
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/adapters/file-store.js';
import type { Account, PortOrder } from '../../src/domain/records.js';
import { writeFile } from 'node:fs/promises';
import { makeDkimKey, publishDkimKey, signMessage } from '../support/dkim.js';
import { startTestDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { buildMail } from '../support/mail-builder.js';
import { ensureBuilt, isTo, parseJson, readEmlFiles, REPO_ROOT, runCli } from '../support/run-cli.js';

const SAMPLE_JSON = path.join(REPO_ROOT, 'data', 'sample-accounts.json');
const SAMPLE_CSV = path.join(REPO_ROOT, 'data', 'sample-accounts.csv');
const CARRIER = { name: 'Northwind Telecom LNP', email: 'lnp@northwind.example.test' };

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'portdesk-cli-'));
  dirs.push(d);
  return d;
}

/** Runs portdesk with DATA_DIR in `dir` and the working directory there too. */
function portdesk(dir: string, args: string[], env: Record<string, string> = {}) {
  return runCli(args, { cwd: dir, env: { DATA_DIR: path.join(dir, 'data'), ...env } });
}

function noLogLines(stdout: string): void {
  expect(stdout.split('\n').filter((l) => l.startsWith('{"level"'))).toEqual([]);
}

function order(id: string, over: Partial<PortOrder>): PortOrder {
  const at = new Date(Date.now() - 60_000).toISOString();
  return {
    id,
    token: `tok-${id.toLowerCase()}`,
    state: 'pending_verification',
    accountId: 'ACC-1001',
    dids: ['+12065550100'],
    carrier: { ...CARRIER, pon: `PON-${id}` },
    provided: {},
    requestKey: `${CARRIER.email}|PON-${id}`,
    sourceMessageIds: [`${id.toLowerCase()}@northwind.example.test`],
    createdAt: at,
    updatedAt: at,
    history: [{ at, event: 'received' }],
    ...over,
  };
}

beforeAll(ensureBuilt, 120_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('accounts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  it('import JSON: every sample account is created, and the summary says so', async () => {
    const r = await portdesk(dir, ['accounts', 'import', SAMPLE_JSON]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/imported 6 account\(s\) .*: 6 new, 0 updated/);
    noLogLines(r.stdout);
  });

  it('import CSV of the same accounts: all six updated, reported as JSON', async () => {
    const r = await portdesk(dir, ['accounts', 'import', SAMPLE_CSV, '--json']);
    expect(r.code).toBe(0);
    const result = parseJson<{ created: string[]; updated: string[] }>(r);
    expect(result.created).toEqual([]);
    expect([...result.updated].sort()).toEqual(['ACC-1001', 'ACC-1002', 'ACC-1003', 'ACC-1004', 'ACC-1005', 'ACC-1006']);
  });

  it('import CSV into an empty data directory creates the accounts', async () => {
    const other = await tempDir();
    const r = await portdesk(other, ['accounts', 'import', SAMPLE_CSV, '--json']);
    expect(r.code).toBe(0);
    expect(parseJson<{ created: string[] }>(r).created).toHaveLength(6);
  });

  it('a file with bad rows: exit 1, every bad row named, nothing imported', async () => {
    const other = await tempDir();
    const r = await portdesk(other, ['accounts', 'import', path.join(REPO_ROOT, 'test/fixtures/accounts/bad-rows.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/row 2: .*email/i);
    expect(r.stderr).toContain('nothing imported');
    const list = await portdesk(other, ['accounts', 'list', '--json']);
    // Nothing was written: there is no store to list, or it is empty.
    if (list.code === 0) expect(parseJson<unknown[]>(list)).toEqual([]);
    else expect(list.stderr).toMatch(/no data directory|no accounts/i);
  });

  it('list --json mirrors the stored records, PINs masked', async () => {
    const r = await portdesk(dir, ['accounts', 'list', '--json']);
    expect(r.code).toBe(0);
    const listed = parseJson<Account[]>(r);
    const store = await openFileStore(path.join(dir, 'data'), { readOnly: true });
    const stored = store.listAccounts();
    await store.close();
    expect(listed).toEqual(stored.map((a) => ({ ...a, portOutPin: a.portOutPin ? 'set' : 'not set' })));
    const okafor = listed.find((a) => a.id === 'ACC-1002');
    expect(okafor?.portOutPin).toBe('set');
    expect(r.stdout).not.toContain('8812');
    expect(listed.find((a) => a.id === 'ACC-1001')?.dids.map((d) => d.number)).toEqual(['+12065550100', '+12065550101', '+12065550102']);
  });

  it('list prints a table', async () => {
    const r = await portdesk(dir, ['accounts', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+COMPANY\s+EMAIL/);
    expect(r.stdout).toContain('ACC-1004');
    expect(r.stdout).toMatch(/ACC-1004.*locked/);
  });

  it('show --json gives the one account; show prints it for people', async () => {
    const json = await portdesk(dir, ['accounts', 'show', 'ACC-1002', '--json']);
    expect(json.code).toBe(0);
    const a = parseJson<Account>(json);
    expect(a).toMatchObject({ id: 'ACC-1002', name: 'Thomas Okafor', email: 'tokafor@example.test', portOutPin: 'set' });
    expect(a.address.zip).toBe('78701-4012');
    const text = await portdesk(dir, ['accounts', 'show', 'ACC-1002']);
    expect(text.stdout).toContain('Account ACC-1002');
    expect(text.stdout).toContain('(512) 555-0140');
    expect(text.stdout).toContain('PIN required');
    expect(text.stdout).not.toContain('8812');
  });

  it('show of an unknown account: exit 1 and says so', async () => {
    const r = await portdesk(dir, ['accounts', 'show', 'ACC-9999']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no account ACC-9999');
  });
});

describe('orders and jobs on a data directory with no daemon', () => {
  let dir: string;
  const APPROVED = 'PO-CL1A01';
  const PENDING = 'PO-CL1P02';
  const EXPIRED = 'PO-CL1E03';

  beforeAll(async () => {
    dir = await tempDir();
    expect((await portdesk(dir, ['accounts', 'import', SAMPLE_JSON])).code).toBe(0);
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    const store = await openFileStore(path.join(dir, 'data'));
    await store.commit({
      orders: [
        order(APPROVED, {
          state: 'approved',
          accountId: 'ACC-1003',
          dids: ['+15035550177'],
          provided: { name: 'Priya Raman', zip: '97214', pinGiven: true, pinMatched: true },
          focDate: '2099-06-01',
          verification: { sentTo: 'priya.raman@example.test', sentAt: iso(-60_000), expiresAt: iso(3_600_000), messageId: 'v-a@desk.example.test', clarifications: 0 },
          decision: { by: 'customer', at: iso(-30_000), reasonCodes: [] },
        }),
        order(PENDING, {
          accountId: 'ACC-1001',
          dids: ['+12065550100'],
          provided: { company: 'Cascade Coffee Roasters', zip: '98101' },
          verification: { sentTo: 'maria.delgado@example.test', sentAt: iso(-60_000), expiresAt: iso(3_600_000), reminderSentAt: iso(-1_000), messageId: 'v-p@desk.example.test', clarifications: 0 },
        }),
        order(EXPIRED, {
          accountId: 'ACC-1005',
          dids: ['+18025550163'],
          provided: { name: 'Daniel Brooks', street: '45 Main St Unit 2', zip: '05401' },
          verification: { sentTo: 'dan@brooks-hardware.example.test', sentAt: iso(-7_200_000), expiresAt: iso(-60_000), reminderSentAt: iso(-3_600_000), messageId: 'v-e@desk.example.test', clarifications: 0 },
        }),
      ],
    });
    await store.close();
  });

  it('list --json mirrors the stored orders; --state filters', async () => {
    const all = parseJson<PortOrder[]>(await portdesk(dir, ['orders', 'list', '--json']));
    expect(all.map((o) => [o.id, o.state]).sort()).toEqual([
      [APPROVED, 'approved'],
      [EXPIRED, 'pending_verification'],
      [PENDING, 'pending_verification'],
    ]);
    const approved = all.find((o) => o.id === APPROVED)!;
    expect(approved.provided).toMatchObject({ pinGiven: true });
    expect(approved.focDate).toBe('2099-06-01');
    const pending = parseJson<PortOrder[]>(await portdesk(dir, ['orders', 'list', '--state', 'pending_verification', '--json']));
    expect(pending.map((o) => o.id).sort()).toEqual([EXPIRED, PENDING]);
    const table = await portdesk(dir, ['orders', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+ACCOUNT/);
    expect(table.stdout).toContain('(503) 555-0177');
  });

  it('show --json is the stored order with its history; show prints it for people', async () => {
    const r = await portdesk(dir, ['orders', 'show', PENDING.toLowerCase(), '--json']);
    expect(r.code).toBe(0);
    const o = parseJson<PortOrder>(r);
    expect(o).toMatchObject({ id: PENDING, state: 'pending_verification', accountId: 'ACC-1001', carrier: { email: CARRIER.email } });
    expect(o.history.map((h) => h.event)).toEqual(['received']);
    const text = await portdesk(dir, ['orders', 'show', APPROVED]);
    expect(text.stdout).toContain(`Order ${APPROVED}  (approved)`);
    expect(text.stdout).toContain('PIN given');
    expect(text.stdout).not.toContain('0420');
  });

  it('complete: the approved order is completed, the number marked ported-out, the customer e-mailed', async () => {
    const r = await portdesk(dir, ['orders', 'complete', APPROVED]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${APPROVED} is now completed\n`);
    const shown = parseJson<PortOrder>(await portdesk(dir, ['orders', 'show', APPROVED, '--json']));
    expect(shown.state).toBe('completed');
    expect(shown.history.length).toBeGreaterThan(1);
    const account = parseJson<Account>(await portdesk(dir, ['accounts', 'show', 'ACC-1003', '--json']));
    expect(account.dids[0]).toMatchObject({ number: '+15035550177', status: 'ported-out' });
    const mails = (await readEmlFiles(path.join(dir, 'data', 'outbox-files'))).filter((m) => isTo('priya.raman@example.test', m.parsed));
    expect(mails.map((m) => m.parsed.subject)).toEqual([`[${APPROVED}] Your number has been ported out`]);
    expect(mails[0]?.parsed.text).toContain('$15');
  });

  it('complete again: exit 1 naming why, and no second e-mail', async () => {
    const r = await portdesk(dir, ['orders', 'complete', APPROVED]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INVALID_TRANSITION/);
    const mails = (await readEmlFiles(path.join(dir, 'data', 'outbox-files'))).filter((m) => isTo('priya.raman@example.test', m.parsed));
    expect(mails).toHaveLength(1);
  });

  it('cancel --json: the open order is canceled with the reason, carrier and customer told', async () => {
    const r = await portdesk(dir, ['orders', 'cancel', PENDING, '--reason', 'The customer called support to stop this port', '--code', 'CARRIER_CANCELED', '--json']);
    expect(r.code).toBe(0);
    const o = parseJson<PortOrder>(r);
    expect(o.state).toBe('canceled');
    expect(o.decision).toMatchObject({ by: 'support', reasonCodes: ['CARRIER_CANCELED'] });
    const mails = await readEmlFiles(path.join(dir, 'data', 'outbox-files'));
    const about = mails.filter((m) => (m.parsed.subject ?? '').includes(PENDING));
    expect(about.some((m) => isTo(CARRIER.email, m.parsed) && /cancel/i.test(m.parsed.subject ?? ''))).toBe(true);
    expect(about.some((m) => isTo('maria.delgado@example.test', m.parsed) && /cancel/i.test(m.parsed.subject ?? ''))).toBe(true);
  });

  it('jobs run: the expired verification is auto-matched and approved; the report is JSON', async () => {
    const r = await portdesk(dir, ['jobs', 'run', '--json']);
    expect(r.code).toBe(0);
    const report = parseJson<{ ranBy: string; jobs: Array<{ job: string; changed: number }>; outbox: { sent: number } }>(r);
    expect(report.ranBy).toBe('command');
    expect(report.jobs.reduce((n, j) => n + j.changed, 0)).toBe(1);
    const o = parseJson<PortOrder>(await portdesk(dir, ['orders', 'show', EXPIRED, '--json']));
    expect(o.state).toBe('approved');
    expect(o.decision?.by).toBe('auto-match');
    const mails = await readEmlFiles(path.join(dir, 'data', 'outbox-files'));
    expect(mails.some((m) => isTo(CARRIER.email, m.parsed) && (m.parsed.subject ?? '').includes(`[${EXPIRED}] Port-out approved`))).toBe(true);
    // Run again: nothing is due, nothing changes.
    const again = await portdesk(dir, ['jobs', 'run']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 order\(s\) changed/);
    noLogLines(again.stdout);
  });
});

describe('inspect', () => {
  let dns: TestDnsServer;
  beforeAll(async () => {
    dns = await startTestDnsServer();
  });
  afterAll(() => dns?.close());
  /** Every inspect looks senders up in the test's own DNS server, never the machine's. */
  const inspect = (dir: string, args: string[]) => portdesk(dir, ['inspect', ...args], { MAIL_AUTH_DNS: dns.address });

  it('a carrier request: kind, numbers and fields as JSON; nothing written', async () => {
    const dir = await tempDir();
    const r = await inspect(dir, [path.join(REPO_ROOT, 'test/fixtures/requests/01-labelled-text.eml'), '--json']);
    expect(r.code).toBe(0);
    const result = parseJson<{ kind: string; request: Record<string, unknown>; notes: string[] }>(r);
    expect(result.kind).toBe('port_request');
    expect(result.request).toMatchObject({ dids: ['+12065550100', '+12065550101', '+12065550102'], pon: 'CT-40021', zip: '98101', requestedDate: '2026-12-01' });
    expect(Array.isArray(result.notes)).toBe(true);
    const text = await inspect(dir, [path.join(REPO_ROOT, 'test/fixtures/requests/01-labelled-text.eml')]);
    expect(text.stdout).toMatch(/^kind:\s+port_request/);
    expect(text.stdout).not.toContain('4471');
    expect((await readEmlFiles(path.join(dir, 'data', 'outbox-files'))).length).toBe(0);
  });

  it('a customer reply: read as a verification reply with its decision, and a note that no order was looked up', async () => {
    const dir = await tempDir();
    const r = await inspect(dir, [path.join(REPO_ROOT, 'test/fixtures/replies/gmail-negation-reject.eml'), '--json']);
    expect(r.code).toBe(0);
    const result = parseJson<{ kind: string; decision: string; notes: string[] }>(r);
    expect(result.kind).toBe('verification_reply');
    expect(result.decision).toBe('reject');
    expect(result.notes.some((n) => /not looked up|not in/i.test(n))).toBe(true);
  });

  it('says who really sent it (auth) and what would park it (review)', async () => {
    const dir = await tempDir();
    const key = makeDkimKey();
    publishDkimKey(dns, 'northwind-telecom.test', 's1', key);
    dns.set('_dmarc.northwind-telecom.test', { TXT: ['v=DMARC1; p=reject'] });
    const request = (from: string) =>
      buildMail({ from, to: 'porting@localhost', subject: 'Port-out request PON NW-9', text: 'PON: NW-9\nAccount Name: Priya Raman\nZIP: 97214\nNumbers: (503) 555-0177\n' });
    const files = {
      signed: await signMessage(request('LNP <lnp@northwind-telecom.test>'), { signingDomain: 'northwind-telecom.test', selector: 's1', key }),
      forged: request('LNP <lnp@northwind-telecom.test>'),
      lookAlike: request('LNP <lnp@northwind-telecom.test> <attacker@evil.test>'),
    };
    const result = async (name: keyof typeof files) => {
      const file = path.join(dir, `${name}.eml`);
      await writeFile(file, files[name]);
      return parseJson<{ kind: string; auth: Record<string, unknown>; review?: { reason: string; detail: string } }>(await inspect(dir, [file, '--json']));
    };

    const signed = await result('signed');
    expect(signed).toMatchObject({ kind: 'port_request', auth: { dkim: 'pass', spf: 'none', dmarc: 'pass', aligned: true } });
    expect(signed.review).toBeUndefined();
    expect(await result('forged')).toMatchObject({ auth: { dkim: 'none', dmarc: 'fail', aligned: false }, review: { reason: 'AUTH_FAILED' } });
    expect((await result('lookAlike')).review).toMatchObject({ reason: 'NO_SENDER', detail: expect.stringContaining('2 addresses') });
  });
});

describe('check', () => {
  let dns: TestDnsServer;
  beforeAll(async () => {
    dns = await startTestDnsServer();
    dns.set('_dmarc.desk.example.test', { TXT: ['v=DMARC1; p=reject'] });
  });
  afterAll(() => dns?.close());

  it('with the embedded defaults: every check passes, from any working directory', async () => {
    const dir = await tempDir();
    // The embedded defaults but for the resolver: the machine's own may not answer in a sandbox.
    const r = await portdesk(dir, ['check', '--json'], { MAIL_AUTH_DNS: dns.address });
    expect(r.code).toBe(0);
    const results = parseJson<Array<{ name: string; ok: boolean; detail: string }>>(r);
    expect(results.map((c) => [c.name, c.ok])).toEqual([
      ['configuration', true],
      ['data directory', true],
      ['templates', true],
      ['IMAP', true],
      ['SMTP', true],
      ['mail authentication', true],
      ['console', true],
      ['database', true],
      ['webhooks', true],
      ['accounts source', true],
    ]);
    expect(results.find((c) => c.name === 'SMTP')?.detail).toContain('.eml');
    expect(results.find((c) => c.name === 'database')?.detail).toMatch(/none \(DATABASE_URL unset\)/);
    expect(results.find((c) => c.name === 'mail authentication')?.detail).toMatch(/MAIL_AUTH=enforce; resolvers 127\.0\.0\.1:\d+ \(MAIL_AUTH_DNS\) answer \(_dmarc\.localhost TXT: no such name\)/);
  });

  it('the console: a port another program holds fails with the fix; a loopback PUBLIC_URL is pointed out', async () => {
    const dir = await tempDir();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const busy = parseJson<Array<{ name: string; ok: boolean; detail: string; fix?: string }>>(await portdesk(dir, ['check', '--json'], { MAIL_AUTH: 'off', HTTP_PORT: String(port) }));
      const consoleCheck = busy.find((c) => c.name === 'console')!;
      expect(consoleCheck.ok).toBe(false);
      expect(consoleCheck.detail).toMatch(/EADDRINUSE/);
      expect(consoleCheck.fix).toMatch(/HTTP_PORT/);
    } finally {
      holder.close();
    }
    const free = parseJson<Array<{ name: string; ok: boolean; detail: string; fix?: string }>>(await portdesk(dir, ['check', '--json'], { MAIL_AUTH: 'off', HTTP_PORT: '18931' }));
    const ok = free.find((c) => c.name === 'console')!;
    expect(ok.ok).toBe(true);
    expect(ok.fix).toMatch(/set PUBLIC_URL/);
    const pub = parseJson<Array<{ name: string; ok: boolean; detail: string; fix?: string }>>(
      await portdesk(dir, ['check', '--json'], { MAIL_AUTH: 'off', HTTP_PORT: '18931', PUBLIC_URL: 'https://porting.example.test' }),
    );
    expect(pub.find((c) => c.name === 'console')).toMatchObject({ ok: true, detail: expect.stringMatching(/links in e-mails go to https:\/\/porting\.example\.test/) });
  });

  it('reports the mail-authentication settings and whether the resolver answers', async () => {
    const dir = await tempDir();
    const answered = await portdesk(dir, ['check', '--json'], { MAIL_AUTH_DNS: dns.address, MAIL_FROM: 'porting@desk.example.test', TRUSTED_AUTHSERV_IDS: 'mx1.desk.example.test' });
    const ok = parseJson<Array<{ name: string; ok: boolean; detail: string }>>(answered).find((c) => c.name === 'mail authentication')!;
    expect(ok.ok).toBe(true);
    expect(ok.detail).toContain('_dmarc.desk.example.test TXT: 1 record(s)');
    expect(ok.detail).toContain('AUTHSERV_ID desk.example.test');
    expect(ok.detail).toContain('Authentication-Results trusted from mx1.desk.example.test');

    dns.blackhole('_dmarc.desk.example.test');
    const silent = await portdesk(dir, ['check'], { MAIL_AUTH_DNS: dns.address, MAIL_FROM: 'porting@desk.example.test' });
    dns.blackhole('_dmarc.desk.example.test', false);
    expect(silent.code).toBe(1);
    expect(silent.stdout).toMatch(/FAIL\s+mail authentication: MAIL_AUTH=enforce; resolvers 127\.0\.0\.1:\d+ \(MAIL_AUTH_DNS\) did not answer \(_dmarc\.desk\.example\.test TXT: ETIMEOUT\)/);
    expect(silent.stdout).toMatch(/fix: set MAIL_AUTH_DNS/);

    const off = await portdesk(dir, ['check', '--json'], { MAIL_AUTH: 'off' });
    expect(parseJson<Array<{ name: string; detail: string }>>(off).find((c) => c.name === 'mail authentication')!.detail).toMatch(/^MAIL_AUTH=off/);
  });

  it('an SMTP server that does not answer: exit 1, the failure and how to fix it', async () => {
    const dir = await tempDir();
    // Port 9 (discard) on loopback: nothing listens there on a test machine.
    const r = await portdesk(dir, ['check'], { SMTP_HOST: '127.0.0.1', SMTP_PORT: '9' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+SMTP: 127\.0\.0\.1:9/);
    expect(r.stdout).toMatch(/fix: check SMTP_HOST, SMTP_PORT/);
  });
});
