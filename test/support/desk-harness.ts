/**
 * The real daemon (startDaemon from src/main.ts) against a private Dovecot (the desk's mailbox)
 * and an smtp-server sink, for end-to-end tests. Mail goes in by IMAP APPEND; what the desk sends
 * is read back from the sink.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { loadConfig, type Config } from '../../src/config.js';
import type { Account } from '../../src/domain/records.js';
import { openFileStore } from '../../src/adapters/file-store.js';
import { startDaemon, type Daemon } from '../../src/main.js';
import { silentLogger } from '../../src/logger.js';
import type { Clock } from '../../src/ports/clock.js';
import { startDovecot, type DovecotServer } from './dovecot.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

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
  dovecot: DovecotServer;
  sink: SmtpSink;
  daemon: Daemon;
  config: Config;
  clock: OffsetClock;
  dataDir: string;
  /** Appends a raw message to the desk's INBOX. */
  send(raw: Buffer | string): Promise<void>;
  /** Waits for the next sink message matching the predicate (already received ones count once). */
  waitForMail(predicate: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  mailsTo(address: string): ParsedMail[];
  /** Waits until INBOX is empty (every message handled and moved). */
  waitForInboxEmpty(timeoutMs?: number): Promise<void>;
  stopDaemon(): Promise<void>;
  startDaemonAgain(): Promise<void>;
  close(): Promise<void>;
}

export async function startDeskHarness(opts: { accounts: Account[]; env?: Record<string, string> }): Promise<DeskHarness> {
  const dovecot = await startDovecot({ users: [DESK_USER] });
  const sink = await startSmtpSink();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portdesk-e2e-'));
  const store = await openFileStore(dataDir);
  await store.commit({ accounts: opts.accounts });
  await store.close();

  const imap = dovecot.imapConfig(DESK_USER);
  const config = loadConfig(
    {
      IMAP_HOST: imap.host,
      IMAP_PORT: String(imap.port),
      IMAP_SECURE: 'false',
      IMAP_USER: imap.user,
      IMAP_PASSWORD: imap.password,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(sink.port),
      MAIL_FROM: DESK_FROM,
      SUPPORT_EMAIL: SUPPORT,
      DATA_DIR: dataDir,
      TIMEZONE: 'America/New_York',
      JOBS_SCHEDULE: '* * * * * *',
      LOG_LEVEL: 'silent',
      ...opts.env,
    },
    { dotenv: false },
  );
  const clock = new OffsetClock();
  const start = () => startDaemon(config, { log: silentLogger(), clock, imapResyncIntervalMs: 600_000 });
  let daemon = await start();
  const consumed = new Set<ParsedMail>();

  const harness: DeskHarness = {
    dovecot,
    sink,
    get daemon() {
      return daemon;
    },
    config,
    clock,
    dataDir,
    send: async (raw) => {
      await dovecot.append(DESK_USER, 'INBOX', raw);
    },
    waitForMail: async (predicate, timeoutMs = 15_000) => {
      const m = await sink.waitFor((x) => !consumed.has(x.parsed) && predicate(x.parsed), timeoutMs);
      consumed.add(m.parsed);
      return m.parsed;
    },
    mailsTo: (address) =>
      sink.messages.map((m) => m.parsed).filter((p) => addresses(p.to).includes(address.toLowerCase())),
    waitForInboxEmpty: async (timeoutMs = 15_000) => {
      const until = Date.now() + timeoutMs;
      // Polling the server is the only way to see the move; a short interval keeps it quick.
      for (;;) {
        if ((await dovecot.list(DESK_USER, 'INBOX')).length === 0) return;
        if (Date.now() > until) throw new Error('INBOX did not empty in time');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stopDaemon: () => daemon.stop(),
    startDaemonAgain: async () => {
      daemon = await start();
    },
    close: async () => {
      await daemon.stop().catch(() => undefined);
      await sink.stop();
      await dovecot.stop();
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
