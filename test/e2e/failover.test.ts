/**
 * End to end, SPEC §13: two `portdesk start` processes on one PostgreSQL database and one Dovecot
 * mailbox. One is active (it holds the lease), the other stands by and takes over once the lease
 * has ended. Exactly-once holds across them:
 * 1. 300 requests drained while whichever daemon is active is SIGKILLed eight times and started
 *    again: one order per request, one verification per customer, INBOX empty, no long pause;
 *    both stop with exit 0 on SIGTERM (the active one and the standby).
 * 2. A leader paused (SIGSTOP) past its lease and resumed (SIGCONT) after the standby took over
 *    writes nothing more (every write refused by the fence), sends no new e-mail, and stops with
 *    a failure. An SMTP session it had under way when paused may still finish: a second copy,
 *    same Message-ID, of an e-mail the new leader sent; counted in the figures.
 * 3. A database restart and connections dropped mid-transaction: nothing lost, nothing twice.
 *
 * FAILOVER_AFTER is 3 s so that a failover takes seconds. Every wait polls the database, the
 * mailbox or the SMTP sink against a deadline. The figures (failover times, the longest pause in
 * verifications, duplicate sends) are printed at the end; FAILOVER_LOG_DIR=dir keeps each
 * daemon's log.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import {
  ON_DATABASE,
  RUNNING,
  appendAll,
  byRecipient,
  duplicateSends,
  importAccounts,
  killAll,
  mailboxCount,
  openTestDb,
  pollUntil,
  signal,
  startDesk,
  tailOf,
  watchSink,
  type DeskProcess,
  type Backend,
  type SinkLog,
  type TestDb,
} from '../support/daemon-pair.js';
import { account, matchingRequest } from './support/scenario.js';

const FAILOVER_AFTER_MS = 3_000;
const USERS = ['desk1@example.test', 'desk2@example.test', 'desk3@example.test'] as const;
const CUSTOMER = /^customer(\d+)@example\.test$/;
const TABLES = ['accounts', 'orders', 'csr_requests', 'inbound', 'outbox', 'cursors', 'users'] as const;

let postgres: TestPostgres;
let dovecot: DovecotServer;
const cleanups: (() => Promise<unknown>)[] = [];
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  [postgres, dovecot] = await Promise.all([startTestPostgres(), startDovecot({ users: [...USERS] })]);
}, 120_000);

/** The daemons of the current test, for their logs. */
const currentDesks: DeskProcess[] = [];

