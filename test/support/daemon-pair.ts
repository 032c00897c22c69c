/**
 * Several `portdesk start` processes on one PostgreSQL database and one mailbox (SPEC §13), for
 * the failover end-to-end tests: the daemons run from the sources (`node --import tsx
 * src/cli.ts start`) in process groups of their own, the lease row says which one is active, and
 * the test's own pool reads the tables the daemons write. Everything started here is tracked so
 * that `killAll()` leaves no process behind, stopped (SIGSTOP) ones included.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import pg from 'pg';
import type { Account } from '../../src/domain/records.js';
import { DOVECOT_PASSWORD, type DovecotServer } from './dovecot.js';
import { REPO_ROOT, runProcess, startProcess, type CliResult, type RunningCli } from './run-cli.js';
import type { SmtpSink } from './smtp-sink.js';

const CLI_TS = path.join(REPO_ROOT, 'src/cli.ts');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every `intervalMs` until it returns something other than undefined/false; fails after `timeoutMs` saying `what`. */
export async function pollUntil<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      // A probe may fail while the database restarts; it is asked again.
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${why}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Daemon processes

export interface DeskProcess {
  /** "A", "B", "A#2"…: for messages. */
  readonly label: string;
  readonly proc: RunningCli;
  readonly pid: number;
  readonly startedAt: number;
  /** Resolves with the exit once the process ended. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited(): boolean;
  output(): string;
}

const running = new Set<DeskProcess>();

// Should the test process end without its afterAll (a crash, a timeout), take the daemons with it.
process.on('exit', () => killAll());

/** `portdesk start` from the sources, in a process group of its own, with exactly `env` (plus PATH, HOME, HTTP_PORT=0). */
export function startDesk(label: string, env: Record<string, string>): DeskProcess {
  const proc = startProcess(process.execPath, ['--import', 'tsx', CLI_TS, 'start'], { cwd: REPO_ROOT, env });
  let ended = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.child.once('exit', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    }),
  );
  const desk: DeskProcess = { label, proc, pid: proc.child.pid!, startedAt: Date.now(), exit, exited: () => ended, output: () => proc.output() };
  running.add(desk);
  void exit.then(() => running.delete(desk));
  return desk;
}

/**
 * A daemon's first words, standby or not: from here a standby stops cleanly on SIGTERM. Once it
 * has taken the lease it does so again only from RUNNING on (src/cli/daemon-commands.ts drops its
 * standby handler before startDaemon; runUntilStopped sets the next one after it).
 */
export const ON_DATABASE = /portdesk: on the database/;
export const RUNNING = /portdesk is running/;

/** SIGKILL to every tracked process group (a stopped one is resumed first, so nothing lingers). */
export function killAll(): void {
  for (const d of running) {
    try {
      process.kill(-d.pid, 'SIGCONT');
    } catch {
      // Gone.
    }
    d.proc.kill();
  }
}

export function signal(desk: DeskProcess, sig: NodeJS.Signals): void {
  process.kill(desk.pid, sig);
}

/** The last `lines` lines of a daemon's output, for failure messages. */
export function tailOf(desk: DeskProcess, lines = 30): string {
  return `--- ${desk.label} (pid ${desk.pid}) ---\n${desk.output().trimEnd().split('\n').slice(-lines).join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// The database, as the test sees it

export interface LeaseRow {
  holder: string | null;
  generation: number;
  expiresAt: Date | null;
  /** The pid in `host:pid:role:rand`. */
  pid: number | undefined;
}

export interface TestDb {
  url: string;
  name: string;
  pool: pg.Pool;
  lease(): Promise<LeaseRow>;
  count(sql: string, params?: unknown[]): Promise<number>;
  /** The daemons' sessions on this database (the test's own excepted). */
  backends(): Promise<Backend[]>;
  /** pg_terminate_backend, waiting until each has exited; how many were ended. */
  terminate(pids: number[]): Promise<number>;
  /**
   * Takes `LOCK TABLE … IN SHARE MODE` on a connection of its own and holds it until `release`:
   * every write to the table waits, inside its transaction.
   */
  lockTable(table: string): Promise<{ release(): Promise<void> }>;
  close(): Promise<void>;
}

const TEST_APP = 'portdesk-failover-test';

export interface Backend {
  pid: number;
  state: string;
  /** Waiting for a lock (wait_event_type Lock). */
  waitingOnLock: boolean;
  inTransaction: boolean;
  query: string;
}

export function openTestDb(url: string): TestDb {
  const pool = new pg.Pool({ connectionString: url, max: 3, connectionTimeoutMillis: 3_000, application_name: TEST_APP });
  // Server restarts and pg_terminate_backend end these connections too.
  pool.on('error', () => undefined);
  pool.on('connect', (c) => c.on('error', () => undefined));
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  return {
    url,
    name,
    pool,
    lease: async () => {
      const r = await pool.query<{ holder: string | null; generation: string; expires_at: Date | null }>("SELECT holder, generation, expires_at FROM lease WHERE name = 'desk'");
      const row = r.rows[0];
      const holder = row?.holder ?? null;
      const pid = holder ? Number(holder.split(':')[1]) : undefined;
      return { holder, generation: Number(row?.generation ?? 0), expiresAt: row?.expires_at ?? null, pid };
    },
    count: async (sql, params = []) => Number((await pool.query<{ n: string }>(sql, params)).rows[0]!.n),
    backends: async () => {
      const r = await pool.query<{ pid: number; state: string | null; wait: string | null; xact: boolean; query: string | null }>(
        `SELECT pid, state, wait_event_type AS wait, xact_start IS NOT NULL AS xact, left(query, 120) AS query
           FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND application_name <> $2`,
        [name, TEST_APP],
      );
      return r.rows.map((row) => ({
        pid: row.pid,
        state: row.state ?? 'unknown',
        waitingOnLock: row.wait === 'Lock',
        inTransaction: (row.state ?? '').startsWith('idle in transaction') || (row.state === 'active' && row.xact),
        query: row.query ?? '',
      }));
    },
    terminate: async (pids) => {
      if (!pids.length) return 0;
      const r = await pool.query<{ ended: boolean }>('SELECT pg_terminate_backend(pid, 5000) AS ended FROM unnest($1::int[]) AS pid', [pids]);
      return r.rows.filter((x) => x.ended).length;
    },
    lockTable: async (table) => {
      const client = new pg.Client({ connectionString: url, application_name: TEST_APP });
      client.on('error', () => undefined);
      await client.connect();
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${table} IN SHARE MODE`);
      return {
        release: async () => {
          await client.query('COMMIT').catch(() => undefined);
          await client.end().catch(() => undefined);
        },
      };
    },
    close: () => pool.end().catch(() => undefined),
  };
}

