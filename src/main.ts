/**
 * The composition root: configuration in, every adapter built and wired, the daemon running.
 * Only this file, start-on-database.ts (the same daemon on PostgreSQL), other-systems.ts (events
 * out, accounts from billing) and the tools beside them (src/tools/: the demo, the checks, what a
 * command does while no daemon runs) build adapters; only config.ts reads the environment.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import { BUILTIN_TEMPLATES_DIR, type Config } from './config.js';
import { maskUrl } from './domain/mask-url.js';
import { durationMs } from './domain/duration.js';
import { createCalendar } from './domain/calendar.js';
import { createDesk, type Desk } from './app/desk.js';
import { createOutboxDelivery } from './app/deliver-outbox.js';
import { createEventWriter, recordingEvents } from './app/record-events.js';
import { applyAccountImport, hashImportedPins } from './app/import-accounts.js';
import { runJobsOnce } from './app/jobs.js';
import { unlockPin } from './app/support-actions.js';
import { deskData, deskIdentity } from './app/compose-email.js';
import { buildOtherSystems } from './other-systems.js';
import { acquireDataDirLock, type DataDirLock } from './adapters/data-dir-lock.js';
import { startControlServer, type ControlDeps, type ControlServer } from './adapters/control-server.js';
import { secureDataDir } from './adapters/data-dir-modes.js';
import { createParsePool, type ParsePool } from './adapters/parse-pool.js';
import { openFileStore, type FileStore } from './adapters/file-store.js';
import { createHandlebarsRenderer } from './adapters/handlebars-renderer.js';
import { createEmlFileMailer } from './adapters/eml-file-mailer.js';
import { createSmtpMailer, SMTP_CONNECTIONS } from './adapters/smtp-mailer.js';
import { createRandomIds } from './adapters/random-ids.js';
import { createDnsResolver, systemDnsServers, type DnsResolver } from './adapters/dns-resolver.js';
import { createMailAuthenticator } from './adapters/mail-authenticator.js';
import { createParkedMailFiles } from './adapters/parked-mail-files.js';
import { createScryptPins } from './adapters/scrypt-pins.js';
import type { MailAuthenticator } from './ports/mail-authenticator.js';
import { ImapSource } from './adapters/imap-source.js';
import { SmtpSource } from './adapters/smtp-source.js';
import type { ParkedMail } from './ports/parked-mail.js';
import type { Store } from './ports/store.js';
import type { Logger } from './logger.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Mailer } from './ports/mailer.js';
import type { MessageParser } from './ports/message-parser.js';
import type { Pins } from './ports/pins.js';
import type { MailSource } from './ports/mail-source.js';
import { createAnswerLinks, type AnswerLinks } from './app/answer-links.js';
import { loadLinkSecret } from './adapters/link-secret.js';
import { createScryptPasswords } from './adapters/scrypt-passwords.js';
import { createMetrics } from './adapters/web/metrics.js';
import { startWebServer, type Health, type WebServer } from './adapters/web/server.js';

export interface DaemonOptions {
  log: Logger;
  clock?: Clock;
  /** For tests: how often the IMAP source resyncs without an EXISTS. */
  imapResyncIntervalMs?: number;
  /** For tests: how often the IMAP source hands deferred messages over again (default: the resync interval). */
  imapRetryDeferredIntervalMs?: number;
  /** With DATABASE_URL: a lease already held (waitForLease); unset, the daemon waits for it as a standby. */
  lease?: import('./start-on-database.js').HeldLease;
}

export interface Daemon {
  desk: Desk;
  store: Store;
  /** Where mail comes in, for the banner: `imap://user@host:port/INBOX` or `smtp://127.0.0.1:2525`. */
  inbound: string;
  /** Where mail goes out: `smtp://host:port` or the .eml directory. */
  outbound: string;
  /** Where the console listens (`http://127.0.0.1:8025`); undefined with HTTP_PORT=0. */
  console?: string;
  /** Runs every order job and an outbox pass now (what `portdesk jobs run` asks for); rejects when one fails. */
  runJobs(): Promise<unknown>;
  /** Finishes the message in hand, stops the jobs, flushes the store, releases the data directory. */
  stop(): Promise<void>;
  /**
   * Resolves if the store could not write its journal: the daemon can record nothing more and
   * should stop and exit with a failure, so that the service manager starts it again and it
   * reloads what is on disk. Messages in hand stay in the mailbox.
   */
  readonly failed: Promise<Error>;
}