afterEach(async (ctx) => {
  killAll();
  // FAILOVER_LOG_DIR=dir keeps every daemon's output, one file per process.
  const logDir = process.env.FAILOVER_LOG_DIR;
  if (logDir) {
    await mkdir(logDir, { recursive: true });
    const name = ctx.task.name.slice(0, 24).replace(/[^a-z0-9]+/gi, '-');
    for (const d of currentDesks) await writeFile(path.join(logDir, `${name}-${d.label.replace('#', '-')}.log`), d.output());
  }
  currentDesks.length = 0;
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

afterAll(async () => {
  killAll();
  await dovecot?.stop();
  await postgres?.stop();
  // The figures the issue asks for, in the test output.
  process.stdout.write(`\nfailover figures: ${JSON.stringify(figures, null, 2)}\n`);
});

interface Setup {
  db: TestDb;
  sink: SmtpSink;
  sinkLog: SinkLog;
  user: string;
  env(label: string): Record<string, string>;
  /** Customers (customerN@…) with at least one verification, and their e-mails. */
  verified(): Map<string, { ids: Set<string>; copies: number; first: number }>;
  desks: DeskProcess[];
  start(label: string): DeskProcess;
  /** The daemon whose pid the lease row names, among those still running. */
  active(): Promise<DeskProcess | undefined>;
  snapshot(): Promise<Record<string, string>>;
}

/** A fresh database with `n` accounts, a sink, and the mailbox of `user` (empty). */
async function setUp(user: string, n: number, extraEnv: Record<string, string> = {}): Promise<Setup> {
  const url = await postgres.createDatabase();
  const db = openTestDb(url);
  cleanups.push(() => db.close());
  const sink = await startSmtpSink();
  cleanups.push(() => sink.stop());
  const sinkLog = watchSink(sink);
  cleanups.push(async () => sinkLog.stop());
  const base = await mkdtemp(path.join(os.tmpdir(), 'portdesk-failover-'));
  cleanups.push(() => rm(base, { recursive: true, force: true }));
  const imap = dovecot.imapConfig(user);
  const env = (label: string): Record<string, string> => ({
    DATABASE_URL: url,
    FAILOVER_AFTER: `${FAILOVER_AFTER_MS / 1000}s`,
    IMAP_HOST: imap.host,
    IMAP_PORT: String(imap.port),
    IMAP_SECURE: 'false',
    IMAP_USER: imap.user,
    IMAP_PASSWORD: imap.password,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(sink.port),
    MAIL_FROM: 'porting@example.test',
    SUPPORT_EMAIL: 'support@example.test',
    // What is local to one process; the records are in the database.
    DATA_DIR: path.join(base, label.replace(/#.*/, '')),
    MAIL_AUTH: 'off',
    // One carrier sends every request here; its hourly limit would park most of them.
    MAX_REQUESTS_PER_CARRIER_PER_HOUR: '100000',
    TIMEZONE: 'America/New_York',
    STOP_TIMEOUT: '15s',
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  await importAccounts(env('import'), Array.from({ length: n }, (_, i) => account(i + 1)));
  expect(await db.count('SELECT count(*) AS n FROM accounts')).toBe(n);
  const desks: DeskProcess[] = [];
  const setup: Setup = {
    db,
    sink,
    sinkLog,
    user,
    env,
    desks,
    verified: () => byRecipient(sinkLog.arrivals, (a) => CUSTOMER.test(a)),
    start: (label) => {
      const d = startDesk(label, env(label));
      desks.push(d);
      currentDesks.push(d);
      return d;
    },
    active: async () => {
      const lease = await db.lease();
      return desks.find((d) => d.pid === lease.pid && !d.exited());
    },
    snapshot: async () => {
      const out: Record<string, string> = {};
      for (const t of TABLES) {
        const r = await db.pool.query<{ n: string; v: string | null }>(`SELECT count(*) AS n, max(version) AS v FROM ${t}`);
        out[t] = `${r.rows[0]!.n} rows, max version ${r.rows[0]!.v}`;
      }
      out.sequence = String((await db.pool.query<{ v: string }>('SELECT last_value AS v FROM portdesk_commit_seq')).rows[0]!.v);
      out.outboxQueued = String(await db.count("SELECT count(*) AS n FROM outbox WHERE status <> 'sent'"));
      out.parked = String(await db.count('SELECT count(*) AS n FROM parked_mail'));
      const lease = await db.lease();
      out.lease = `${lease.holder} gen ${lease.generation}`;
      out.sink = String(sink.messages.length);
      return out;
    },
  };
  return setup;
}

function requests(from: number, to: number, tag: string): Buffer[] {
  return Array.from({ length: to - from + 1 }, (_, i) => matchingRequest(from + i, `PON-${tag}-${from + i}`));
}

/** The end state every scenario must reach: n orders, one per account; n customers verified; INBOX empty; the outbox settled. */
async function waitForAllHandled(s: Setup, n: number, timeoutMs: number): Promise<void> {
  await pollUntil(
    `${n} requests handled`,
    async () =>
      s.verified().size >= n &&
      (await s.db.count('SELECT count(*) AS n FROM orders')) >= n &&
      (await s.db.count("SELECT count(*) AS n FROM outbox WHERE status <> 'sent'")) === 0 &&
      (await mailboxCount(dovecot, s.user, 'INBOX')) === 0,
    { timeoutMs, intervalMs: 100 },
  ).catch(async (err: Error) => {
    const detail = `${await s.db.count('SELECT count(*) AS n FROM orders').catch(() => -1)} orders, ${s.verified().size} customers verified, ${await s.db
      .count("SELECT count(*) AS n FROM outbox WHERE status <> 'sent'")
      .catch(() => -1)} e-mails queued, INBOX ${await mailboxCount(dovecot, s.user, 'INBOX').catch(() => -1)}`;
    throw new Error(`${err.message} (${detail})\n${s.desks.map((d) => tailOf(d, 20)).join('\n')}`);
  });
}

/** One order per account, n accounts; every customer exactly one distinct e-mail; INBOX empty. */
async function expectExactlyOnce(s: Setup, n: number): Promise<{ duplicates: number; duplicateIds: string[] }> {
  const perAccount = await s.db.pool.query<{ account_id: string; n: string; states: string[] }>(
    'SELECT account_id, count(*) AS n, array_agg(state) AS states FROM orders GROUP BY account_id ORDER BY account_id',
  );
  expect(perAccount.rows).toHaveLength(n);
  expect(perAccount.rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
  expect(new Set(perAccount.rows.flatMap((r) => r.states))).toEqual(new Set(['pending_verification']));
  expect(await s.db.count('SELECT count(*) AS n FROM orders')).toBe(n);
  // Every request seen once in the inbound log, none parked for review.
  expect(await s.db.count("SELECT count(*) AS n FROM inbound WHERE data->>'kind' = 'port_request'")).toBe(n);
  const verified = s.verified();
  expect(verified.size).toBe(n);
  const twice = [...verified].filter(([, v]) => v.ids.size !== 1).map(([to, v]) => `${to}: ${v.ids.size} distinct e-mails`);
  expect(twice).toEqual([]);
  expect(await mailboxCount(dovecot, s.user, 'INBOX')).toBe(0);
  expect(await s.db.count("SELECT count(*) AS n FROM outbox WHERE status <> 'sent'")).toBe(0);
  const dups = duplicateSends(s.sinkLog.arrivals);
  return { duplicates: dups.extra, duplicateIds: dups.ids };
}

/** SIGTERM to the standby, then to the active daemon: both exit 0. */
async function stopBoth(s: Setup): Promise<void> {
  const alive = s.desks.filter((d) => !d.exited());
  const active = await s.active();
  const standbys = alive.filter((d) => d !== active);
  for (const d of standbys) await d.proc.waitForOutput(ON_DATABASE, 30_000);
  for (const d of standbys) {
    const exit = await d.proc.stop('SIGTERM', 20_000);
    expect(exit, tailOf(d)).toEqual({ code: 0, signal: null });
    expect(d.output()).toMatch(/stopped while standing by/);
  }
  if (active) {
    const exit = await active.proc.stop('SIGTERM', 20_000);
    expect(exit, tailOf(active)).toEqual({ code: 0, signal: null });
    // It gave the lease back at once.
    expect((await s.db.lease()).holder).toBeNull();
  }
}

function maxGap(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i]! - sorted[i - 1]!);
  return gap;
}

describe('failover between two daemons on one database (SPEC §13)', () => {
  it('300 requests drained while the active daemon is SIGKILLed eight times: one order and one verification each, no long pause, clean stops', async () => {
    const N = 300;
    const KILLS = 8;
    const s = await setUp(USERS[0], N);
    // Nine batches: one before each kill, the last after; each kill comes while its batch is
    // being decided and the e-mails of the batches before are still going out.
    const batches = Array.from({ length: KILLS + 1 }, (_, i) => requests(Math.floor((i * N) / (KILLS + 1)) + 1, Math.floor(((i + 1) * N) / (KILLS + 1)), 'KILL'));
    const t0 = Date.now();

    // Both at once: one takes the lease, the other stands by.
    const a = s.start('A');
    const b = s.start('B');
    await Promise.all([a.proc.waitForOutput(ON_DATABASE, 30_000), b.proc.waitForOutput(ON_DATABASE, 30_000)]);
    const first = await pollUntil('a daemon active', () => s.active(), { timeoutMs: 30_000 });
    await first.proc.waitForOutput(RUNNING, 30_000);

    const orders = () => s.db.count('SELECT count(*) AS n FROM orders');
    const failovers: { killed: string; ordersAtKill: number; appended: number; verifiedAtKill: number; takeoverMs: number; nextVerificationMs: number; newActive: string }[] = [];
    let appended = 0;
    for (let k = 1; k <= KILLS; k++) {
      const victim = await pollUntil('the active daemon', () => s.active(), { timeoutMs: 10_000 });
      const standby = s.desks.find((d) => !d.exited() && d !== victim);
      expect(standby, 'a standby is running').toBeDefined();
      // A standby that is still loading would make the failover look slower than it is.
      await standby!.proc.waitForOutput(ON_DATABASE, 30_000);
      const batch = batches[k - 1]!;
      await appendAll(dovecot, s.user, 'INBOX', batch);
      appended += batch.length;
      // The kill once a third of the batch is decided.
      const target = appended - batch.length + Math.ceil(batch.length / 3);
      await pollUntil(() => `${target} orders before kill ${k}\n${tailOf(victim)}`, async () => (await orders()) >= target, { timeoutMs: 60_000, intervalMs: 10 });
      const leaseBefore = await s.db.lease();
      expect(leaseBefore.pid).toBe(victim.pid);
      const killedAt = Date.now();
      signal(victim, 'SIGKILL');
      await victim.exit;
      const ordersAtKill = await orders();
      const verifiedAtKill = s.verified().size;
      expect(verifiedAtKill, 'the kill came while the verifications were going out').toBeLessThan(N);
      // The standby takes the lease once it has ended, with a higher generation.
      let oldLeaseSeenAt = killedAt;
      const taken = await pollUntil(
        () => `the standby ${standby!.label} to take over after kill ${k}\n${tailOf(standby!)}`,
        async () => {
          const l = await s.db.lease();
          if (l.pid === standby!.pid && l.generation > leaseBefore.generation) return l;
          oldLeaseSeenAt = Date.now();
          return undefined;
        },
        { timeoutMs: FAILOVER_AFTER_MS + 15_000, intervalMs: 20 },
      );
      const takeoverMs = Date.now() - killedAt;
      expect(taken.holder).toMatch(new RegExp(`:${standby!.pid}:daemon:`));
      // Started again, as a service manager would: it stands by.
      s.start(`${victim.label.replace(/#.*/, '')}#${k + 1}`);
      // The new leader's first verification (what the killed one had already written to its
      // socket may land just after the kill, so it counts from the takeover).
      const next = await pollUntil(
        () => `a verification after kill ${k} (verified ${s.verified().size})\n${tailOf(standby!)}`,
        () => s.sinkLog.arrivals.find((x) => x.at >= oldLeaseSeenAt && x.to.some((t) => CUSTOMER.test(t))),
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      failovers.push({ killed: victim.label, ordersAtKill, appended, verifiedAtKill, takeoverMs, nextVerificationMs: next.at - killedAt, newActive: standby!.label });
    }
    await appendAll(dovecot, s.user, 'INBOX', batches[KILLS]!);
    // Most kills came with requests of the batch still undecided (the rest depends on speed).
    const midBatch = failovers.filter((f) => f.ordersAtKill < f.appended).length;
    expect(midBatch, JSON.stringify(failovers)).toBeGreaterThan(0);

    await waitForAllHandled(s, N, 120_000);
    const drainMs = Date.now() - t0;
    const once = await expectExactlyOnce(s, N);

    // The longest pause between verifications reaching the sink (first copy of each).
    const gap = maxGap([...s.verified().values()].map((v) => v.first));
    expect(gap).toBeLessThanOrEqual(FAILOVER_AFTER_MS + 10_000);
    for (const f of failovers) expect(f.takeoverMs).toBeLessThanOrEqual(FAILOVER_AFTER_MS + 10_000);
    // Each kill raised the generation: nine holders in all (the first, then one per kill), besides the import.
    expect((await s.db.lease()).generation).toBeGreaterThanOrEqual(KILLS + 2);

    await stopBoth(s);
    const customerCopies = [...s.verified().values()].reduce((x, v) => x + v.copies - v.ids.size, 0);
    figures.kills = {
      requests: N,
      killsWithRequestsUndecided: midBatch,
      duplicateVerifications: customerCopies,
      duplicateCarrierMails: once.duplicates - customerCopies,
      drainMs,
      maxVerificationGapMs: gap,
      duplicateSends: once.duplicates,
      duplicateMessageIds: once.duplicateIds.length,
      sinkMessages: s.sink.messages.length,
      failovers,
      meanTakeoverMs: Math.round(failovers.reduce((x, f) => x + f.takeoverMs, 0) / failovers.length),
      meanNextVerificationMs: Math.round(failovers.reduce((x, f) => x + f.nextVerificationMs, 0) / failovers.length),
    };
  }, 300_000);

  it('a leader paused past its lease (SIGSTOP) and resumed (SIGCONT) writes nothing after the standby took over', async () => {
    const N = 100;
    const s = await setUp(USERS[1], N);
    const a = s.start('A');
    await a.proc.waitForOutput(RUNNING, 30_000);
    const b = s.start('B');
    await b.proc.waitForOutput(/standing by/, 30_000);
    expect((await s.active())?.label).toBe('A');

    // Some requests handled by A.
    await appendAll(dovecot, s.user, 'INBOX', requests(1, 20, 'STOP'));
    await pollUntil('A to verify the first 20', () => s.verified().size >= 20, { timeoutMs: 30_000 });
    // A batch in flight when A is stopped.
    await appendAll(dovecot, s.user, 'INBOX', requests(21, 80, 'STOP'));
    await pollUntil('A to start on the second batch', () => s.verified().size >= 23, { timeoutMs: 30_000, intervalMs: 10 });
    const leaseA = await s.db.lease();
    expect(leaseA.pid).toBe(a.pid);
    const stoppedAt = Date.now();
    signal(a, 'SIGSTOP');
    const verifiedAtStop = s.verified().size;

    const leaseB = await pollUntil(
      () => `B to take over from the stopped A\n${tailOf(b)}`,
      async () => {
        const l = await s.db.lease();
        return l.pid === b.pid ? l : undefined;
      },
      { timeoutMs: FAILOVER_AFTER_MS + 15_000, intervalMs: 20 },
    );
    const takeoverMs = Date.now() - stoppedAt;
    expect(leaseB.generation).toBeGreaterThan(leaseA.generation);
    // Everything written from here on passed the fence with B's generation.
    const versionAtTakeover = Number((await s.db.pool.query<{ v: string }>('SELECT last_value AS v FROM portdesk_commit_seq')).rows[0]!.v);
    await b.proc.waitForOutput(RUNNING, 30_000);

    // More requests, handled by B while A is still stopped.
    await appendAll(dovecot, s.user, 'INBOX', requests(81, N, 'STOP'));
    await waitForAllHandled(s, N, 60_000);
    // What B sent after the takeover was claimed under B's generation.
    expect(await s.db.count('SELECT count(*) AS n FROM outbox WHERE version > $1 AND claimed_generation IS DISTINCT FROM $2', [versionAtTakeover, leaseB.generation])).toBe(0);
    const claimedByB = await s.db.count('SELECT count(*) AS n FROM outbox WHERE claimed_generation = $1', [leaseB.generation]);
    expect(claimedByB).toBeGreaterThan(0);
    const { sink: _sinkBefore, ...before } = await s.snapshot();
    const delivered = new Set(s.sinkLog.arrivals.map((x) => x.messageId));
    const aOutputBefore = a.output().length;

    // A resumes: its lease is gone. It must write nothing, send nothing, and stop with a failure.
    const resumedAt = Date.now();
    signal(a, 'SIGCONT');
    const exit = await Promise.race([
      a.exit,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`A did not stop after SIGCONT\n${tailOf(a)}`)), 30_000)),
    ]);
    const resumedLog = a.output().slice(aOutputBefore);
    expect(exit.code, tailOf(a)).toBe(1);
    expect(resumedLog).toMatch(/STORE_FENCED|moved on|past the lease/);
    // Not a row, not a commit: every write A tried after it resumed was refused by the fence.
    const { sink: _sinkAfter, ...after } = await s.snapshot();
    expect(after).toEqual(before);
    expect((await s.db.lease()).pid).toBe(b.pid);
    // No new e-mail either. An SMTP session A had under way when it was stopped (its outbox
    // row claimed before the pause) is finished when it resumes: nothing fences a send already
    // begun, so the same e-mail, which B sent again after the takeover, can arrive a second
    // time, with the same Message-ID. Counted in the figures, not allowed to be anything new.
    const late = s.sinkLog.arrivals.filter((x) => x.at >= resumedAt);
    expect(late.filter((x) => !delivered.has(x.messageId)).map((x) => `${x.to.join(',')}: ${x.subject}`)).toEqual([]);

    const once = await expectExactlyOnce(s, N);
    await stopBoth(s);
    figures.pause = {
      verifiedAtStop,
      takeoverMs,
      resumedToExitMs: Date.now() - resumedAt,
      exit,
      resumedLog: resumedLog
        .split('\n')
        .filter((l) => /"level":(40|50|60)|portdesk:/.test(l))
        .map((l) => l.slice(0, 300))
        .slice(0, 8),
      duplicateSends: once.duplicates,
      lateCopiesFromPausedLeader: late.map((x) => `${x.to.join(',')} ${x.subject}`),
      claimedByB,
      snapshot: after,
    };
  }, 180_000);

  it('a database restart and connections dropped mid-transaction while requests flow: every request ends as one order, nothing twice', async () => {
    const N = 160;
    // An outbox claim that fails on a lost connection skips its e-mail until the next pass: the
    // next new mail, or the next job run (src/app/deliver-outbox.ts, `claimOutbox(...).catch(() =>
    // false)`). With the default schedule (every minute) that is a pause of up to a minute in
    // what the desk sends; every 10 s here keeps the test short. The pause is measured below.
    const s = await setUp(USERS[2], N, { JOBS_SCHEDULE: '*/10 * * * * *' });
    const a = s.start('A');
    await a.proc.waitForOutput(RUNNING, 30_000);
    const b = s.start('B');
    await b.proc.waitForOutput(/standing by/, 30_000);
    const retries = () => (a.output().match(/database write failed; trying again/g) ?? []).length;

    // 1. The server restarts (fast shutdown: every session ended) while A works through a batch.
    await appendAll(dovecot, s.user, 'INBOX', requests(1, 40, 'DB'));
    await pollUntil('requests flowing', () => s.verified().size >= 5, { timeoutMs: 30_000, intervalMs: 5 });
    const verifiedAtRestart = s.verified().size;
    const restartAt = Date.now();
    await postgres.restart();
    const restartMs = Date.now() - restartAt;
    await waitForAllHandled(s, 40, 60_000);
    const batch1AfterRestartMs = Date.now() - restartAt - restartMs;
    const retriesAfterRestart = retries();

    // 2a. A transaction cut in its middle: the test holds a lock on `orders`, so A's next commit
    // waits inside its transaction (after the fencing check and the commit number); that session
    // is ended there, the lock released. A must write the same group again on a new connection.
    const cutWrites = () => (a.output().match(/"msg":"database write failed; trying again"/g) ?? []).length - retriesAfterRestart;
    const lock = await s.db.lockTable('orders');
    let cut: Backend[];
    try {
      await appendAll(dovecot, s.user, 'INBOX', requests(41, 140, 'DB'));
      cut = await pollUntil(
        "A's commit waiting on the lock",
        async () => {
          const waiting = (await s.db.backends()).filter((x) => x.waitingOnLock && x.inTransaction && !/^\s*UPDATE lease/i.test(x.query));
          return waiting.length ? waiting : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 5 },
      );
      expect(await s.db.terminate(cut.map((x) => x.pid))).toBe(cut.length);
    } finally {
      await lock.release();
    }
    await pollUntil(() => `A to try the cut write again\n${tailOf(a)}`, () => cutWrites() > 0, { timeoutMs: 10_000 });
    expect(a.output()).toMatch(/"message":"terminating connection due to administrator command"[^\n]*"msg":"database write failed; trying again"/);

    // 2b. Every connection of the daemons ended (TestPostgres.terminateConnections), a few times
    // while A works through the rest of the batch.
    const terminations: { verified: number; ended: number }[] = [];
    for (let i = 0; i < 5 && s.verified().size < 135; i++) {
      // After some progress, and once the daemons have connected again.
      const at = Math.min(135, Math.max(55, (terminations.at(-1)?.verified ?? 0) + 6));
      await pollUntil(`${at} customers verified`, async () => s.verified().size >= at && (await s.db.backends()).length > 0, { timeoutMs: 60_000, intervalMs: 5 });
      const verified = s.verified().size;
      terminations.push({ verified, ended: await postgres.terminateConnections(s.db.name) });
    }
    // Every request of the batch handled; then how long its last e-mails wait (see the note at the top).
    await pollUntil('the second batch decided', async () => (await s.db.count('SELECT count(*) AS n FROM orders')) >= 140, { timeoutMs: 60_000 });
    const decidedAt = Date.now();
    const stuck = new Map<string, string>();
    await pollUntil(
      'the outbox to empty',
      async () => {
        const q = await s.db.pool.query<{ id: string; template: string; attempts: string }>(
          "SELECT id, data->>'template' AS template, data->>'attempts' AS attempts FROM outbox WHERE status = 'queued' AND created_at < $1",
          [new Date(Date.now() - 2_000)],
        );
        for (const r of q.rows) stuck.set(r.id, `${r.template} (attempts ${r.attempts})`);
        return q.rowCount === 0 && (await s.db.count("SELECT count(*) AS n FROM outbox WHERE status = 'queued'")) === 0;
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    const outboxDrainMs = Date.now() - decidedAt;
    await waitForAllHandled(s, 140, 60_000);

    // 3. Still working afterwards.
    await appendAll(dovecot, s.user, 'INBOX', requests(141, N, 'DB'));
    await waitForAllHandled(s, N, 60_000);
    const once = await expectExactlyOnce(s, N);

    const aAlive = !a.exited();
    const active = await s.active();
    expect(active, 'a daemon is active').toBeDefined();
    if (!aAlive) {
      // A stopped because the database stayed away past its lease: B took over.
      expect(active).toBe(b);
      expect((await a.exit).code).toBe(1);
    } else {
      expect(active).toBe(a);
    }
    const warnings = new Map<string, number>();
    for (const line of a.output().split('\n')) {
      const m = /"level":(40|50|60).*"msg":"([^"]+)"/.exec(line);
      if (m) warnings.set(m[2]!, (warnings.get(m[2]!) ?? 0) + 1);
    }
    await stopBoth(s);
    figures.database = {
      restartMs,
      batch1DoneAfterRestartMs: batch1AfterRestartMs,
      maxVerificationGapMs: maxGap([...s.verified().values()].map((v) => v.first)),
      verifiedAtRestart,
      writeRetriesAfterRestart: retriesAfterRestart,
      cutMidTransaction: cut.map((x) => `${x.state}: ${x.query}`),
      connectionsEndedPerTermination: terminations,
      writeRetriesAfterCuts: cutWrites(),
      outboxDrainAfterDecidedMs: outboxDrainMs,
      queuedOver2s: [...stuck.values()],
      writeRetriesLoggedByA: retries(),
      warningsOfA: Object.fromEntries(warnings),
      aSurvived: aAlive,
      activeAtEnd: active?.label,
      duplicateSends: once.duplicates,
    };
  }, 240_000);
});
