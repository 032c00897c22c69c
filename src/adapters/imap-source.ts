/**
 * The IMAP mail source (SPEC §6): a backlog pass on connect, then IDLE; every message is handed to
 * the handler and moved to the PortDesk folder its disposition names. Messages are fetched in
 * batches; a batch is handled message by message, then moved with one `UID MOVE` per folder, and
 * the cursor {uidValidity, lastUid} is saved once after those moves so a restart resumes where it
 * stopped.
 *
 * Delivery is at-least-once: a connection lost (or a crash) between the handler and the batch's
 * move hands the handled-but-unmoved messages over again on reconnect, and a UIDVALIDITY change
 * hands over the whole mailbox again. The inbound log de-duplicates by Message-ID (returning the
 * stored disposition, so a repeat goes to the same folder); this source never tries to.
 *
 * This file is the session: connect, the passes over the mailbox, IDLE and the quick check, the
 * resync and the watchdog probe, reconnecting with backoff. Its parts are in imap/: the batch
 * work and the revisit pass over deferred messages (mailbox-batches.ts, with sequence-set.ts for
 * its MOVEs), the PortDesk folders (folders.ts), the events (events.ts) and the error codes
 * (imap-source-error.ts).
 *
 * imapflow facts this file depends on (TESTING.md):
 *  - a closed ImapFlow cannot connect again: every session builds a new one;
 *  - an 'error' event without a listener kills the process: one is attached before connect();
 *  - IDLE does not start while a mailbox lock is held: the lock is released before idling.
 */