/** Builds the mailer the configuration asks for: SMTP, or .eml files under DATA_DIR. */
export function buildMailer(config: Config, log: Logger): { mailer: Mailer; outbound: string } {
  if (config.smtp) {
    return { mailer: createSmtpMailer(config.smtp, { log }), outbound: `smtp://${config.smtp.host}:${config.smtp.port}` };
  }
  const dir = path.join(config.dataDir, 'outbox-files');
  return { mailer: createEmlFileMailer(dir), outbound: dir };
}

/**
 * The mail authenticator (SPEC §11) and the caching resolver behind it: MAIL_AUTH_DNS, or the
 * system's resolvers. Undefined with MAIL_AUTH=off, so nothing is looked up.
 */
export function buildAuthenticator(config: Config, log: Logger): { authenticator?: MailAuthenticator; resolver?: DnsResolver } {
  const c = config.mailAuth;
  if (c.mode === 'off') return {};
  const resolver = createDnsResolver({ servers: c.dns ?? systemDnsServers() });
  const authenticator = createMailAuthenticator({
    mode: c.mode,
    resolve: (name, rrtype) => resolver.resolve(name, rrtype),
    authservId: c.authservId,
    trustedAuthservIds: c.trustedAuthservIds,
    log,
  });
  return { authenticator, resolver };
}

export function buildRenderer(config: Config) {
  const overrideDir = path.resolve(config.templatesDir) === path.resolve(BUILTIN_TEMPLATES_DIR) ? undefined : config.templatesDir;
  return createHandlebarsRenderer({ builtinDir: BUILTIN_TEMPLATES_DIR, ...(overrideDir ? { overrideDir } : {}) });
}

/**
 * The desk and its outbox delivery over an open store: what the daemon runs, and what a command
 * uses when no daemon is running. With `deliverOnQueue` (the daemon) new e-mails are sent at once;
 * without it the caller delivers when it is done.
 */
export function buildDesk(
  config: Config,
  {
    store,
    clock,
    log,
    deliverOnQueue = true,
    pins = createScryptPins(),
    parser,
    links,
    onHandled,
    parkedMail = createParkedMailFiles(config.dataDir),
  }: {
    store: Store;
    clock: Clock;
    log: Logger;
    deliverOnQueue?: boolean;
    pins?: Pins;
    parser?: MessageParser;
    /** Signs the one-click answer links written into verifications (loadAnswerLinks); unset: none written. */
    links?: AnswerLinks;
    onHandled?: (kind: string, outcome: string, seconds: number) => void;
    /** Where parked messages are kept: files under DATA_DIR, or the database's rows. */
    parkedMail?: ParkedMail;
  },
) {
  // With WEBHOOK_URL every commit carries the events its change calls for (SPEC §14); the store
  // handed to everything below is that one. The daemon delivers them (other-systems.ts).
  const kickWebhooks: { kick?: () => void } = {};
  const events = config.webhooks ? createEventWriter(config.webhooks.urls.map(maskUrl), clock, store.listPendingEvents().at(-1)?.id) : undefined;
  if (events) {
    store = recordingEvents(store, events, { ...(config.http ? { consoleUrl: config.http.publicUrl } : {}), onWritten: () => kickWebhooks.kick?.() });
  }
  const renderer = buildRenderer(config);
  const { mailer, outbound } = buildMailer(config, log.child({ role: 'mailer' }));
  const ids = createRandomIds(mailDomain(config.mailFrom));
  const { authenticator, resolver } = buildAuthenticator(config, log.child({ role: 'mail-auth' }));
  const delivery = createOutboxDelivery({
    store,
    mailer,
    clock,
    log: log.child({ role: 'outbox' }),
    renderer,
    desk: deskData(deskIdentity(config)),
    ids,
    // One e-mail in flight per pooled SMTP connection.
    concurrency: SMTP_CONNECTIONS,
  });
  const desk = createDesk({
    store,
    renderer,
    ids,
    clock,
    calendar: createCalendar({ timezone: config.timezone, holidays: config.holidays }),
    log: log.child({ role: 'desk' }),
    config,
    ...(authenticator ? { authenticator } : {}),
    parkedMail,
    pins,
    ...(parser ? { parser } : {}),
    ...(links ? { answerLink: (orderId: string, token: string) => links.urlFor(orderId, token) } : {}),
    ...(onHandled ? { onHandled } : {}),
    ...(deliverOnQueue ? { onQueued: () => delivery.kick() } : {}),
  });
  return { desk, delivery, mailer, outbound, resolver, pins, store, events, kickWebhooks };
}

