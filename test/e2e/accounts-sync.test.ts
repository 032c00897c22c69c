/**
 * End to end: accounts from billing (SPEC §14). The real daemon syncs its accounts from
 * ACCOUNTS_URL — a billing server in this process (test/e2e/support/billing-server.ts), or a CSV
 * file — at start, then every ACCOUNTS_SYNC (1s here). Nothing sleeps: the tests wait for the
 * billing server's Nth request (the daemon starts a sync only once the previous one is done, so
 * request N+1 means sync N is finished), for the store, the log, the mail sink or the webhook
 * receiver.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Account } from '../../src/domain/records.js';
import { SUPPORT, isTo, startDeskHarness, type DeskHarness } from '../support/desk-harness.js';
import { startWebhookReceiver, type AcceptedWebhook, type WebhookReceiver } from '../support/webhook-receiver.js';
import { startBillingServer, type BillingServer } from './support/billing-server.js';
import { CARRIER, account, matchingRequest, number, text } from './support/scenario.js';

const ALERT_TITLE = 'Accounts could not be synced from billing';
const TOKEN = 'billing-token-7c1e9d44f0a2';
const PIN = '2468';

interface LogEntry {
  level: number;
  msg: string;
  role?: string;
  [key: string]: unknown;
}

/** The accounts-sync lines of the daemon's log (captureLogs), parsed. */
function syncLog(h: DeskHarness, msg?: string): LogEntry[] {
  return h
    .logs()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LogEntry)
    .filter((e) => e.role === 'accounts-sync' && (msg === undefined || e.msg === msg));
}

const SYNCED = 'accounts synced from the source';
const NOT_SYNCED = 'accounts not synced; the desk keeps the accounts it has';

/** The support alerts about the accounts source, as queued in the outbox. */
function sourceAlerts(h: DeskHarness) {
  return h.daemon.store.listOutbox().filter((e) => e.to.includes(SUPPORT) && e.subject.includes(ALERT_TITLE));
}

/** Every account, by id: the objects the store holds. */
function snapshot(h: DeskHarness): Map<string, Account> {
  return new Map(h.daemon.store.listAccounts().map((a) => [a.id, a]));
}

/** The store holds exactly these objects: nothing written since the snapshot. */
function expectSameObjects(h: DeskHarness, before: Map<string, Account>): void {
  const after = snapshot(h);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [id, a] of after) expect(a, id).toBe(before.get(id));
}

const syncedEvents = (r: WebhookReceiver): AcceptedWebhook[] => r.accepted().filter((w) => w.event.type === 'accounts.synced');

// ---------------------------------------------------------------- billing over HTTP

