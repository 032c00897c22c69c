/**
 * The real daemon (startDaemon from src/main.ts) against a private Dovecot (the desk's mailbox)
 * and an smtp-server sink, for end-to-end tests. Mail goes in by IMAP APPEND (or, with
 * `inbound: 'smtp'`, through the desk's embedded SMTP listener, envelope and all); what the desk
 * sends is read back from the sink. Mail authentication looks everything up in a private DNS
 * server (`dns`), empty unless the test publishes records: never the machine's resolver.
 *
 * The store is the one test/support/test-store.ts names (PORTDESK_TEST_STORE): the file store in
 * a temp DATA_DIR, or PostgreSQL — a fresh database per harness (DATABASE_URL), the accounts
 * seeded there, DATA_DIR still a temp directory of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { loadConfig, type Config } from '../../src/config.js';
import type { Account } from '../../src/domain/records.js';
import { openFileStore } from '../../src/adapters/file-store.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import type { Clock } from '../../src/ports/clock.js';
import nodemailer from 'nodemailer';
import { startTestDnsServer, type TestDnsServer } from './dns-server.js';
import { startDovecot, type DovecotServer } from './dovecot.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import type { ControlRequest, ControlResponse } from '../../src/adapters/control-server.js';
import { createTestDatabase, databaseText, directoryText, seedDatabase, sendCommand, testStoreKind, type TestDatabase, type TestStoreKind } from './test-store.js';

export const DESK_USER = 'desk@example.test';
export const DESK_FROM = 'porting@example.test';
export const SUPPORT = 'support@example.test';

/** Real time plus an offset the test can move forward (days pass in a second). */
export class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface DeskHarness {
  /** Absent with `inbound: 'smtp'`. */
  dovecot: DovecotServer;
  dns: TestDnsServer;
  sink: SmtpSink;
  daemon: Daemon;
  config: Config;
  clock: OffsetClock;
  dataDir: string;
  /** The store the daemon runs on (PORTDESK_TEST_STORE). */
  storeKind: TestStoreKind;
  /** The daemon's database (DATABASE_URL) on PostgreSQL; undefined on the file store. */
  databaseUrl?: string;
  /** A command to the running daemon, as `portdesk` sends it: the control socket, or the database's commands table. */
  command(req: ControlRequest): Promise<ControlResponse | undefined>;
  /** Everything the desk keeps, as text: every file under DATA_DIR, and on PostgreSQL every row of its database too. */
  storedText(): Promise<string>;
  /**
   * Appends a raw message to the desk's INBOX, or delivers it to the embedded listener (resolving
   * once the desk answered 250, rejecting with the SMTP error otherwise); `envelope` sets MAIL
   * FROM and RCPT TO there (default: the message's From, and the desk's address).
   */
  send(raw: Buffer | string, envelope?: { from?: string; to?: string[] }): Promise<void>;
  /** Waits for the next sink message matching the predicate (already received ones count once). */
  waitForMail(predicate: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  mailsTo(address: string): ParsedMail[];
  /** Waits until INBOX is empty (every message handled and moved). */
  waitForInboxEmpty(timeoutMs?: number): Promise<void>;
  /** The daemon's log lines so far (with `captureLogs`). */
  logs(): string;
  stopDaemon(): Promise<void>;
  /** Starts the daemon again on the same data; `env` changes its configuration from then on. */
  startDaemonAgain(env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export interface DeskHarnessOptions {
  accounts: Account[];
  env?: Record<string, string>;
  /** Where mail comes in: a Dovecot mailbox over IMAP (default) or the embedded SMTP listener. */
  inbound?: 'imap' | 'smtp';
  /** How often deferred IMAP messages are handed over again (default: the resync interval). */
  retryDeferredMs?: number;
  /** Keep the daemon's log (debug level, JSON lines) for `logs()`, to check what it never writes. */
  captureLogs?: boolean;
}

export async function startDeskHarness(opts: DeskHarnessOptions): Promise<DeskHarness> {
  const viaSmtp = opts.inbound === 'smtp';
  const dovecot = viaSmtp ? (undefined as unknown as DovecotServer) : await startDovecot({ users: [DESK_USER] });
  const sink = await startSmtpSink();
  const dns = await startTestDnsServer();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-e2e-'));
  const storeKind = testStoreKind();
  let database: TestDatabase | undefined;
  if (storeKind === 'postgres') {
    database = await createTestDatabase();
    await seedDatabase(database.url, { accounts: opts.accounts });
  } else {
    const store = await openFileStore(dataDir);
    await store.commit({ accounts: opts.accounts });
    await store.close();
  }

  const imap = viaSmtp ? undefined : dovecot.imapConfig(DESK_USER);
  const baseEnv: Record<string, string> = {
    ...(imap
      ? { IMAP_HOST: imap.host, IMAP_PORT: String(imap.port), IMAP_SECURE: 'false', IMAP_USER: imap.user, IMAP_PASSWORD: imap.password }
      : { INBOUND_SMTP_PORT: '0' }),
    MAIL_AUTH_DNS: dns.address,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(sink.port),
    MAIL_FROM: DESK_FROM,
    SUPPORT_EMAIL: SUPPORT,
    DATA_DIR: dataDir,
    ...(database ? { DATABASE_URL: database.url } : {}),
    TIMEZONE: 'America/New_York',
    JOBS_SCHEDULE: '* * * * * *',
    LOG_LEVEL: 'silent',
    // The console off unless the test asks for it (a free HTTP_PORT).
    HTTP_PORT: '0',
    ...opts.env,
  };
  let config = loadConfig(baseEnv, { dotenv: false });
  const clock = new OffsetClock();
  const logLines: string[] = [];
  const log = opts.captureLogs ? createLogger('debug', { destination: { write: (line: string) => void logLines.push(line) } }) : silentLogger();
  const start = () =>
    startDaemon(config, {
      log,
      clock,
      imapResyncIntervalMs: 600_000,
      ...(opts.retryDeferredMs ? { imapRetryDeferredIntervalMs: opts.retryDeferredMs } : {}),
    });
  let daemon = await start();
  const listener = () => {
    const port = Number(/:(\d+)$/.exec(daemon.inbound)?.[1]);
    return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  };
  const consumed = new Set<ParsedMail>();

  const harness: DeskHarness = {
    dovecot,
    sink,
    dns,
    get daemon() {
      return daemon;
    },
    get config() {
      return config;
    },
    clock,
    dataDir,
    storeKind,
    ...(database ? { databaseUrl: database.url } : {}),
    command: (req) => sendCommand({ dataDir, ...(database ? { databaseUrl: database.url } : {}) }, req),
    storedText: async () => [directoryText(dataDir), ...(database ? [await databaseText(database.url)] : [])].join('\n'),
    send: async (raw, envelope) => {
      if (!viaSmtp) {
        await dovecot.append(DESK_USER, 'INBOX', raw);
        return;
      }
      const transport = listener();
      try {
        const from = envelope?.from ?? /^from:.*?<?([^\s<>"]+@[^\s<>"]+?)>?\s*$/im.exec(raw.toString())?.[1] ?? '';
        await transport.sendMail({ envelope: { from, to: envelope?.to ?? [DESK_FROM] }, raw });
      } finally {
        transport.close();
      }
    },
    waitForMail: async (predicate, timeoutMs = 15_000) => {
      const m = await sink.waitFor((x) => !consumed.has(x.parsed) && predicate(x.parsed), timeoutMs);
      consumed.add(m.parsed);
      return m.parsed;
    },
    mailsTo: (address) =>
      sink.messages.map((m) => m.parsed).filter((p) => addresses(p.to).includes(address.toLowerCase())),
    waitForInboxEmpty: async (timeoutMs = 15_000) => {
      if (viaSmtp) return;
      const until = Date.now() + timeoutMs;
      // Polling the server is the only way to see the move; a short interval keeps it quick.
      for (;;) {
        if ((await dovecot.list(DESK_USER, 'INBOX')).length === 0) return;
        if (Date.now() > until) throw new Error('INBOX did not empty in time');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    logs: () => logLines.join(''),
    stopDaemon: () => daemon.stop(),
    startDaemonAgain: async (env) => {
      if (env) config = loadConfig({ ...baseEnv, ...env }, { dotenv: false });
      daemon = await start();
    },
    close: async () => {
      await daemon.stop().catch(() => undefined);
      await sink.stop();
      await dovecot?.stop();
      await dns.close();
      await database?.drop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export function addresses(field: ParsedMail['to'] | ParsedMail['cc']): string[] {
  if (!field) return [];
  const list = Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

export function isTo(address: string, m: ParsedMail): boolean {
  return addresses(m.to).includes(address.toLowerCase());
}
