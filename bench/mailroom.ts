/**
 * The real surroundings of a benchmarked desk: a private Dovecot holding its mailbox, an SMTP
 * sink and a DNS server in child processes, a data directory, and the daemon configured for them.
 */
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';
import { openFileStore } from '../src/adapters/file-store.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Account } from '../src/domain/records.js';
import { silentLogger } from '../src/logger.js';
import { startDaemon, type Daemon } from '../src/main.js';
import { startDovecot, type DovecotServer } from '../test/support/dovecot.js';
import { findFreePort } from '../test/support/free-port.js';
import type { MailAuthMode } from '../src/domain/mail-auth.js';
import type { ZoneEntry } from './dns-child.js';
import type { SinkReport } from './sink-child.js';
import { DESK_ADDRESS } from './fixtures.js';
import { openPgWriter, type StoreTarget } from './pg.js';

export const DESK_USER = 'desk@example.test';
export const SUPPORT = 'support@example.test';

export interface Sink {
  port: number;
  readonly reports: readonly SinkReport[];
  /** Resolves once `predicate` holds over everything received so far (checked on each arrival). */
  until(predicate: (reports: readonly SinkReport[]) => boolean, timeoutMs: number): Promise<void>;
  onReport(listener: (r: SinkReport) => void): void;
  stop(): Promise<void>;
}

/** A helper process of the benchmarks (a .ts file beside this one), talking over IPC. */
export function forkHelper(file: string): ChildProcess {
  return fork(fileURLToPath(new URL(file, import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Asks a helper process to stop, and kills it when it has not within three seconds. */
export async function stopHelper(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ type: 'stop' });
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export async function startSinkProcess(): Promise<Sink> {
  const child = forkHelper('./sink-child.ts');
  const reports: SinkReport[] = [];
  const checks = new Set<() => void>();
  const listeners: ((r: SinkReport) => void)[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)));
    child.on('message', (msg: { type: string; port?: number; reports?: SinkReport[] }) => {
      if (msg.type === 'ready') resolve(msg.port!);
      if (msg.type === 'mail') {
        for (const r of msg.reports!) {
          reports.push(r);
          for (const l of listeners) l(r);
        }
        for (const c of [...checks]) c();
      }
    });
  });
  return {
    port,
    reports,
    until(predicate, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(reports)) return;
          checks.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(new Error(`sink condition not met within ${timeoutMs} ms (${reports.length} e-mails received)`));
        }, timeoutMs);
        checks.add(check);
        check();
      });
    },
    onReport(l) {
      listeners.push(l);
    },
    stop: () => stopHelper(child),
  };
}

export interface DnsProcess {
  /** `127.0.0.1:PORT`, for MAIL_AUTH_DNS. */
  address: string;
  /** Questions the server has received so far (every try the desk's resolver sent). */
  totalQueries(): Promise<number>;
  stop(): Promise<void>;
}

/** The benchmarks' DNS server (dns-child.ts) answering for `entries`, every other name NXDOMAIN. */
export async function startDnsProcess(entries: ZoneEntry[]): Promise<DnsProcess> {
  const child = forkHelper('./dns-child.ts');
  const counts: ((total: number) => void)[] = [];
  const address = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`DNS server exited with ${code}`)));
    child.on('message', (msg: { type: string; address?: string; total?: number }) => {
      if (msg.type === 'ready') resolve(msg.address!);
      if (msg.type === 'count') counts.shift()?.(msg.total!);
    });
    child.send({ type: 'zone', entries });
  });
  return {
    address,
    totalQueries() {
      return new Promise((resolve) => {
        counts.push(resolve);
        child.send({ type: 'count' });
      });
    },
    stop: () => stopHelper(child),
  };
}

/**
 * How the daemon authenticates its mail (SPEC §11). Every scenario says so explicitly, and the
 * look-ups go to the benchmarks' own DNS server, never to the machine's resolver.
 */
export interface BenchMailAuth {
  mode: MailAuthMode;
  dns: DnsProcess;
}

export interface Mailbox {
  dovecot: DovecotServer;
  /** Writes messages straight into the user's Maildir/new, as a local delivery agent does. */
  deliver(messages: Buffer[], user?: string): Promise<void>;
  /** Messages in the mailbox (a STATUS over a short-lived connection). */
  count(mailbox?: string, user?: string): Promise<number>;
  client(user?: string): Promise<ImapFlow>;
  /** SELECTs the mailbox once, so Dovecot has indexed (and moved to cur/) what was delivered. */
  prime(user?: string): Promise<void>;
  stop(): Promise<void>;
}

let deliveries = 0;