describe('accounts from billing over HTTP (JSON, bearer token, events)', () => {
  let billing: BillingServer;
  let receiver: WebhookReceiver;
  let h: DeskHarness;

  /** Billing's view: the e-mail addresses are billing's own, so the store shows where they came from. */
  const billingAccount = (n: number, overrides: Partial<Account> = {}): Account => account(n, { email: `billing${n}@example.test`, ...overrides });
  let doc: Account[];
  const publish = (accounts: Account[]) => {
    doc = accounts;
    return billing.serve(JSON.stringify(accounts, null, 2));
  };
  /** Changes the document and waits until the sync that read it is finished. */
  const publishAndSync = async (accounts: Account[]) => {
    const etag = publish(accounts);
    const seen = billing.requests.length;
    await billing.waitForRequests(seen + 2);
    expect(billing.requests.slice(seen).some((r) => r.status === 200 && r.etag === etag)).toBe(true);
  };

  beforeAll(async () => {
    billing = await startBillingServer({ token: TOKEN });
    publish([
      billingAccount(31),
      billingAccount(32),
      billingAccount(33),
      billingAccount(34, { portOutPin: PIN }),
      billingAccount(35),
      billingAccount(36),
    ]);
    receiver = await startWebhookReceiver();
    h = await startDeskHarness({
      accounts: [],
      captureLogs: true,
      env: {
        ACCOUNTS_URL: billing.url,
        ACCOUNTS_TOKEN: TOKEN,
        ACCOUNTS_SYNC: '1s',
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: receiver.secret,
        VERIFICATION_WINDOW: '1h',
        REMINDER_AFTER: '30m',
      },
    });
  });

  afterAll(async () => {
    await h?.close();
    await receiver?.close();
    await billing?.close();
  });

  it('loads the accounts from the source at start, with no import, and sends the token', async () => {
    // Right after start: the first sync ran before the desk read any mail.
    const first = billing.requests[0]!;
    expect(first).toMatchObject({ method: 'GET', status: 200, authorization: `Bearer ${TOKEN}` });
    expect(first.ifNoneMatch).toBeUndefined();
    expect(h.daemon.store.listAccounts().map((a) => a.id).sort()).toEqual(['ACCT-31', 'ACCT-32', 'ACCT-33', 'ACCT-34', 'ACCT-35', 'ACCT-36']);
    expect(h.daemon.store.getAccount('ACCT-31')).toMatchObject({ email: 'billing31@example.test', status: 'open', portOutLock: false });
    // The PIN in clear is kept only as a hash.
    const pin = h.daemon.store.getAccount('ACCT-34')!.portOutPin!;
    expect(pin).not.toBe(PIN);
    expect(pin.length).toBeGreaterThan(20);
    expect(syncLog(h, SYNCED)[0]).toMatchObject({ source: billing.url, created: 6, updated: 0, closed: 0, unchanged: 0, total: 6 });

    await h.send(matchingRequest(31, 'PON-SYNC-31'));
    const verification = await h.waitForMail((m) => isTo('billing31@example.test', m) && /confirm/i.test(m.subject ?? ''));
    expect(text(verification)).toContain(number(31, 1));
    // The token never reaches the log.
    expect(h.logs()).not.toContain(TOKEN);
  });

  it('the first sync is told to the webhook: accounts.synced with the counts', async () => {
    await receiver.waitFor((a) => a.some((w) => w.event.type === 'accounts.synced'));
    const synced = syncedEvents(receiver);
    expect(synced).toHaveLength(1);
    expect(synced[0]!.event.data).toMatchObject({ source: billing.url, created: 6, updated: 0, closed: 0, unchanged: 0, total: 6, updatedIds: [], closedIds: [] });
    expect([...(synced[0]!.event.data.createdIds as string[])].sort()).toEqual(['ACCT-31', 'ACCT-32', 'ACCT-33', 'ACCT-34', 'ACCT-35', 'ACCT-36']);
  });

  it('an unchanged export is fetched conditionally: 304, nothing written, no log line, no event', async () => {
    const before = snapshot(h);
    const synced = syncLog(h, SYNCED).length;
    const events = syncedEvents(receiver).length;
    const seen = billing.requests.length;
    await billing.waitForRequests(seen + 3);
    const later = billing.requests.slice(seen, seen + 3);
    for (const r of later) {
      expect(r).toMatchObject({ status: 304, ifNoneMatch: billing.etag, authorization: `Bearer ${TOKEN}` });
    }
    expectSameObjects(h, before);
    expect(syncLog(h, SYNCED)).toHaveLength(synced);
    expect(syncedEvents(receiver)).toHaveLength(events);
    expect(syncLog(h, 'accounts source unchanged').length).toBeGreaterThanOrEqual(2);
  });

  it('a change in billing is applied at the next sync: a port lock makes the desk refuse PORT_PROTECTED', async () => {
    const before = snapshot(h);
    const etag = publish(doc.map((a) => (a.id === 'ACCT-32' ? { ...a, portOutLock: true } : a)));
    const seen = billing.requests.length;
    await vi.waitFor(() => expect(h.daemon.store.getAccount('ACCT-32')?.portOutLock).toBe(true), { timeout: 5_000, interval: 25 });
    // Read with a full GET, after a conditional one that no longer matched.
    const read = billing.requests.slice(seen).find((r) => r.etag === etag)!;
    expect(read.status).toBe(200);
    expect(read.ifNoneMatch).toBeDefined();
    expect(read.ifNoneMatch).not.toBe(etag);

    // Only the account that differs is written: the others (the PIN account too) are the same objects.
    await billing.waitForRequests(billing.requests.indexOf(read) + 2);
    for (const id of ['ACCT-31', 'ACCT-33', 'ACCT-34', 'ACCT-35', 'ACCT-36']) expect(h.daemon.store.getAccount(id), id).toBe(before.get(id));
    expect(syncLog(h, SYNCED).at(-1)).toMatchObject({ created: 0, updated: 1, closed: 0, unchanged: 5, total: 6 });
    await receiver.waitFor((a) => a.filter((w) => w.event.type === 'accounts.synced').length >= 2);
    expect(syncedEvents(receiver)[1]!.event.data).toEqual({
      source: billing.url,
      created: 0,
      updated: 1,
      closed: 0,
      unchanged: 5,
      total: 6,
      createdIds: [],
      updatedIds: ['ACCT-32'],
      closedIds: [],
    });

    await h.send(matchingRequest(32, 'PON-SYNC-LOCK'));
    const refusal = await h.waitForMail((m) => isTo(CARRIER, m) && text(m).includes('PORT_PROTECTED'));
    expect(text(refusal)).toContain('PON-SYNC-LOCK');
  });

  it('an account billing no longer lists is closed, never deleted: it keeps its numbers', async () => {
    const before = h.daemon.store.getAccount('ACCT-33')!;
    await publishAndSync(doc.filter((a) => a.id !== 'ACCT-33'));
    const closed = h.daemon.store.getAccount('ACCT-33');
    expect(closed).toEqual({ ...before, status: 'closed' });
    expect(closed!.dids.map((d) => d.number)).toEqual(['+12065551331', '+12065551332']);
    expect(h.daemon.store.findAccountByDid('+12065551331')?.id).toBe('ACCT-33');
    expect(h.daemon.store.listAccounts()).toHaveLength(6);
    expect(syncLog(h, SYNCED).at(-1)).toMatchObject({ created: 0, updated: 0, closed: 1, unchanged: 5, total: 5 });
    await receiver.waitFor((a) => a.filter((w) => w.event.type === 'accounts.synced').length >= 3);
    expect(syncedEvents(receiver)[2]!.event.data).toMatchObject({ closed: 1, closedIds: ['ACCT-33'], updated: 0, created: 0, total: 5 });
  });

  it('a broken document changes nothing and alerts support once per failure streak', async () => {
    const good = doc;
    const before = snapshot(h);
    const alerts = sourceAlerts(h).length;
    const failed = syncLog(h, NOT_SYNCED).length;

    // Not JSON at all, for three syncs and more.
    const broken = billing.serve('[{"id": "ACCT-31", "name": ');
    let seen = billing.requests.length;
    await billing.waitForRequests(seen + 4);
    expect(billing.requests.slice(seen, seen + 3).every((r) => r.status === 200 && r.etag === broken)).toBe(true);
    expect(syncLog(h, NOT_SYNCED).length - failed).toBeGreaterThanOrEqual(3);
    expect(syncLog(h, NOT_SYNCED).at(-1)!.problem).toMatch(/not valid JSON/);
    expectSameObjects(h, before);
    expect(sourceAlerts(h)).toHaveLength(alerts + 1);
    const alert = await h.waitForMail((m) => isTo(SUPPORT, m) && (m.subject ?? '').includes(ALERT_TITLE));
    expect(text(alert)).toContain(`Source: ${billing.url}`);
    expect(text(alert)).toMatch(/Problem: the accounts document is invalid: not valid JSON/);
    expect(text(alert)).not.toContain(TOKEN);
    // The failing syncs still ask for the last document applied, never the broken one.
    expect(billing.requests.slice(seen).every((r) => r.ifNoneMatch !== broken)).toBe(true);

    // A good document again: applied, and the streak is over.
    await publishAndSync(good.map((a) => (a.id === 'ACCT-35' ? { ...a, email: 'billing35.new@example.test' } : a)));
    expect(h.daemon.store.getAccount('ACCT-35')?.email).toBe('billing35.new@example.test');
    expect(syncLog(h, 'the accounts source is readable again').length).toBeGreaterThanOrEqual(1);
    expect(sourceAlerts(h)).toHaveLength(alerts + 1);

    // Broken again, another way: one bad e-mail among changes that would otherwise apply.
    const afterGood = snapshot(h);
    const invalid = doc.map((a) =>
      a.id === 'ACCT-36' ? { ...a, email: 'not-an-email' } : a.id === 'ACCT-31' ? { ...a, name: 'Someone Else Entirely' } : a,
    );
    billing.serve(JSON.stringify(invalid));
    seen = billing.requests.length;
    await billing.waitForRequests(seen + 4);
    expectSameObjects(h, afterGood);
    expect(h.daemon.store.getAccount('ACCT-31')?.name).toBe('Customer 31 Person');
    expect(sourceAlerts(h)).toHaveLength(alerts + 2);
    const second = await h.waitForMail((m) => isTo(SUPPORT, m) && (m.subject ?? '').includes(ALERT_TITLE));
    expect(text(second)).toMatch(/Problem: the accounts document is invalid: row 5: email: /);
    expect(h.mailsTo(SUPPORT).filter((m) => (m.subject ?? '').includes(ALERT_TITLE))).toHaveLength(2);

    expect(syncLog(h, NOT_SYNCED).at(-1)!.problem).toMatch(/row 5: email: /);

    // Back to the document last applied (its ETag too): a 304 ends the streak.
    const readable = syncLog(h, 'the accounts source is readable again').length;
    publish(doc);
    seen = billing.requests.length;
    await billing.waitForRequests(seen + 2);
    expect(billing.requests[seen]).toMatchObject({ status: 304, ifNoneMatch: billing.etag });
    expect(syncLog(h, 'the accounts source is readable again')).toHaveLength(readable + 1);
    expectSameObjects(h, afterGood);
  });

  it('an unreachable source (503, then no server at all) changes nothing and alerts support once', async () => {
    const before = snapshot(h);
    const alerts = sourceAlerts(h).length;
    const failed = syncLog(h, NOT_SYNCED).length;

    billing.failWith(503);
    const seen = billing.requests.length;
    await billing.waitForRequests(seen + 3);
    await billing.stop();
    // Two syncs more with nothing listening (no request reaches the server: count the log).
    const problems = () => syncLog(h, NOT_SYNCED).slice(failed).map((e) => String(e.problem));
    await vi.waitFor(() => expect(problems().filter((p) => /ECONNREFUSED/.test(p)).length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 50 });
    expect(problems()[0]).toMatch(/^the accounts source answered 503 Service Unavailable \(http:\/\/127\.0\.0\.1:\d+\/export\/accounts\)$/);
    expect(problems().at(-1)).toMatch(/^the accounts source could not be reached: ECONNREFUSED/);
    expectSameObjects(h, before);
    expect(sourceAlerts(h)).toHaveLength(alerts + 1);
    const alert = await h.waitForMail((m) => isTo(SUPPORT, m) && (m.subject ?? '').includes(ALERT_TITLE));
    expect(text(alert)).toMatch(/Problem: the accounts source answered 503/);

    // Back: the unchanged document answers 304, the streak ends, and changes apply again.
    billing.failWith(undefined);
    await billing.start();
    const readable = syncLog(h, 'the accounts source is readable again').length;
    await vi.waitFor(() => expect(syncLog(h, 'the accounts source is readable again').length).toBe(readable + 1), { timeout: 10_000, interval: 50 });
    await publishAndSync(doc.map((a) => (a.id === 'ACCT-36' ? { ...a, name: 'Customer 36 Person Jr' } : a)));
    expect(h.daemon.store.getAccount('ACCT-36')?.name).toBe('Customer 36 Person Jr');
    expect(sourceAlerts(h)).toHaveLength(alerts + 1);
  });

  it('after a restart the desk starts on the accounts it has; the export is read in full again beside the mail and changes nothing (the PIN keeps its hash)', async () => {
    const pin = h.daemon.store.getAccount('ACCT-34')!.portOutPin;
    const synced = syncLog(h, SYNCED).length;
    const events = syncedEvents(receiver).length;
    await h.stopDaemon();
    const seen = billing.requests.length;
    await h.startDaemonAgain();
    await billing.waitForRequests(seen + 1);
    expect(billing.requests[seen]).toMatchObject({ status: 200, ifNoneMatch: undefined, authorization: `Bearer ${TOKEN}` });
    await expect.poll(() => syncLog(h, SYNCED).slice(synced).length, { timeout: 10_000 }).toBe(1);
    expect(syncLog(h, SYNCED).at(-1)).toMatchObject({ created: 0, updated: 0, closed: 0, unchanged: 5, total: 5 });
    expect(h.daemon.store.getAccount('ACCT-34')!.portOutPin).toBe(pin);
    expect(h.daemon.store.getAccount('ACCT-33')?.status).toBe('closed');
    await billing.waitForRequests(seen + 2);
    expect(billing.requests[seen + 1]).toMatchObject({ status: 304, ifNoneMatch: billing.etag });
    expect(syncedEvents(receiver)).toHaveLength(events);
  });
});

