/**
 * 10,000 carrier port requests waiting in the INBOX when the desk starts: the time until every
 * one is handled and moved, every order exists, and every e-mail the desk queued (acknowledgements,
 * verifications, rejections) has reached the SMTP sink.
 *
 * Run twice on the same DKIM-signed requests: as shipped (MAIL_AUTH=enforce, every message
 * verified against the benchmarks' DNS server) and with MAIL_AUTH=off, to show what
 * authentication costs.
 */
import { performance } from 'node:perf_hooks';
import { describeAuth, type MailAuthMode } from '../../src/domain/mail-auth.js';
import type { Account } from '../../src/domain/records.js';
import { signRequests, startCarrierDns, type CarrierKeys } from '../carrier-dkim.js';
import { makeAccounts, generateRequests, type AccountOptions, type GeneratedRequest } from '../fixtures.js';
import { makeLoaPdf, withLoaEvery } from '../pdf-loa.js';
import { benchConfig, makeDataDir, pollUntil, runDaemon, seedAccounts, startMailbox, startSinkProcess } from '../mailroom.js';
import { liveCounts, makeTarget, targetEnv, writeCounters, type StoreKind } from '../pg.js';
import type { SizeSpec } from '../sizes.js';
import type { Daemon } from '../../src/main.js';

export const BACKLOG_SEED = 20261;
export const backlogAccountOptions: AccountOptions & { didsPerAccount: number } = { didsPerAccount: 8, pinEvery: 50, lockEvery: 100 };

export interface BacklogResult {
  /** Where the desk kept its records: the file store, or PostgreSQL (DATABASE_URL). */
  storeKind: StoreKind;
  mailAuth: MailAuthMode;
  messages: number;
  ms: number;
  msgPerSec: number;
  /** From the first message handled to done: the drain alone, without opening the store. */
  drainMs: number;
  drainMsgPerSec: number;
  /** CPU time of the desk's process (every thread) from start to done, per message. */
  cpuMsPerMsg: number;
  /** Milliseconds per message over the first and the last `window` messages handled. */
  window: number;
  firstWindowMsPerMsg: number;
  lastWindowMsPerMsg: number;
  startupMs: number;
  orders: number;
  ordersByState: Record<string, number>;
  emailsSent: number;
  acknowledgements: number;
  verifications: number;
  inboxLeft: number;
  /** Share of the time the desk's event loop was busy (1 = CPU-bound on one core). */
  eventLoopUtilization: number;
  /** The file store's write counters (none on PostgreSQL). */
  store?: { commits: number; journalSyncs: number; compactions: number };
  shapes: Record<string, number>;
  /** Questions the DNS server received during the run (the desk's resolver caches the answers). */
  dnsQueries: number;
  /** Requests recorded with an aligned DKIM pass (0 with MAIL_AUTH=off). */
  authenticated: number;
  /** How the requests were recorded: `processed`, `review:<reason>`, … (the same in both runs, or auth changed a decision). */
  outcomes: Record<string, number>;
  /** What authentication said of the requests that did not pass aligned (MAIL_AUTH=enforce). */
  unauthenticated: Record<string, number>;
  /** What the companion (BacklogOptions.companion) reported, when one ran beside the desk. */
  companion?: unknown;
}

/**
 * Something running beside the draining desk (the `backlog-console` scenario: a dashboard on the
 * console). Made before the clock starts, so its own start-up is not charged to the desk.
 */
export interface BacklogCompanion {
  /** Added to the daemon's environment (e.g. the console on at a free port). */
  env: Record<string, string>;
  /** The daemon runs (and has begun to drain): start whatever runs beside it. */
  start(daemon: Daemon): Promise<void>;
  /** The backlog is done (or failed): stop, and say what happened. Called once or more. */
  stop(): Promise<unknown>;
}

export interface BacklogOptions {
  /** A 200 KB PDF LOA on every n-th request (the `backlog-pdf` scenario: one in ten). */
  loaEvery?: number;
  /** Made on the seeded data directory (or database), before the daemon starts. */
  companion?: (dataDir: string) => Promise<BacklogCompanion>;
  /** Fills the (empty) data directory before the backlog's accounts are seeded: a desk with a past. File store only. */
  store?: (dataDir: string) => Promise<void>;
  /** The file store in the data directory (the default), or a fresh PostgreSQL database (DATABASE_URL). */
  storeKind?: StoreKind;
}

/** The backlog's requests, signed by their carriers: the same for the baseline and both runs. */
export async function backlogRequests(size: SizeSpec, keys: CarrierKeys, opts: { loaEvery?: number } = {}): Promise<{ accounts: Account[]; requests: GeneratedRequest[] }> {
  const { requests: n, accounts: a } = size.backlog;
  const accounts = makeAccounts(a, backlogAccountOptions);
  let unsigned = generateRequests(n, accounts, { seed: BACKLOG_SEED, unknownFrom: a * backlogAccountOptions.didsPerAccount, tag: 'b' });
  if (opts.loaEvery) unsigned = withLoaEvery(unsigned, await makeLoaPdf(), opts.loaEvery);
  return { accounts, requests: await signRequests(unsigned, keys, opts.loaEvery ? 'backlog-pdf' : 'backlog') };
}