// ---------------------------------------------------------------------------------------------
// Accounts and mail

/** `portdesk accounts import FILE --json` from the sources, with DATABASE_URL set: the accounts go into the database. */
export async function importAccounts(env: Record<string, string>, accounts: Account[]): Promise<CliResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-accounts-'));
  try {
    const file = path.join(dir, 'accounts.json');
    await writeFile(file, JSON.stringify(accounts));
    const r = await runProcess(process.execPath, ['--import', 'tsx', CLI_TS, 'accounts', 'import', file, '--json'], { cwd: REPO_ROOT, env, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`accounts import exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Appends every message to `mailbox` over one IMAP connection. */
export async function appendAll(dovecot: DovecotServer, user: string, mailbox: string, raws: Buffer[]): Promise<void> {
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, doSTARTTLS: false, auth: { user, pass: DOVECOT_PASSWORD }, logger: false, disableAutoIdle: true });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const raw of raws) await client.append(mailbox, raw);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** How many messages a mailbox holds (STATUS), without opening it. */
export async function mailboxCount(dovecot: DovecotServer, user: string, mailbox: string): Promise<number> {
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, doSTARTTLS: false, auth: { user, pass: DOVECOT_PASSWORD }, logger: false, disableAutoIdle: true });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const s = await client.status(mailbox, { messages: true });
    if (!s) throw new Error(`STATUS ${mailbox} failed`);
    return s.messages ?? 0;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

// ---------------------------------------------------------------------------------------------
// What reaches the SMTP sink, with arrival times

export interface Arrival {
  at: number;
  to: string[];
  messageId: string;
  subject: string;
}

export interface SinkLog {
  readonly arrivals: readonly Arrival[];
  stop(): void;
}

/** Stamps every message reaching the sink with the time it was first seen (10 ms resolution). */
export function watchSink(sink: SmtpSink): SinkLog {
  const arrivals: Arrival[] = [];
  const take = () => {
    const now = Date.now();
    while (arrivals.length < sink.messages.length) {
      const m = sink.messages[arrivals.length]!;
      const to = (Array.isArray(m.parsed.to) ? m.parsed.to : m.parsed.to ? [m.parsed.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
      arrivals.push({ at: now, to, messageId: (m.parsed.messageId ?? '').replace(/^<|>$/g, ''), subject: m.parsed.subject ?? '' });
    }
  };
  const timer = setInterval(take, 10);
  return {
    get arrivals() {
      take();
      return arrivals;
    },
    stop: () => clearInterval(timer),
  };
}

/** Per address: the distinct Message-IDs it received and how many copies in all. */
export function byRecipient(arrivals: readonly Arrival[], keep: (address: string) => boolean): Map<string, { ids: Set<string>; copies: number; first: number }> {
  const map = new Map<string, { ids: Set<string>; copies: number; first: number }>();
  for (const a of arrivals) {
    for (const to of a.to) {
      if (!keep(to)) continue;
      const e = map.get(to) ?? { ids: new Set<string>(), copies: 0, first: a.at };
      e.ids.add(a.messageId);
      e.copies += 1;
      map.set(to, e);
    }
  }
  return map;
}

/** Copies beyond the first of each Message-ID (a resend after a crash). */
export function duplicateSends(arrivals: readonly Arrival[]): { extra: number; ids: string[] } {
  const seen = new Map<string, number>();
  for (const a of arrivals) seen.set(a.messageId, (seen.get(a.messageId) ?? 0) + 1);
  const ids = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  return { extra: [...seen.values()].reduce((s, n) => s + n - 1, 0), ids };
}