import { EventEmitter } from 'node:events';
import { ImapFlow } from 'imapflow';
import type { ImapConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { MailSource, MessageHandler } from '../ports/mail-source.js';
import { computeBackoff, DEFAULT_BACKOFF, type BackoffOptions } from '../domain/backoff.js';
import type { ImapSourceEvents } from './imap/events.js';
import { DEFAULT_FOLDERS, ensureFolders, type FolderSegments } from './imap/folders.js';
import { describeError, ImapSourceError } from './imap/imap-source-error.js';
import { MailboxBatches, type CursorStore } from './imap/mailbox-batches.js';

export type { ImapSourceEvents, ProcessedEvent } from './imap/events.js';
export { DEFAULT_FOLDERS, type FolderDisposition, type FolderPaths, type FolderSegments } from './imap/folders.js';
export { ImapSourceError } from './imap/imap-source-error.js';
export type { CursorStore } from './imap/mailbox-batches.js';

export interface ImapSourceOptions {
  config: ImapConfig;
  cursors: CursorStore;
  log: Logger;
  /** How often the mailbox is searched even without an EXISTS, and the connection probed (default 5 min). */
  resyncIntervalMs?: number;
  /**
   * How often deferred messages (left in the mailbox below the cursor) are handed over again, in
   * ms (default: the resync interval). They are also handed over after every connect and with
   * every resync, so a value above the resync interval changes nothing.
   */
  retryDeferredIntervalMs?: number;
  /** How long the probe (NOOP) may take before the connection is declared dead (default 30 s). */
  watchdogTimeoutMs?: number;
  backoff?: Partial<Omit<BackoffOptions, 'random'>> & { random?: () => number };
  folders?: Partial<FolderSegments>;
  /**
   * Messages fetched, then moved and recorded together (default 100); each is still handled one
   * at a time. A crash re-hands at most this many handled-but-unmoved messages to the handler.
   */
  fetchBatchSize?: number;
  /** A batch also stops before its messages add up to more than this many bytes (default 32 MB). */
  maxBatchBytes?: number;
  /** A message over this many bytes is fetched only in part and parked unread (default 25 MB). */
  maxMessageBytes?: number;
  /** Connection, greeting and socket timeouts handed to imapflow (default 30 s). */
  connectTimeoutMs?: number;
  /**
   * While idle, also ask the server for new mail (NOOP) this often, in ms; 0 relies on IDLE alone
   * (default 0). Dovecot tells an IDLE client about a new message only after a fixed half-second
   * delay; a NOOP makes it report the message at once.
   */
  checkIntervalMs?: number;
  /**
   * Messages handed to the handler before the first of them is answered (default 1). A handler
   * that keeps its decisions in order itself (the desk's does) lets parsing and the durable
   * writes of several messages overlap; the batch is still moved and recorded in UID order.
   */
  handlerConcurrency?: number;
}

export class ImapSource extends EventEmitter<ImapSourceEvents> implements MailSource {
  private readonly config: ImapConfig;
  private readonly log: Logger;
  private readonly resyncIntervalMs: number;
  private readonly retryDeferredIntervalMs: number;
  private readonly watchdogTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly folderSegments: FolderSegments;
  private readonly connectTimeoutMs: number;
  private readonly checkIntervalMs: number;
  /** The batch work and the revisit pass, run by the session. */
  private readonly batches: MailboxBatches;

  private running = false;
  private loop: Promise<void> | undefined;
  /** Set by EXISTS, session close and stop(); cleared before each pass over the mailbox. */
  private wakePending = false;
  private readonly wakeWaiters = new Set<() => void>();
  private stopRequested: (() => void) | undefined;
  private readonly stopped: Promise<void>;

  constructor(options: ImapSourceOptions) {
    super();
    this.config = options.config;
    this.log = options.log.child({ source: 'imap', mailbox: options.config.mailbox });
    this.resyncIntervalMs = options.resyncIntervalMs ?? 5 * 60_000;
    // At least 1 ms: 0 would revisit on every pass of the loop, a SEARCH per new message.
    this.retryDeferredIntervalMs = Math.max(1, options.retryDeferredIntervalMs ?? this.resyncIntervalMs);
    this.watchdogTimeoutMs = options.watchdogTimeoutMs ?? 30_000;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.folderSegments = { ...DEFAULT_FOLDERS, ...options.folders };
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.checkIntervalMs = Math.max(0, options.checkIntervalMs ?? 0);
    this.batches = new MailboxBatches({
      config: options.config,
      cursors: options.cursors,
      log: this.log,
      events: this,
      isRunning: () => this.running,
      fetchBatchSize: Math.max(1, options.fetchBatchSize ?? 100),
      maxBatchBytes: Math.max(1, options.maxBatchBytes ?? 32 * 1024 * 1024),
      ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
      handlerConcurrency: Math.max(1, options.handlerConcurrency ?? 1),
    });
    this.stopped = new Promise((resolve) => (this.stopRequested = resolve));
  }

  /**
   * Starts reading. Resolves once the first session is ready, or after a first failure that may
   * heal (server down: retried in the background with backoff). Rejects when the server refuses
   * the credentials, since retrying cannot fix a wrong password.
   */
  async start(handler: MessageHandler): Promise<void> {
    if (this.running || this.loop) throw new Error('ImapSource already started');
    this.running = true;
    let settleFirst!: (err?: unknown) => void;
    const first = new Promise<void>((resolve, reject) => {
      settleFirst = (err?: unknown) => (err === undefined ? resolve() : reject(err));
    });
    let firstSettled = false;
    const onFirst = (err?: unknown) => {
      if (firstSettled) return;
      firstSettled = true;
      settleFirst(err);
    };
    this.loop = this.runLoop(handler, onFirst);
    try {
      await first;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Lets the message in hand finish, moves and records what was handled, then logs out. */
  async stop(): Promise<void> {
    if (!this.loop) return;
    if (this.running) {
      this.running = false;
      this.stopRequested?.();
      this.wake();
    }
    await this.loop;
  }

  private wake(): void {
    this.wakePending = true;
    for (const w of this.wakeWaiters) w();
    this.wakeWaiters.clear();
  }

  /** Resolves on the next wake() (or at once if one is pending), or after `ms`. */
  private waitForWake(ms: number): Promise<void> {
    if (this.wakePending) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeWaiters.add(done);
    });
  }

  private sleepUnlessStopped(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
      this.stopped,
    ]).finally(() => clearTimeout(timer));
  }

  private async runLoop(handler: MessageHandler, onFirst: (err?: unknown) => void): Promise<void> {
    let attempt = 0;
    while (this.running) {
      try {
        await this.runSession(handler, () => {
          attempt = 0;
          onFirst();
        });
      } catch (err) {
        const e = describeError(err);
        const authFailed = (err as { authenticationFailed?: unknown }).authenticationFailed === true;
        if (authFailed) {
          this.log.error({ err: e, user: this.config.user, host: this.config.host }, 'IMAP login refused');
          onFirst(err);
        } else {
          this.log.warn({ err: e }, 'IMAP session ended with an error');
          onFirst();
        }
      }
      if (!this.running) break;
      this.emit('disconnected');
      const delayMs = computeBackoff(attempt, this.backoff);
      attempt += 1;
      this.log.info({ attempt, delayMs }, 'reconnecting to IMAP');
      this.emit('reconnecting', { attempt, delayMs });
      await this.sleepUnlessStopped(delayMs);
    }
    onFirst();
  }

  private createClient(): ImapFlow {
    return new ImapFlow({
      host: this.config.host,
      port: this.config.port,
      // Without implicit TLS imapflow upgrades when the server offers STARTTLS; a server that
      // offers none (a local test server) stays plain.
      secure: this.config.secure,
      auth: { user: this.config.user, pass: this.config.password },
      // imapflow's own logger would be a second, unredacted log stream; connection problems
      // reach ours through errors and events.
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: this.connectTimeoutMs,
      greetingTimeout: this.connectTimeoutMs,
      // Longer than the probe interval, so an IDLE on a server that sends no keep-alives is
      // broken by our probe rather than torn down by this timer; still bounds a command that
      // hangs mid-drain, where the probe does not run.
      socketTimeout: Math.max(2 * this.resyncIntervalMs, this.connectTimeoutMs, 60_000),
    });
  }

  private async runSession(handler: MessageHandler, onReady: () => void): Promise<void> {
    const client = this.createClient();
    let closed = false;
    client.on('error', (err) => this.log.warn({ err: describeError(err) }, 'IMAP connection error'));
    client.on('close', () => {
      closed = true;
      this.wake();
    });
    client.on('exists', (e) => {
      if (e.count > e.prevCount) this.wake();
    });
    try {
      await client.connect();
      const folders = await ensureFolders(client, this.folderSegments, this.log);
      const mailbox = await client.mailboxOpen(this.config.mailbox);
      const uidValidity = mailbox.uidValidity.toString();
      this.log.info({ folders, uidValidity, exists: mailbox.exists }, 'IMAP connected');
      this.emit('ready', { folders, mailbox: this.config.mailbox, uidValidity });
      onReady();

      let nextResync = Date.now() + this.resyncIntervalMs;
      // Deferred messages of an earlier session are handed over first, before the backlog: they
      // are the oldest. Revisiting after the drain would hand a message deferred by this very
      // drain straight back to the handler.
      let revisitDue = true;
      let nextRevisit = Number.POSITIVE_INFINITY;
      while (this.running && !closed) {
        this.wakePending = false;
        // Checked here too, not only while idle: a steady stream of EXISTS never lets it idle.
        if (revisitDue || Date.now() >= nextRevisit) {
          revisitDue = false;
          await this.batches.revisitDeferred(client, handler, folders, () => closed);
          nextRevisit = Date.now() + this.retryDeferredIntervalMs;
          if (!this.running || closed) break;
        }
        await this.batches.drain(client, handler, folders, () => closed);
        if (!this.running || closed) break;
        if (this.wakePending) continue;
        // No lock is held here, so IDLE starts as soon as the connection is free; the next
        // command (the drain after an EXISTS, the probe) breaks it.
        client.idle({ whenFree: true }).catch(() => undefined);
        this.emit('idle');
        for (;;) {
          const untilTimer = Math.max(0, Math.min(nextResync, nextRevisit) - Date.now());
          await this.waitForWake(this.checkIntervalMs > 0 ? Math.min(this.checkIntervalMs, untilTimer) : untilTimer);
          if (!this.running || closed || this.wakePending) break;
          if (Date.now() >= nextResync) {
            await this.probe(client);
            nextResync = Date.now() + this.resyncIntervalMs;
            revisitDue = true;
            // Drain even without an EXISTS: a silently dead IDLE may have missed one.
            break;
          }
          // The outer loop sees the revisit is due.
          if (Date.now() >= nextRevisit) break;
          // The quick check: the NOOP (which breaks IDLE) makes the server report new mail now;
          // its EXISTS wakes the loop. Nothing new: back to IDLE until the next check.
          await this.probe(client);
          if (!this.running || closed || this.wakePending) break;
          this.emit('check');
          client.idle({ whenFree: true }).catch(() => undefined);
        }
      }
    } finally {
      if (!closed) {
        if (!this.running) await this.logoutQuietly(client);
        else client.close();
      }
      client.removeAllListeners('exists');
    }
  }

  /** LOGOUT, but never waits longer than the watchdog allows: a dead server must not hold up stop(). */
  private async logoutQuietly(client: ImapFlow): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.logout().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.watchdogTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!client.isClosed) client.close();
  }

  /** NOOP with a deadline: a connection that stopped answering is closed so the loop reconnects. */
  private async probe(client: ImapFlow): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.noop(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ImapSourceError('IMAP_WATCHDOG_TIMEOUT', `no answer to NOOP within ${this.watchdogTimeoutMs} ms`)),
            this.watchdogTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