export async function runBacklog(size: SizeSpec, mode: MailAuthMode, opts: BacklogOptions = {}): Promise<BacklogResult> {
  const { requests: n, window } = size.backlog;
  const { keys, dns } = await startCarrierDns();
  const { accounts, requests } = await backlogRequests(size, keys, opts);
  const shapes: Record<string, number> = {};
  for (const r of requests) shapes[r.shape] = (shapes[r.shape] ?? 0) + 1;

  const mailbox = await startMailbox();
  const sink = await startSinkProcess();
  const data = await makeDataDir();
  const storeKind = opts.storeKind ?? 'file';
  if (storeKind !== 'file' && opts.store) throw new Error('a backlog with a past runs on the file store only');
  const backing = await makeTarget(storeKind, data.dir);
  let companion: BacklogCompanion | undefined;
  try {
    await opts.store?.(data.dir);
    // What the store held before: the backlog is done when it added its own.
    const before = await seedAccounts(backing.target, accounts);
    await mailbox.deliver(requests.map((r) => r.raw));
    await mailbox.prime();
    companion = await opts.companion?.(data.dir);

    const config = benchConfig(mailbox, sink, data.dir, { mode, dns }, { ...companion?.env, ...targetEnv(backing.target) });
    const elu0 = performance.eventLoopUtilization();
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const daemon = await runDaemon(config);
    const startupMs = Date.now() - t0;
    await companion?.start(daemon);
    // The store's counters (file store or PostgreSQL) say when it is done.
    const store = daemon.store;
    // Done when every message is in the inbound log and every queued e-mail reached the sink.
    await pollUntil(
      () => {
        const s = liveCounts(store);
        return s.inbound - before.inbound >= n && s.queuedOutbox === 0 && sink.reports.length >= s.outbox - before.outbox;
      },
      60 * 60_000,
      50,
    );
    const cpu = process.cpuUsage(cpu0);
    const lastMail = Math.max(...sink.reports.map((r) => r.at));
    const inbound = requests.map((r) => store.getInbound(r.messageId));
    const ats = inbound.map((e) => (e?.at ? Date.parse(e.at) : NaN));
    const inboxLeft = await mailbox.count();
    const dnsQueries = await dns.totalQueries();
    const ms = Math.max(lastMail, Math.max(...ats.filter((x) => !Number.isNaN(x)))) - t0;
    const elu = performance.eventLoopUtilization(elu0);
    const counters = writeCounters(store);
    // The orders of this backlog, not those the store held before.
    const orders = store.listOrders().filter((o) => Date.parse(o.createdAt) >= t0);
    const ordersByState: Record<string, number> = {};
    for (const o of orders) ordersByState[o.state] = (ordersByState[o.state] ?? 0) + 1;
    const sorted = ats.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
    const w = Math.min(window, Math.floor(sorted.length / 2));
    const drainMs = ms + t0 - sorted[0]!;
    const beside = await companion?.stop();
    await daemon.stop();
    return {
      storeKind,
      mailAuth: mode,
      messages: n,
      ms,
      msgPerSec: (n / ms) * 1000,
      drainMs,
      drainMsgPerSec: (n / drainMs) * 1000,
      cpuMsPerMsg: (cpu.user + cpu.system) / 1000 / n,
      window: w,
      firstWindowMsPerMsg: (sorted[w]! - sorted[0]!) / w,
      lastWindowMsPerMsg: (sorted[sorted.length - 1]! - sorted[sorted.length - 1 - w]!) / w,
      startupMs,
      orders: orders.length,
      ordersByState,
      emailsSent: sink.reports.length,
      acknowledgements: sink.reports.filter((r) => r.subject.includes('Port-out request received')).length,
      verifications: sink.reports.filter((r) => r.subject.includes('Please confirm')).length,
      inboxLeft,
      eventLoopUtilization: elu.utilization,
      ...(counters ? { store: counters } : {}),
      shapes,
      dnsQueries,
      authenticated: inbound.filter((e) => e?.auth?.aligned && e.auth.dkim === 'pass').length,
      outcomes: tally(inbound.map((e) => (e ? `${e.outcome}${e.reviewReason ? `:${e.reviewReason}` : ''}` : 'missing'))),
      unauthenticated: tally(inbound.filter((e) => mode !== 'off' && !(e?.auth?.aligned && e.auth.dkim === 'pass')).map((e) => (e?.auth ? describeAuth(e.auth) : 'no record'))),
      ...(companion ? { companion: beside } : {}),
    };
  } finally {
    await companion?.stop().catch(() => undefined);
    await dns.stop();
    await sink.stop();
    await mailbox.stop();
    await backing.remove();
    await data.remove();
  }
}

function tally(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}