/**
 * The one-click answer links (SPEC §12) when the console is on: signed with LINK_SECRET, or the
 * key made on the first start and kept in DATA_DIR. Undefined with HTTP_PORT=0: e-mails then say
 * only how to answer by reply.
 */
export async function loadAnswerLinks(config: Config): Promise<AnswerLinks | undefined> {
  if (!config.http) return undefined;
  return createAnswerLinks(await loadLinkSecret(config.dataDir, config.http.linkSecret), config.http.publicUrl);
}

/**
 * DATA_DIR as SPEC §10 wants it before anything is read or written there: created 0700, and a
 * directory that group or others can read put right (said once in the log). For the daemon and
 * for the commands that write without one. The process umask (077) is the command line's to set
 * (src/cli.ts): a desk embedded in another program leaves that program's umask alone, and every
 * file the desk writes names its mode.
 */
export async function prepareDataDir(dataDir: string, log: Pick<Logger, 'warn'>): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const modes = await secureDataDir(dataDir);
  if (modes.fixed.length) {
    log.warn({ dataDir, fixed: modes.fixed.length, first: modes.fixed.slice(0, 5) }, 'the data directory was readable by others: directories set to 0700, files to 0600');
  }
  if (modes.failed.length) {
    log.warn({ dataDir, failed: modes.failed.slice(0, 5) }, 'the data directory is readable by others and could not be put right: change its owner or modes by hand');
  }
}

function mailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1) || 'localhost';
}

/** How the daemon is told its store can record nothing more (see Daemon.failed). */
export function failureSignal(): { failed: Promise<Error>; fail: (err: Error) => void } {
  let fail!: (err: Error) => void;
  const failed = new Promise<Error>((resolve) => (fail = resolve));
  return { failed, fail };
}

/** What the desk runs on: the store and what goes with it (the file store's lock, or the database's lease). */
export interface Backing {
  store: Store;
  pins: Pins;
  failed: Promise<Error>;
  /** The key that signs answer links (LINK_SECRET, or the one kept in DATA_DIR or the database). */
  linkKey(): Promise<Buffer>;
  parkedMail: ParkedMail;
  /** How commands reach this daemon: the local socket, or the database's commands table. */
  startControl(deps: ControlDeps): Promise<ControlServer>;
  /** Closes the store and gives up the lock or lease; the last step of a stop. */
  release(): Promise<void>;
}

export async function startDaemon(config: Config, opts: DaemonOptions): Promise<Daemon> {
  const { log } = opts;
  const clock = opts.clock ?? systemClock;
  await prepareDataDir(config.dataDir, log);
  // Loaded only with DATABASE_URL: a desk on its file store never loads the PostgreSQL client.
  if (config.database) return (await import('./start-on-database.js')).startOnDatabase(config, opts);
  const lock: DataDirLock = await acquireDataDirLock(config.dataDir);
  const pins = createScryptPins();
  const { failed, fail } = failureSignal();
  let store: FileStore | undefined;
  try {
    store = await openFileStore(config.dataDir, {
      clock,
      pins,
      log: log.child({ role: 'store' }),
      onFailure: (err) => {
        log.fatal({ err: { code: err.code, message: err.message } }, 'the store cannot write its journal; nothing more can be recorded');
        fail(err);
      },
    });
    const open = store;
    return await runDesk(config, opts, {
      store: open,
      pins,
      failed,
      linkKey: () => loadLinkSecret(config.dataDir, config.http?.linkSecret),
      parkedMail: createParkedMailFiles(config.dataDir),
      startControl: (deps) => startControlServer(config.dataDir, deps),
      release: async () => {
        await open.close();
        await lock.release();
      },
    });
  } catch (err) {
    await store?.close().catch(() => undefined);
    await lock.release();
    throw err;
  }
}