export async function startMailbox(users: string[] = [DESK_USER]): Promise<Mailbox> {
  const dovecot = await startDovecot({ users });
  const homeOf = (user: string) => path.join(dovecot.baseDir, 'home', user.replace(/[^A-Za-z0-9._-]/g, '_'));
  const client = async (user = DESK_USER) => {
    const c = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, doSTARTTLS: false, auth: { user, pass: 'secret' }, logger: false, disableAutoIdle: true });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  return {
    dovecot,
    async deliver(messages, user = DESK_USER) {
      const home = homeOf(user);
      const maildir = path.join(home, 'Maildir');
      for (const d of ['cur', 'new', 'tmp']) await mkdir(path.join(maildir, d), { recursive: true });
      const { uid, gid } = await stat(home);
      // The delivery agent's way: write into tmp/, then rename into new/, so Dovecot (which may
      // be watching new/ for IDLE) never sees a half-written message.
      const stamp = Math.floor(Date.now() / 1000);
      const batch = ++deliveries;
      const width = String(messages.length).length;
      const names = messages.map((raw, i) => `${stamp}.B${batch}M${String(i).padStart(width, '0')}P${process.pid}.bench,S=${raw.length}`);
      // In slices: ten thousand files opened at once would run into the descriptor limit.
      for (let i = 0; i < messages.length; i += 256) {
        await Promise.all(messages.slice(i, i + 256).map((raw, k) => writeFile(path.join(maildir, 'tmp', names[i + k]!), raw, { mode: 0o600 })));
      }
      execFileSync('chown', ['-R', `${uid}:${gid}`, maildir]);
      for (let i = 0; i < names.length; i += 256) {
        await Promise.all(names.slice(i, i + 256).map((n) => rename(path.join(maildir, 'tmp', n), path.join(maildir, 'new', n))));
      }
    },
    async count(mailbox = 'INBOX', user = DESK_USER) {
      const c = await client(user);
      try {
        const s = await c.status(mailbox, { messages: true });
        if (!s) throw new Error(`STATUS ${mailbox} failed`);
        return s.messages ?? 0;
      } finally {
        await c.logout().catch(() => c.close());
      }
    },
    client,
    async prime(user = DESK_USER) {
      const c = await client(user);
      try {
        await c.mailboxOpen('INBOX');
      } finally {
        await c.logout().catch(() => c.close());
      }
    },
    stop: () => dovecot.stop(),
  };
}

/**
 * Writes the accounts into the store in `dir` (a new one, or one a scenario filled), or into the
 * target's database, as `portdesk accounts import` would. Says how many inbound entries and
 * e-mails the store holds live.
 */
export async function seedAccounts(target: string | StoreTarget, accounts: Account[]): Promise<{ inbound: number; outbox: number }> {
  if (typeof target !== 'string' && target.kind === 'postgres') {
    const w = await openPgWriter(target.databaseUrl!);
    try {
      await w.store.commit({ accounts });
      const { inbound, outbox } = w.store.stats().live;
      return { inbound, outbox };
    } finally {
      await w.close();
    }
  }
  const store = await openFileStore(typeof target === 'string' ? target : target.dataDir);
  try {
    await store.commit({ accounts });
    const { inbound, outbox } = store.stats().live;
    return { inbound, outbox };
  } finally {
    await store.close();
  }
}

export async function makeDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-bench-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The daemon's environment for a bench: its mailbox in the private Dovecot, the sink as SMTP, the
 * bench DNS server. The console is off (HTTP_PORT=0) unless `env` turns it on (consoleEnv): the
 * scenarios measure the desk as they always have, and two of them never race for port 8025.
 */
export function benchEnv(mailbox: Mailbox, sink: Sink, dataDir: string, auth: BenchMailAuth, env: Record<string, string> = {}): Record<string, string> {
  const imap = mailbox.dovecot.imapConfig(DESK_USER);
  return {
    IMAP_HOST: imap.host,
    IMAP_PORT: String(imap.port),
    IMAP_SECURE: 'false',
    IMAP_USER: imap.user,
    IMAP_PASSWORD: imap.password,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(sink.port),
    MAIL_FROM: DESK_ADDRESS,
    SUPPORT_EMAIL: SUPPORT,
    DATA_DIR: dataDir,
    TIMEZONE: 'America/New_York',
    // The jobs stay out of the way of what is measured (the jobs scenario runs them itself).
    JOBS_SCHEDULE: '0 0 1 1 *',
    DIGEST_SCHEDULE: '0 0 1 1 *',
    MAIL_AUTH: auth.mode,
    MAIL_AUTH_DNS: auth.dns.address,
    // The scenarios send thousands of requests from a few carriers within seconds, all appended
    // now: as shipped, the limits per sender would park most of them (that is what they are for).
    // What is measured is the work of handling them.
    MAX_REQUESTS_PER_CARRIER_PER_HOUR: '1000000',
    MAX_EMAILS_PER_CUSTOMER_PER_DAY: '1000000',
    LOG_LEVEL: 'silent',
    HTTP_PORT: '0',
    ...env,
  };
}

/**
 * What turns the console on for a bench daemon: HTTP on 127.0.0.1 at a port that was free a
 * moment ago (another process could take it before the daemon binds; rare enough to accept).
 */
export async function consoleEnv(): Promise<{ HTTP_HOST: string; HTTP_PORT: string }> {
  return { HTTP_HOST: '127.0.0.1', HTTP_PORT: String(await findFreePort('127.0.0.1')) };
}

export function benchConfig(mailbox: Mailbox, sink: Sink, dataDir: string, auth: BenchMailAuth, env: Record<string, string> = {}): Config {
  return loadConfig(benchEnv(mailbox, sink, dataDir, auth, env), { dotenv: false });
}

export function runDaemon(config: Config): Promise<Daemon> {
  return startDaemon(config, { log: silentLogger() });
}

/** Polls `probe` every `everyMs` until it returns true. */
export async function pollUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(value, null, 2) + '\n');
}