// ---------------------------------------------------------------- billing's file

describe('accounts from a CSV file billing drops', () => {
  let dir: string;
  let file: string;
  let h: DeskHarness;

  const HEADER = 'id,name,email,techPrefix,accountNumber,street,unit,city,state,zip,dids,portOutLock,status';
  const row = (n: number, lock: boolean) =>
    [`ACCT-${n}`, `Customer ${n} Person`, `file${n}@example.test`, `TP${n}`, `10${n}`, `${100 + n} N Main St`, 'Ste 5', 'Seattle', 'WA', '98101', `"${number(n, 1)}; ${number(n, 2)}"`, lock ? 'yes' : 'no', 'open'].join(',');
  const csv = (lock42: boolean) => [HEADER, row(41, false), row(42, lock42)].join('\n') + '\n';
  /** As a billing job should: written aside, then renamed over, so no sync reads half a file. */
  const drop = async (content: string) => {
    await writeFile(`${file}.tmp`, content);
    await rename(`${file}.tmp`, file);
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-billing-'));
    file = path.join(dir, 'accounts.csv');
    await drop(csv(false));
    h = await startDeskHarness({ accounts: [], captureLogs: true, env: { ACCOUNTS_URL: file, ACCOUNTS_SYNC: '1s' } });
  });

  afterAll(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads the file at start, then applies a rewritten file at the next sync', async () => {
    expect(h.daemon.store.listAccounts().map((a) => a.id).sort()).toEqual(['ACCT-41', 'ACCT-42']);
    expect(h.daemon.store.getAccount('ACCT-42')).toMatchObject({
      email: 'file42@example.test',
      portOutLock: false,
      status: 'open',
      dids: [
        { number: '+12065551421', status: 'active' },
        { number: '+12065551422', status: 'active' },
      ],
    });
    expect(syncLog(h, SYNCED)[0]).toMatchObject({ source: file, created: 2, total: 2 });

    const untouched = h.daemon.store.getAccount('ACCT-41');
    const synced = syncLog(h, SYNCED).length;
    await drop(csv(true));
    // The log line comes once the sync is over (its commit durable).
    await vi.waitFor(() => expect(syncLog(h, SYNCED)).toHaveLength(synced + 1), { timeout: 5_000, interval: 25 });
    expect(syncLog(h, SYNCED).at(-1)).toMatchObject({ created: 0, updated: 1, closed: 0, unchanged: 1, total: 2 });
    expect(h.daemon.store.getAccount('ACCT-42')?.portOutLock).toBe(true);
    expect(h.daemon.store.getAccount('ACCT-41')).toBe(untouched);
  });

  it('the same content written again is read again but nothing is written', async () => {
    const before = snapshot(h);
    const synced = syncLog(h, SYNCED).length;
    await drop(csv(true));
    await vi.waitFor(() => expect(syncLog(h, SYNCED)).toHaveLength(synced + 1), { timeout: 5_000, interval: 25 });
    expect(syncLog(h, SYNCED).at(-1)).toMatchObject({ created: 0, updated: 0, closed: 0, unchanged: 2, total: 2 });
    expectSameObjects(h, before);
  });
});