/** Everything the daemon runs over an open store: readers, desk, mail source, jobs, control, console. */
export async function runDesk(config: Config, opts: DaemonOptions, backing: Backing): Promise<Daemon> {
  const { log } = opts;
  const clock = opts.clock ?? systemClock;
  const { store, pins } = backing;
  // Messages are read on threads of their own, with a time and a heap limit (SPEC §10).
  const parser = createParsePool({ log: log.child({ role: 'reader' }) });
  try {
  parser.warm();
  const links = config.http ? createAnswerLinks(await backing.linkKey(), config.http.publicUrl) : undefined;
  const metrics = config.http ? createMetrics(store) : undefined;
  const { desk, delivery, mailer, outbound, resolver, store: recording, events, kickWebhooks } = buildDesk(config, {
    store,
    clock,
    log,
    pins,
    parser,
    parkedMail: backing.parkedMail,
    ...(links ? { links } : {}),
    ...(metrics ? { onHandled: (kind: string, outcome: string, seconds: number) => metrics.observeMessage(kind, outcome, seconds) } : {}),
  });
  const readers = parser;

  // From here on every commit goes through the store that writes events (buildDesk).
  const openStore = recording;
  const { webhooks, accountsSync } = buildOtherSystems(config, { store: openStore, desk, pins, clock, log, events, kickOutbox: () => delivery.kick() });
  if (webhooks) kickWebhooks.kick = () => webhooks.kick();
  const { failed } = backing;
  let source: MailSource;
  let inbound: string;
  if (config.imap) {
    source = new ImapSource({
      config: config.imap,
      cursors: {
        get: (mailbox) => openStore.getCursor(mailbox),
        save: (mailbox, cursor) => openStore.commit({ cursors: { [mailbox]: cursor } }),
      },
      log: log.child({ role: 'imap' }),
      checkIntervalMs: config.imap.checkIntervalMs,
      // The desk decides one message at a time in arrival order; a batch in flight lets parsing
      // and the journal's group commit overlap those decisions.
      handlerConcurrency: 100,
      ...(opts.imapResyncIntervalMs ? { resyncIntervalMs: opts.imapResyncIntervalMs } : {}),
      ...(opts.imapRetryDeferredIntervalMs ? { retryDeferredIntervalMs: opts.imapRetryDeferredIntervalMs } : {}),
    });
    inbound = `imap://${config.imap.user}@${config.imap.host}:${config.imap.port}/${config.imap.mailbox}`;
  } else {
    const smtp = new SmtpSource({ port: config.inboundSmtpPort, host: '127.0.0.1', log: log.child({ role: 'smtp-in' }) });
    source = smtp;
    inbound = `smtp://127.0.0.1:${config.inboundSmtpPort}`;
  }

  // Jobs: node-cron's noOverlap keeps a slow run from starting twice; each job is also safe to
  // run twice by construction (it decides from the records and the clock alone). A failure
  // reaches whoever asked (`portdesk jobs run` exits 1); the schedule logs it and runs again at
  // its next tick.
  const jobLog = log.child({ role: 'jobs' });
  const runJobs = () => runJobsOnce(desk, delivery);
  const runScheduledJobs = () => runJobs().catch((err: unknown) => jobLog.error({ err }, 'job run failed'));
  const runDigest = async () => {
    try {
      await desk.sendDigest();
      delivery.kick();
    } catch (err) {
      jobLog.error({ err }, 'digest failed');
    }
  };
  const tasks: ScheduledTask[] = [
    cron.schedule(config.jobsSchedule, runScheduledJobs, { name: 'order-jobs', noOverlap: true, timezone: config.timezone }),
    cron.schedule(config.digestSchedule, runDigest, { name: 'daily-digest', noOverlap: true, timezone: config.timezone }),
  ];

  const control: ControlServer = await backing.startControl({
    desk,
    // The command prints no counts for a run in the daemon: it is told success or the error.
    runJobs: async () => {
      await runJobs();
    },
    afterChange: () => delivery.kick(),
    log: log.child({ role: 'control' }),
    // Runs in the desk's queue so an import never interleaves with a message being decided. The
    // result, refused rows included, goes back to the command, which reports it as it would
    // have run the import itself. PINs still in clear are hashed first, outside the queue (on
    // the thread pool): the command hashes them itself, but another client may not have.
    importAccounts: async (accounts) => {
      const sealed = await hashImportedPins(openStore, accounts, pins);
      return desk.core.queue.run(() => applyAccountImport(openStore, sealed, { pins, now: clock.now() }));
    },
    unlockPin: (accountId, carrier, by) => unlockPin(desk.core, accountId, carrier, by),
  });

  // What /healthz says: the store until it fails, IMAP by its session events, SMTP by the outbox.
  let storeHealth: Health['store'] = 'ok';
  void failed.then(() => (storeHealth = 'failed'));
  let imapHealth: Health['imap'] = source instanceof ImapSource ? 'down' : 'listening';
  if (source instanceof ImapSource) {
    source.on('ready', () => (imapHealth = 'ok'));
    source.on('disconnected', () => (imapHealth = 'down'));
  }
  const health = (): Health => ({
    store: storeHealth,
    imap: imapHealth,
    smtp: !config.smtp ? 'files' : openStore.listQueuedOutbox().some((e) => e.attempts > 0 && e.lastError) ? 'retrying' : 'ok',
  });

  // A desk with no accounts yet loads billing's before it reads any mail; one that has accounts
  // starts on them at once and syncs beside the mail (the sync's commit takes its turn in the
  // desk's queue). A source that cannot be read is alerted and the desk goes on with what it has.
  if (accountsSync) {
    if (openStore.listAccounts().length === 0) await accountsSync.syncNow();
    else void accountsSync.syncNow();
    accountsSync.start(durationMs(config.accountsSource!.every));
  }
  webhooks?.kick();
  await source.start((raw, meta) => desk.handleMessage(raw, meta));
  if (source instanceof SmtpSource) inbound = `smtp://127.0.0.1:${source.port}`;

  let web: WebServer | undefined;
  if (config.http && links && metrics) {
    try {
      web = await startWebServer({
        config: config.http,
        desk,
        store: openStore,
        links,
        passwords: createScryptPasswords(),
        clock,
        log: log.child({ role: 'http' }),
        timezone: config.timezone,
        supportEmail: config.supportEmail,
        health,
        metrics,
        parkedMail: backing.parkedMail,
        parser: readers,
      });
    } catch (err) {
      await source.stop();
      for (const t of tasks) await t.stop();
      await control.close();
      throw err;
    }
  }

  // Catch up at once after downtime: what fell due while the desk was down, and the outbox.
  void runScheduledJobs();
  void desk.sendDigest({ onlyIfMissedSince: durationMs({ amount: 25, unit: 'h' }) }).catch((err) => jobLog.error({ err }, 'digest catch-up failed'));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping');
      // No new clicks or actions; a request in hand finishes first.
      await web?.close();
      const sourceStopped = source.stop();
      // A message still being read is not waited for: it stays in the mailbox (IMAP) or is
      // refused with 451 (SMTP), and is read again after the restart.
      await readers.close();
      await sourceStopped;
      for (const t of tasks) await t.stop();
      await control.close();
      await accountsSync?.stop();
      await desk.idle();
      await delivery.idle();
      await webhooks?.stop();
      await mailer.close();
      resolver?.close();
      await backing.release();
      log.info('stopped');
    })());

  return { desk, store: openStore, inbound, outbound, ...(web ? { console: web.address } : {}), runJobs, stop, failed };
  } catch (err) {
    await parser.close();
    throw err;
  }
}

