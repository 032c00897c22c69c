/**
 * The console (SPEC §12) on a busy desk.
 *
 * `console-pages`: a month of traffic — 100,000 live orders over every state, twenty carriers of
 * the kind that port numbers away (their PONs, their addresses), 22,000 accounts with their
 * numbers, the inbound log and the e-mails of the last seven days live and the rest archived, as
 * compaction leaves them. The daemon runs on that store with the console on (HTTP on a free
 * port); a signed-in browser in a process of its own (console-client.ts) asks for the orders page,
 * its filters and searches, a late page, an order and the overview, each ≥ 200 times after a
 * warm-up, one request at a time over keep-alive HTTP. Target: p95 ≤ 100 ms for the orders page
 * and its searches.
 *
 * `backlog-console`: the backlog scenario (the real daemon draining the backlog from Dovecot) on
 * a store that already holds 100,000 orders (sizes.ts backlogConsole.storeOrders; 0 gives the
 * empty store of `backlog`), with the console on and a dashboard beside it — /healthz and
 * /metrics every second, a signed-in /orders every 500 ms — against the same backlog with
 * HTTP_PORT=0 (`backlog-console-off`), run A-B-B-A `rounds` times by run.ts. Target: the drain's
 * throughput on / off ≥ 0.95 (medians of the runs); CPU per message off / on beside it, which a
 * busy neighbour on a shared machine sways far less than throughput.
 *
 * Under `npm run bench -- --profile`, console-pages also profiles the daemon's process over the
 * measured requests alone (node:inspector), writes console-pages-window.cpuprofile beside the
 * whole-process profile, and reports the functions that took the most time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFileStore, type FileStore } from '../../src/adapters/file-store.js';
import { createScryptPasswords } from '../../src/adapters/scrypt-passwords.js';
import type { Account, ConsoleUser, InboundEntry, OrderState, OutboxEntry, PortOrder } from '../../src/domain/records.js';
import type { Daemon } from '../../src/main.js';
import type { CaseResult, CaseSpec, DashboardReport } from '../console-client.js';
import { createRandom, makeAccount } from '../fixtures.js';
import { benchConfig, consoleEnv, makeDataDir, runDaemon, startDnsProcess, startMailbox, startSinkProcess } from '../mailroom.js';
import type { SizeSpec } from '../sizes.js';
import { backlogAccountOptions, runBacklog, type BacklogCompanion, type BacklogResult } from './backlog.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const CHUNK = 5_000;
export const CONSOLE_USER = 'bench';
const CONSOLE_PASSWORD = 'bench console password';

/** Carriers that port numbers away from a VoIP provider, roughly as often as they do. */
const CARRIERS = [
  { name: 'Verizon Wireless', code: 'VZW', weight: 18 },
  { name: 'T-Mobile USA', code: 'TMO', weight: 16 },
  { name: 'AT&T Mobility', code: 'ATT', weight: 15 },
  { name: 'Comcast Business', code: 'CBV', weight: 8 },
  { name: 'Spectrum Enterprise', code: 'SPE', weight: 6 },
  { name: 'Lumen Technologies', code: 'LMN', weight: 5 },
  { name: 'Bandwidth.com CLEC', code: 'BWC', weight: 5 },
  { name: 'RingCentral', code: 'RNG', weight: 5 },
  { name: 'Twilio', code: 'TWL', weight: 4 },
  { name: 'Cox Business', code: 'COX', weight: 3 },
  { name: 'Frontier Communications', code: 'FTR', weight: 3 },
  { name: 'Zoom Phone', code: 'ZOM', weight: 3 },
  { name: 'Vonage Business', code: 'VON', weight: 2 },
  { name: 'Google Voice', code: 'GGV', weight: 2 },
  { name: 'Windstream', code: 'WIN', weight: 1 },
  { name: 'Consolidated Communications', code: 'CNS', weight: 1 },
  { name: 'UScellular', code: 'USC', weight: 1 },
  { name: 'Telnyx', code: 'TNX', weight: 1 },
  { name: '8x8 Inc', code: 'EXE', weight: 1 },
  { name: 'Nextiva', code: 'NXT', weight: 1 },
].map((c) => ({ ...c, email: `lnp@${c.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example.test` }));
const CARRIER_WEIGHT = CARRIERS.reduce((n, c) => n + c.weight, 0);

function orderId(i: number): string {
  return `PO-${(i + 36 ** 5).toString(36).toUpperCase().slice(-6)}`;
}

/** Filler that reads like a rendered e-mail, about `bytes` long. */
function prose(bytes: number, id: string): string {
  const line = `Your port-out request for order ${id} was received and is being handled by the desk. `;
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

/** What the store holds, and what the pages are asked for (terms that find something). */
export interface ConsoleStore {
  ms: number;
  orders: number;
  accounts: number;
  byState: Record<string, number>;
  liveInbound: number;
  liveOutbox: number;
  samples: { numbers: string[]; numberParts: string[]; pons: string[]; accountIds: string[]; orderIds: string[] };
}

/**
 * `orders` orders over the last 29 days (oldest first, so compaction archives only e-mails), the
 * state following the age: the last hours received, three days waiting for the customer, ten
 * approved, the rest finished. No number has two open orders. Each order has its inbound entry
 * and the e-mails the desk sent (acknowledgement, verification, decision); one message in a
 * hundred went to Review. A console user signs in with CONSOLE_PASSWORD.
 */
export async function buildConsoleStore(dir: string, o: { orders: number; accounts: number; firstAccount?: number }): Promise<ConsoleStore> {
  const t0 = performance.now();
  const random = createRandom(81025);
  // A compaction every few chunks rather than after each (one archive append must stay < 512 MB).
  const store = await openFileStore(dir, { compactBytes: 128 * 2 ** 20 });
  // From `firstAccount` on (ids and numbers), so another set of accounts can sit below them.
  const accounts = Array.from({ length: o.accounts }, (_, i) => makeAccount((o.firstAccount ?? 0) + i, { didsPerAccount: 2 }));
  for (let i = 0; i < accounts.length; i += CHUNK) await store.commit({ accounts: accounts.slice(i, i + CHUNK) });
  const user: ConsoleUser = { name: CONSOLE_USER, passwordHash: await createScryptPasswords().hash(CONSOLE_PASSWORD), createdAt: new Date().toISOString() };
  await store.commit({ users: [user] });

  const now = Date.now();
  const openDids = new Set<string>();
  const byState: Record<string, number> = {};
  const sampleEvery = Math.max(1, Math.floor(o.orders / 60));
  const samples: ConsoleStore['samples'] = { numbers: [], numberParts: [], pons: [], accountIds: [], orderIds: [] };
  const ponSeq = new Map<string, number>();
  for (let start = 0; start < o.orders; start += CHUNK) {
    const orders: PortOrder[] = [];
    const inbound: InboundEntry[] = [];
    const outbox: OutboxEntry[] = [];
    for (let i = start; i < Math.min(o.orders, start + CHUNK); i++) {
      const createdAt = now - 29 * DAY * (1 - i / o.orders) - 10 * 60_000;
      const age = now - createdAt;
      const account = accounts[Math.floor(random() * accounts.length)]!;
      const dids = random() < 0.7 ? [account.dids[0]!.number] : account.dids.map((d) => d.number);
      let pick = random() * CARRIER_WEIGHT;
      const carrier = CARRIERS.find((c) => (pick -= c.weight) < 0) ?? CARRIERS[0]!;
      const r = random();
      let state: OrderState =
        age < 2 * HOUR && r < 0.3
          ? 'received'
          : age < 68 * HOUR
            ? r < 0.65 ? 'pending_verification' : r < 0.8 ? 'approved' : r < 0.95 ? 'rejected' : 'canceled'
            : age < 10 * DAY
              ? r < 0.35 ? 'approved' : r < 0.75 ? 'completed' : r < 0.95 ? 'rejected' : 'canceled'
              : r < 0.72 ? 'completed' : r < 0.94 ? 'rejected' : 'canceled';
      const open = state === 'received' || state === 'pending_verification' || state === 'approved';
      if (open && dids.some((d) => openDids.has(d))) state = 'rejected';
      if (state === 'received' || state === 'pending_verification' || state === 'approved') for (const d of dids) openDids.add(d);
      byState[state] = (byState[state] ?? 0) + 1;
      const order = makeConsoleOrder({ i, account, dids, carrier, state, createdAt, now, ponSeq });
      orders.push(order);
      if (i % sampleEvery === 7) {
        samples.numbers.push(dids[0]!);
        samples.numberParts.push(`${dids[0]!.slice(5, 8)}-${dids[0]!.slice(8)}`);
        samples.pons.push(order.carrier.pon!);
        samples.accountIds.push(account.id);
        samples.orderIds.push(order.id);
      }
      inbound.push({
        key: order.sourceMessageIds[0]!,
        messageId: order.sourceMessageIds[0]!,
        mailbox: 'INBOX',
        from: carrier.email,
        subject: `Port-out request PON ${order.carrier.pon}`,
        kind: 'port_request',
        outcome: 'processed',
        auth: { by: 'portdesk', fromDomain: carrier.email.split('@')[1]!, dkim: 'pass', dkimDomains: [carrier.email.split('@')[1]!], spf: 'none', dmarc: 'pass', dmarcPolicy: 'reject', arc: 'none', aligned: true },
        orderIds: [order.id],
        at: order.createdAt,
      });
      if (i % 100 === 50) {
        // Something the desk could not read, from a sender it does not know; older ones were dismissed.
        inbound.push({
          key: `odd-${i}@mail.example.test`,
          messageId: `odd-${i}@mail.example.test`,
          mailbox: 'INBOX',
          from: `someone${i}@mail.example.test`,
          subject: 'Re: port request',
          kind: 'other',
          outcome: 'review',
          reviewReason: 'UNKNOWN_SENDER',
          reason: 'the sender is no carrier the desk knows',
          orderIds: [],
          at: order.createdAt,
          ...(age > 2 * DAY ? { resolution: { action: 'dismissed' as const, at: new Date(createdAt + HOUR).toISOString(), by: CONSOLE_USER, note: 'not a port request' } } : {}),
        });
      }
      outbox.push(sentEmail(order, 'carrier-acknowledgement', carrier.email, createdAt + 2000, 0, i, now));
      if (order.verification) outbox.push(sentEmail(order, 'customer-verification', account.email, createdAt + 2500, 1, i, now));
      if (order.decision) outbox.push(sentEmail(order, state === 'rejected' ? 'carrier-rejection' : 'carrier-approval', carrier.email, Date.parse(order.decision.at), 2, i, now));
    }
    await store.commit({ orders, inbound, outbox });
  }
  // As the daemon would have by now: what is older than seven days archived, the rest in desk.json.
  await store.compact();
  const live = store.stats().live;
  await store.close();
  return { ms: performance.now() - t0, orders: o.orders, accounts: o.accounts, byState, liveInbound: live.inbound, liveOutbox: live.outbox, samples };
}

function makeConsoleOrder(s: {
  i: number;
  account: Account;
  dids: string[];
  carrier: (typeof CARRIERS)[number];
  state: OrderState;
  createdAt: number;
  now: number;
  ponSeq: Map<string, number>;
}): PortOrder {
  const { account: a, carrier, state } = s;
  const created = new Date(s.createdAt);
  const day = created.toISOString().slice(2, 10).replace(/-/g, '');
  const seq = (s.ponSeq.get(carrier.code + day) ?? 0) + 1;
  s.ponSeq.set(carrier.code + day, seq);
  const pon = `${carrier.code}${day}${String(seq).padStart(4, '0')}`;
  const id = orderId(s.i);
  const at = created.toISOString();
  const domain = carrier.email.split('@')[1]!;
  const order: PortOrder = {
    id,
    token: `tk${s.i.toString(36).padStart(12, 'q')}`,
    state,
    accountId: a.id,
    dids: s.dids,
    carrier: { name: carrier.name, email: carrier.email, pon },
    provided: {
      name: a.company ?? a.name,
      street: a.address.street,
      city: a.address.city,
      state: a.address.state,
      zip: a.address.zip,
      accountNumber: a.accountNumber,
      authorizedName: a.name,
    },
    requestKey: `${carrier.email}|${pon}|${s.dids.join(',')}`,
    sourceMessageIds: [`${pon.toLowerCase()}.${s.i}@${domain}`],
    createdAt: at,
    updatedAt: at,
    history: [{ at, event: 'received', detail: `from ${carrier.email}, PON ${pon}` }],
  };
  if (state === 'received') return order;
  const sentAt = new Date(s.createdAt + 3000);
  const remindedAt = s.now - sentAt.getTime() > DAY ? new Date(sentAt.getTime() + DAY).toISOString() : undefined;
  order.verification = {
    sentTo: a.email,
    sentAt: sentAt.toISOString(),
    expiresAt: new Date(sentAt.getTime() + 3 * DAY).toISOString(),
    ...(remindedAt ? { reminderSentAt: remindedAt } : {}),
    messageId: `ver-${s.i}@example.test`,
    clarifications: 0,
  };
  order.history.push({ at: order.verification.sentAt, event: 'verification-sent', detail: `to ${a.email}` });
  order.updatedAt = order.verification.sentAt;
  if (state === 'pending_verification') return order;
  const decided = new Date(Math.min(s.now - 60_000, s.createdAt + 2 * HOUR + (s.i % 40) * HOUR)).toISOString();
  order.decision = { by: state === 'canceled' ? 'carrier' : 'customer', at: decided, reasonCodes: state === 'rejected' ? ['CUSTOMER_REJECTED'] : [] };
  order.updatedAt = decided;
  order.history.push({ at: decided, event: state === 'completed' ? 'approved' : state });
  if (state === 'approved' || state === 'completed') {
    // The FOC: in the days ahead for those still waiting, a few days after approval for the rest.
    order.focDate = new Date(state === 'approved' ? s.now + (1 + (s.i % 10)) * DAY : Date.parse(decided) + 3 * DAY).toISOString().slice(0, 10);
  }
  if (state === 'completed') {
    const done = new Date(Math.min(s.now - 60_000, Date.parse(decided) + 3 * DAY)).toISOString();
    order.completedAt = done;
    order.updatedAt = done;
    order.history.push({ at: done, event: 'completed' });
  }
  return order;
}

/**
 * An e-mail the desk sent. Those older than seven days go to the archive at compaction, where no
 * console page reads them: their bodies are kept short, which halves the time to build the store.
 */
function sentEmail(order: PortOrder, template: string, to: string, at: number, k: number, i: number, now: number): OutboxEntry {
  const iso = new Date(at).toISOString();
  const archived = at < now - 7 * DAY - HOUR;
  const failed = template === 'customer-verification' && i % 5000 === 1;
  return {
    id: `ob-${order.id}-${k}`,
    messageId: `pd.${order.id}.${k}@example.test`,
    template,
    from: 'porting@example.test',
    to: [to],
    cc: [],
    subject: `[${order.id}] ${template.replace(/-/g, ' ')} — PON ${order.carrier.pon}`,
    text: prose(archived ? 100 : 800, order.id),
    html: `<html><body><p>${prose(archived ? 100 : 1600, order.id)}</p></body></html>`,
    references: [],
    autoSubmitted: 'auto-replied',
    orderId: order.id,
    status: failed ? 'failed' : 'sent',
    attempts: failed ? 8 : 1,
    ...(failed ? { lastError: '550 5.1.1 mailbox unavailable' } : { sentAt: iso }),
    nextAttemptAt: iso,
    createdAt: iso,
  };
}

// --- the browser's process -----------------------------------------------------------------------

interface Client {
  call<T>(cmd: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** console-client.ts in a process of its own, ready for commands. */
async function startClient(): Promise<Client> {
  // Not profiled with the desk: drop --cpu-prof and --cpu-prof-dir with its directory.
  const execArgv = process.execArgv.filter((a, i, all) => !a.startsWith('--cpu-prof') && all[i - 1] !== '--cpu-prof-dir');
  const child: ChildProcess = fork(fileURLToPath(new URL('../console-client.ts', import.meta.url)), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: ((m: { ok: boolean; result?: unknown; error?: string }) => void)[] = [];
  child.on('message', (m: { ok: boolean; result?: unknown; error?: string }) => waiting.shift()?.(m));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const next = () =>
    new Promise<{ ok: boolean; result?: unknown; error?: string }>((resolve, reject) => {
      waiting.push(resolve);
      void exited.then(() => reject(new Error('the console client exited')));
    });
  const ready = await next();
  if (!ready.ok) throw new Error(ready.error);
  return {
    async call<T>(cmd: Record<string, unknown>) {
      const answer = next();
      child.send(cmd);
      const m = await answer;
      if (!m.ok) throw new Error(`console client: ${m.error}`);
      return m.result as T;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// --- console-pages ---------------------------------------------------------------------------------

/** The cases held to the target (p95 ≤ 100 ms): the orders page, its filter, its searches, a late page. */
export const TARGET_CASES = ['orders', 'orders-state', 'search-number', 'search-number-part', 'search-carrier', 'search-pon', 'search-account', 'orders-page-500'];

export interface ConsolePagesResult {
  store: Omit<ConsoleStore, 'samples'>;
  startupMs: number;
  signinMs: number;
  warmup: number;
  cases: CaseResult[];
  /** With --profile: the daemon's process over the measured requests, by function. */
  profile?: { file: string; sampledMs: number; idleMs: number; gcMs: number; top: ProfileRow[] };
}

function casesFor(s: ConsoleStore['samples']): CaseSpec[] {
  const q = (term: string) => `/orders?q=${encodeURIComponent(term)}`;
  const list = 'orders-results';
  return [
    { name: 'orders', paths: ['/orders'], expect: list },
    { name: 'orders-state', paths: ['/orders?state=pending_verification'], expect: list },
    { name: 'search-number', paths: s.numbers.map(q), expect: list },
    { name: 'search-number-part', paths: s.numberParts.map(q), expect: list },
    { name: 'search-carrier', paths: ['Verizon', 'T-Mobile', 'AT&T', 'bandwidth', 'Twilio', 'Cox Business', 'lumen', 'nextiva'].map(q), expect: list },
    { name: 'search-pon', paths: s.pons.map(q), expect: list },
    { name: 'search-account', paths: s.accountIds.map(q), expect: list },
    { name: 'orders-page-500', paths: ['/orders?page=500'], expect: list },
    { name: 'order-detail', paths: s.orderIds.map((id) => `/orders/${id}`), expect: '<h1>Order PO-' },
    { name: 'overview', paths: ['/'], expect: '<h1>Overview</h1>' },
  ];
}

/** The directory run.ts asked V8 to write this process's profile to (`--profile`), if any. */
function profileDir(): string | undefined {
  const i = process.execArgv.indexOf('--cpu-prof-dir');
  return i >= 0 ? process.execArgv[i + 1] : undefined;
}

export async function runConsolePages(size: SizeSpec): Promise<ConsolePagesResult> {
  const spec = size.consolePages;
  // The daemon reads no mail here: a DNS server that knows no name is all it needs.
  const dns = await startDnsProcess([]);
  const mailbox = await startMailbox();
  const sink = await startSinkProcess();
  const data = await makeDataDir();
  let daemon: Daemon | undefined;
  let client: Client | undefined;
  try {
    const built = await buildConsoleStore(data.dir, spec);
    const { samples, ...store } = built;
    client = await startClient();
    const config = benchConfig(mailbox, sink, data.dir, { mode: 'enforce', dns }, await consoleEnv());
    const t0 = performance.now();
    daemon = await runDaemon(config);
    const startupMs = performance.now() - t0;
    if (!daemon.console) throw new Error('the daemon started without its console');
    // The catch-up jobs at start (nothing is due in this store) and the first IDLE, out of the way.
    await daemon.desk.idle();
    await new Promise((r) => setTimeout(r, 1000));
    const { signinMs } = await client.call<{ signinMs: number }>({ type: 'signin', base: daemon.console, user: CONSOLE_USER, password: CONSOLE_PASSWORD });

    const cases = casesFor(samples);
    const dir = profileDir();
    const session = dir ? new Session() : undefined;
    if (session) {
      // Warmed up first, so the profile is of the steady state only.
      await client.call({ type: 'measure', cases, warmup: spec.warmup, requests: 0 });
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    }
    const { results } = await client.call<{ results: CaseResult[] }>({ type: 'measure', cases, warmup: session ? 0 : spec.warmup, requests: spec.requests });
    let profile: ConsolePagesResult['profile'];
    if (session && dir) {
      const { profile: p } = await session.post('Profiler.stop');
      session.disconnect();
      const file = path.join(dir, 'console-pages-window.cpuprofile');
      await writeFile(file, JSON.stringify(p));
      profile = { file, ...summarizeProfile(p as unknown as CpuProfile) };
    }
    return { store, startupMs, signinMs, warmup: spec.warmup, cases: results, ...(profile ? { profile } : {}) };
  } finally {
    await client?.stop();
    await daemon?.stop();
    await sink.stop();
    await mailbox.stop();
    await dns.stop();
    await data.remove();
  }
}

// --- backlog-console ----------------------------------------------------------------------------

/**
 * The console on at a free port, a user for the dashboard, and the dashboard's browser started
 * before the clock; once the daemon runs, it signs in and polls until the backlog is done.
 */
async function dashboardCompanion(dataDir: string): Promise<BacklogCompanion> {
  const store: FileStore = await openFileStore(dataDir);
  try {
    const user: ConsoleUser = { name: CONSOLE_USER, passwordHash: await createScryptPasswords().hash(CONSOLE_PASSWORD), createdAt: new Date().toISOString() };
    await store.commit({ users: [user] });
  } finally {
    await store.close();
  }
  const client = await startClient();
  let report: Promise<unknown> | undefined;
  return {
    env: await consoleEnv(),
    async start(daemon) {
      if (!daemon.console) throw new Error('the daemon started without its console');
      await client.call({ type: 'signin', base: daemon.console, user: CONSOLE_USER, password: CONSOLE_PASSWORD });
      await client.call({ type: 'dashboard', base: daemon.console, healthEveryMs: 1000, ordersEveryMs: 500, ordersPath: '/orders' });
    },
    stop() {
      return (report ??= (async () => {
        try {
          return await client.call<DashboardReport>({ type: 'stop' });
        } finally {
          await client.stop();
        }
      })());
    },
  };
}

export type BacklogConsoleResult = BacklogResult & { console: boolean; storeOrders: number; storeBuildMs?: number; dashboard?: DashboardReport };

/**
 * The desk's past for the backlog runs: `storeOrders` orders on accounts above the backlog's
 * (ids and numbers), built once per `npm run bench` in its scratch directory (BENCH_RUN_DIR)
 * and copied into each run's data directory.
 */
async function pastStore(size: SizeSpec): Promise<{ dir: string; buildMs?: number; remove?: () => Promise<void> }> {
  const { storeOrders, storeAccounts } = size.backlogConsole;
  const backlogNumbers = size.backlog.accounts * backlogAccountOptions.didsPerAccount;
  const firstAccount = Math.max(size.backlog.accounts, Math.ceil(backlogNumbers / 2));
  const scratch = process.env.BENCH_RUN_DIR;
  const own = scratch ? undefined : await makeDataDir();
  const dir = own?.dir ?? path.join(scratch!, `console-store-${storeOrders}-${firstAccount}`);
  const marker = path.join(dir, 'bench-built.json');
  if (scratch && (await readFile(marker, 'utf8').catch(() => undefined))) return { dir };
  await mkdir(dir, { recursive: true });
  const built = await buildConsoleStore(dir, { orders: storeOrders, accounts: storeAccounts, firstAccount });
  await writeFile(marker, JSON.stringify({ ms: built.ms }));
  return { dir, buildMs: built.ms, ...(own ? { remove: own.remove } : {}) };
}

/** The backlog as shipped (MAIL_AUTH=enforce), with the console and its dashboard on or off. */
export async function runBacklogConsole(size: SizeSpec, on: boolean): Promise<BacklogConsoleResult> {
  const { storeOrders } = size.backlogConsole;
  const past = storeOrders > 0 ? await pastStore(size) : undefined;
  const r = await runBacklog(size, 'enforce', {
    ...(on ? { companion: dashboardCompanion } : {}),
    ...(past ? { store: (dataDir: string) => cp(past.dir, dataDir, { recursive: true, filter: (src) => path.basename(src) !== 'bench-built.json' }) } : {}),
  }).finally(() => past?.remove?.());
  const { companion, ...rest } = r;
  return { ...rest, console: on, storeOrders, ...(past?.buildMs ? { storeBuildMs: past.buildMs } : {}), ...(companion ? { dashboard: companion as DashboardReport } : {}) };
}

// --- profile summary ----------------------------------------------------------------------------

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileRow {
  fn: string;
  /** Time in the function itself, and in it or anything it called (ms). */
  selfMs: number;
  totalMs: number;
}

/** Self and total time per function (file:line), the heaviest by total first; idle and GC apart. */
function summarizeProfile(p: CpuProfile): { sampledMs: number; idleMs: number; gcMs: number; top: ProfileRow[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ms = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) ms.set(samples[i]!, (ms.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0) / 1000);
  const keyOf = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const file = f.url ? f.url.replace(/^file:\/\//, '').replace(/^.*\/(src|node_modules|bench)\//, '$1/') : '';
    // Line numbers of code loaded through tsx are those of its transform (all 1): left out.
    return `${f.functionName || '(anonymous)'} ${file}${file && f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let sampledMs = 0;
  for (const [id, t] of ms) {
    sampledMs += t;
    const k = keyOf(id);
    self.set(k, (self.get(k) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = keyOf(cur);
      if (seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + t);
    }
  }
  const idleMs = self.get('(idle) ') ?? 0;
  const gcMs = self.get('(garbage collector) ') ?? 0;
  const rows = [...total.entries()]
    .filter(([k]) => !/^\((root|idle|program|garbage collector)\) $/.test(k))
    .map(([fn, totalMs]) => ({ fn, selfMs: self.get(fn) ?? 0, totalMs }));
  const heaviest = [...rows].sort((a, b) => b.totalMs - a.totalMs).slice(0, 25);
  const bySelf = [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, 15).filter((r) => !heaviest.includes(r));
  return { sampledMs, idleMs, gcMs, top: [...heaviest, ...bySelf].map((r) => ({ ...r, selfMs: Math.round(r.selfMs), totalMs: Math.round(r.totalMs) })) };
}