/** A signal repeated within this is the same one delivered twice (see runUntilStopped). */
const SAME_SIGNAL_MS = 1_000;

/**
 * Runs a started daemon until SIGINT or SIGTERM (then stops it cleanly) or until its store fails
 * (then stops it and returns the failure, so the caller exits non-zero and a service manager
 * starts it again, reloading what is on disk). A second signal (not the same one again within a
 * second), or a stop that takes longer than `stopTimeoutMs`, ends the process at once: records are
 * journalled before anything is acted on, so the next start picks up where this one left off.
 */
export async function runUntilStopped(daemon: Daemon, log: Logger, stopTimeoutMs = 20_000): Promise<Error | undefined> {
  let failure: Error | undefined;
  await new Promise<void>((resolve) => {
    void daemon.failed.then((err) => {
      failure = err;
      resolve();
    });
    let first: { signal: NodeJS.Signals; at: number } | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first) {
        // One Ctrl-C under `npm start` arrives twice, from the terminal and forwarded by npm: the
        // same signal within a second is that one, not a second.
        if (signal === first.signal && performance.now() - first.at < SAME_SIGNAL_MS) return;
        log.warn({ signal }, 'second signal: exiting without a clean stop');
        process.exit(1);
      }
      first = { signal, at: performance.now() };
      log.info({ signal }, 'signal received, stopping');
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  const deadline = setTimeout(() => {
    log.error({ stopTimeoutMs }, 'the stop took longer than STOP_TIMEOUT: exiting without a clean stop');
    process.exit(1);
  }, stopTimeoutMs);
  deadline.unref();
  await daemon.stop();
  clearTimeout(deadline);
  return failure;
}
