/**
 * The IMAP mail source (SPEC §6): a backlog pass on connect, then IDLE; every message is handed to
 * the handler and moved to the PortDesk folder its disposition names. Messages are fetched in
 * batches; a batch is handled message by message, then moved with one `UID MOVE` per folder, and
 * the cursor {uidValidity, lastUid} is saved once after those moves so a restart resumes where it
 * stopped.
 *
 * A message the handler answers `deferred` (the desk cannot decide yet: its mail authentication
 * waits on DNS answers that timed out) is not moved: it stays in the mailbox, and the cursor still
 * passes it once the rest of its batch is moved, so one message waiting on DNS never holds up the
 * mail behind it. That makes "still in the mailbox at or below the cursor" mean "deferred" (all
 * else handled was moved before the cursor was saved), so the revisit pass — `UID SEARCH
 * 1:lastUid` on every connect, every resync and every `retryDeferredIntervalMs` — finds the
 * deferred messages without a list of its own and hands them over again in UID order; an answer
 * other than `deferred` moves them as usual. It never runs on an IDLE wake-up: that would cost a
 * SEARCH per new message. A handler error with `retry` is different: it stops the batch, and that
 * message and everything after it stay above the cursor (see drain).
 *
 * Delivery is at-least-once: a connection lost (or a crash) between the handler and the batch's
 * move hands the handled-but-unmoved messages over again on reconnect, and a UIDVALIDITY change
 * hands over the whole mailbox again. The inbound log de-duplicates by Message-ID (returning the
 * stored disposition, so a repeat goes to the same folder); this source never tries to.
 *
 * imapflow facts this file depends on (TESTING.md):
 *  - a closed ImapFlow cannot connect again: every session builds a new one;
 *  - an 'error' event without a listener kills the process: one is attached before connect();
 *  - IMAP commands issued inside a fetch iterator deadlock: messages are collected first;
 *  - `UID FETCH n:*` returns the last message even when its UID is below n: UIDs are filtered;
 *  - IDLE does not start while a mailbox lock is held: the lock is released before idling.
 */
import { EventEmitter } from 'node:events';
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import type { ImapConfig } from '../config.js';
import type { MailboxCursor } from '../domain/records.js';
import type { Logger } from '../logger.js';
import type { Disposition, MailSource, MessageHandler } from '../ports/mail-source.js';
import { computeBackoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';

/** Where the source keeps its place in each mailbox; save() resolves once the cursor is durable. */
export interface CursorStore {
  get(mailbox: string): MailboxCursor | undefined;
  save(mailbox: string, cursor: MailboxCursor): Promise<void>;
}

/** The dispositions that move a message to a folder of its own; `deferred` leaves it where it is. */
export type FolderDisposition = Exclude<Disposition, 'deferred'>;

/** Target folders as path segments under the personal namespace, joined with the server's delimiter. */
export type FolderSegments = Record<FolderDisposition, readonly string[]>;

/** The target folders' full paths on the server. */
export type FolderPaths = Record<FolderDisposition, string>;

export const DEFAULT_FOLDERS: FolderSegments = {
  processed: ['PortDesk', 'Processed'],
  review: ['PortDesk', 'Review'],
  ignored: ['PortDesk', 'Ignored'],
};

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

/** A message the handler is done with, waiting for its batch's MOVE. */
interface HandledMessage {
  uid: number;
  /** Expunged before it could be fetched: nothing to move, but the cursor may pass it. */
  vanished: boolean;
  disposition: Disposition;
  /** The target folder; for `deferred` the mailbox the message stays in. */
  folder: string;
  failed: boolean;
  /** The handler could not record anything (see MessageHandler): the message stays put. */
  retry?: boolean;
}

/** An IMAP sequence set for sorted UIDs, runs collapsed (`3:7,9`) to keep the command short. */
function toSequenceSet(uids: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < uids.length) {
    const first = uids[i]!;
    let last = first;
    while (i + 1 < uids.length && uids[i + 1] === last + 1) last = uids[++i]!;
    parts.push(first === last ? String(first) : `${first}:${last}`);
    i += 1;
  }
  return parts.join(',');
}

export interface ProcessedEvent {
  uid: number;
  uidValidity: string;
  disposition: Disposition;
  /**
   * Where the message is now: the folder it was moved to, or, for `deferred`, the mailbox it
   * stays in (the configured mailbox, e.g. `INBOX`) until it is handed over again.
   */
  folder: string;
  /** The handler threw; the message went to Review. */
  failed: boolean;
}

/**
 * Events, for the composition root's health view and for tests that wait on progress:
 * 'ready' (folders, mailbox) after each connect · 'idle' when caught up and waiting ·
 * 'check' after a quick check while idle that found nothing new ·
 * 'processed' (ProcessedEvent; also for a deferred message, each time it is handed over) ·
 * 'revisited' ({ uidValidity, found }) after each pass over the deferred messages ·
 * 'uidvalidity' ({ previous, current }) · 'disconnected' · 'reconnecting' ({ attempt, delayMs }).
 */
export interface ImapSourceEvents {
  ready: [info: { folders: FolderPaths; mailbox: string; uidValidity: string }];
  idle: [];
  /** A quick check (NOOP) while idle found the mailbox as it was. */
  check: [];
  processed: [event: ProcessedEvent];
  /**
   * A revisit pass is over: `found` messages were left below the cursor (deferred ones) and handed
   * over again, or fewer if stop() or a lost connection cut the pass short.
   */
  revisited: [info: { uidValidity: string; found: number }];
  uidvalidity: [change: { previous: string; current: string }];
  disconnected: [];
  reconnecting: [info: { attempt: number; delayMs: number }];
}

/** The error code (ours, imapflow's or the server's) that a log line should carry. */
function describeError(err: unknown): { code?: string; message: string } {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; serverResponseCode?: unknown };
    const code = typeof e.code === 'string' ? e.code : typeof e.serverResponseCode === 'string' ? e.serverResponseCode : undefined;
    return { code, message: e.message };
  }
  return { message: String(err) };
}

/** A transient failure of the session; the loop reconnects and carries on. */
export class ImapSourceError extends Error {
  constructor(
    readonly code: 'IMAP_MOVE_FAILED' | 'IMAP_SEARCH_FAILED' | 'IMAP_WATCHDOG_TIMEOUT' | 'IMAP_HANDLER_RETRY',
    message: string,
  ) {
    super(message);
    this.name = 'ImapSourceError';
  }
}

export class ImapSource extends EventEmitter<ImapSourceEvents> implements MailSource {
  private readonly config: ImapConfig;
  private readonly cursors: CursorStore;
  private readonly log: Logger;
  private readonly resyncIntervalMs: number;
  private readonly retryDeferredIntervalMs: number;
  private readonly watchdogTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly folderSegments: FolderSegments;
  private readonly fetchBatchSize: number;
  private readonly maxBatchBytes: number;
  private readonly connectTimeoutMs: number;
  private readonly checkIntervalMs: number;
  private readonly handlerConcurrency: number;

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
    this.cursors = options.cursors;
    this.log = options.log.child({ source: 'imap', mailbox: options.config.mailbox });
    this.resyncIntervalMs = options.resyncIntervalMs ?? 5 * 60_000;
    // At least 1 ms: 0 would revisit on every pass of the loop, a SEARCH per new message.
    this.retryDeferredIntervalMs = Math.max(1, options.retryDeferredIntervalMs ?? this.resyncIntervalMs);
    this.watchdogTimeoutMs = options.watchdogTimeoutMs ?? 30_000;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.folderSegments = { ...DEFAULT_FOLDERS, ...options.folders };
    this.fetchBatchSize = Math.max(1, options.fetchBatchSize ?? 100);
    this.maxBatchBytes = Math.max(1, options.maxBatchBytes ?? 32 * 1024 * 1024);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.checkIntervalMs = Math.max(0, options.checkIntervalMs ?? 0);
    this.handlerConcurrency = Math.max(1, options.handlerConcurrency ?? 1);
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
      const folders = await this.ensureFolders(client);
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
          await this.revisitDeferred(client, handler, folders, () => closed);
          nextRevisit = Date.now() + this.retryDeferredIntervalMs;
          if (!this.running || closed) break;
        }
        await this.drain(client, handler, folders, () => closed);
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

  /**
   * Creates the PortDesk folders when missing, under the personal namespace prefix and with the
   * server's own delimiter (`INBOX.PortDesk.Review` on a Courier-style server, `PortDesk/Review`
   * on Dovecot's default).
   */
  private async ensureFolders(client: ImapFlow): Promise<FolderPaths> {
    const ns = client.namespace;
    const prefix = ns?.prefix ?? '';
    // A flat namespace (delimiter NIL) has no hierarchy: the segments become one name.
    const delimiter = ns?.delimiter ?? (ns?.delimiter === null ? '-' : '/');
    const existing = new Set((await client.list()).map((f) => f.path));
    const result = {} as FolderPaths;
    for (const disposition of ['processed', 'review', 'ignored'] as const) {
      const path = prefix + this.folderSegments[disposition].join(delimiter);
      result[disposition] = path;
      if (existing.has(path)) continue;
      const created = await client.mailboxCreate(path);
      await client.mailboxSubscribe(path).catch(() => undefined);
      if (created?.created) this.log.info({ folder: path }, 'IMAP folder created');
    }
    return result;
  }

  /**
   * Handles every message above the cursor, oldest first, until none is left or stop() is called.
   * Each fetched batch is handled message by message, then moved with one `UID MOVE` per target
   * folder and recorded with one cursor save: on a large INBOX a MOVE costs about as much for one
   * message as for hundreds, so moving one at a time would dominate the backlog.
   */
  private async drain(client: ImapFlow, handler: MessageHandler, folders: FolderPaths, isClosed: () => boolean): Promise<void> {
    const mailboxName = this.config.mailbox;
    for (;;) {
      if (!this.running) return;
      const lock = await client.getMailboxLock(mailboxName);
      let batch: FetchMessageObject[];
      let uidValidity: string;
      let lastUid: number;
      try {
        const box = client.mailbox;
        if (!box) throw new Error(`mailbox ${mailboxName} is not selected`);
        uidValidity = box.uidValidity.toString();
        lastUid = await this.resolveLastUid(uidValidity);
        if (box.exists === 0) return;
        const found = await client.search({ uid: `${lastUid + 1}:*` }, { uid: true });
        // Like MOVE, a failed SEARCH comes back as a value, not an exception.
        if (!Array.isArray(found)) throw new ImapSourceError('IMAP_SEARCH_FAILED', `could not search ${mailboxName}`);
        // `n:*` always matches the highest UID, even one at or below the cursor (a deferred one).
        const uids = found.filter((u) => u > lastUid).sort((a, b) => a - b);
        if (uids.length === 0) return;
        ({ messages: batch } = await this.fetchBatch(client, uids));
      } finally {
        lock.release();
      }
      if (batch.length === 0) return;
      const handled = await this.handleBatch(handler, folders, batch.filter((m) => m.uid > lastUid), uidValidity, isClosed);
      await this.settleBatch(client, handled, uidValidity, true);
      if (!this.running || isClosed()) return;
    }
  }

  /**
   * The revisit pass: hands over again, in UID order and in batches like drain's, the messages
   * still in the mailbox at or below the cursor — the deferred ones, since everything else handled
   * was moved before the cursor passed it. One SEARCH per pass, so a message deferred again waits
   * for the next pass instead of being handed straight back. The cursor does not move.
   */
  private async revisitDeferred(client: ImapFlow, handler: MessageHandler, folders: FolderPaths, isClosed: () => boolean): Promise<void> {
    const mailboxName = this.config.mailbox;
    let pending: number[];
    let uidValidity: string;
    const lock = await client.getMailboxLock(mailboxName);
    try {
      const box = client.mailbox;
      if (!box) throw new Error(`mailbox ${mailboxName} is not selected`);
      uidValidity = box.uidValidity.toString();
      const lastUid = await this.resolveLastUid(uidValidity);
      pending = [];
      if (lastUid > 0 && box.exists > 0) {
        const found = await client.search({ uid: `1:${lastUid}` }, { uid: true });
        if (!Array.isArray(found)) throw new ImapSourceError('IMAP_SEARCH_FAILED', `could not search ${mailboxName}`);
        pending = found.filter((u) => u <= lastUid).sort((a, b) => a - b);
      }
    } finally {
      lock.release();
    }
    const found = pending.length;
    if (found > 0) this.log.info({ uidValidity, count: found }, 'handing deferred messages over again');
    while (pending.length > 0 && this.running && !isClosed()) {
      const batchLock = await client.getMailboxLock(mailboxName);
      let batch: FetchMessageObject[];
      try {
        // A mailbox renumbered under the pass: these UIDs mean other messages now, and drain's
        // resync hands the whole mailbox over anyway.
        const box = client.mailbox;
        if (!box || box.uidValidity.toString() !== uidValidity) break;
        const fetched = await this.fetchBatch(client, pending);
        batch = fetched.messages;
        pending = pending.slice(fetched.uids.length);
      } finally {
        batchLock.release();
      }
      const handled = await this.handleBatch(handler, folders, batch, uidValidity, isClosed);
      await this.settleBatch(client, handled, uidValidity, false);
    }
    this.emit('revisited', { uidValidity, found });
  }

  /**
   * Fetches the sources of the first of `uids` (sorted) that fit the batch limits: `uids` says
   * which were asked for, `messages` what came back (an expunged one does not), in UID order.
   * fetchAll collects before returning: no command may run inside a fetch iterator.
   */
  private async fetchBatch(client: ImapFlow, uids: number[]): Promise<{ uids: number[]; messages: FetchMessageObject[] }> {
    const wanted = await this.withinBatchBytes(client, uids.slice(0, this.fetchBatchSize));
    const messages = (await client.fetchAll(wanted, { uid: true, source: true }, { uid: true })).sort((a, b) => a.uid - b.uid);
    return { uids: wanted, messages };
  }

  /** Hands a batch to the handler, up to `handlerConcurrency` at a time; the answers in UID order. */
  private async handleBatch(
    handler: MessageHandler,
    folders: FolderPaths,
    batch: FetchMessageObject[],
    uidValidity: string,
    isClosed: () => boolean,
  ): Promise<HandledMessage[]> {
    const handled: HandledMessage[] = [];
    const inFlight = new Set<Promise<void>>();
    for (const message of batch) {
      // stop() lets the messages in hand finish; a lost connection makes the rest of the batch
      // pointless to handle now, since none of it could be moved (it is handed over again).
      if (!this.running || isClosed()) break;
      const slot = handled.length;
      handled.length += 1;
      const handling = this.handleOne(handler, folders, message, uidValidity).then((h) => {
        handled[slot] = h;
        inFlight.delete(handling);
      });
      inFlight.add(handling);
      if (inFlight.size >= this.handlerConcurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return handled;
  }

  /**
   * Moves what the handler is done with; `advanceCursor` (drain) also records the cursor at the
   * last of it. A message the desk could not record stays in the mailbox, and so does everything
   * after it: the cursor may only pass what was moved (or deferred). The session ends; the
   * messages are handed over again after the reconnect (or after a restart of the desk).
   */
  private async settleBatch(client: ImapFlow, handled: HandledMessage[], uidValidity: string, advanceCursor: boolean): Promise<void> {
    const stuck = handled.findIndex((h) => h.retry);
    const movable = stuck < 0 ? handled : handled.slice(0, stuck);
    if (movable.length > 0) await this.moveHandled(client, movable, uidValidity, advanceCursor);
    if (stuck >= 0) {
      throw new ImapSourceError(
        'IMAP_HANDLER_RETRY',
        `the handler could not record UID ${handled[stuck]!.uid}; it stays in ${this.config.mailbox}`,
      );
    }
  }

  /**
   * The first of `uids` whose sizes add up to at most `maxBatchBytes` (always at least one): a
   * batch of a hundred large messages would otherwise be held, and parsed, all at once.
   */
  private async withinBatchBytes(client: ImapFlow, uids: number[]): Promise<number[]> {
    if (uids.length <= 1) return uids;
    const sizes = new Map((await client.fetchAll(uids, { uid: true, size: true }, { uid: true })).map((m) => [m.uid, m.size ?? 0]));
    let total = 0;
    let count = 0;
    for (const uid of uids) {
      total += sizes.get(uid) ?? 0;
      if (count > 0 && total > this.maxBatchBytes) break;
      count += 1;
    }
    return uids.slice(0, count);
  }

  /** Hands one message to the handler; a handler that throws sends the message to Review. */
  private async handleOne(
    handler: MessageHandler,
    folders: FolderPaths,
    message: FetchMessageObject,
    uidValidity: string,
  ): Promise<HandledMessage> {
    const uid = message.uid;
    if (!message.source) {
      // Expunged by someone else between SEARCH and FETCH: nothing to handle or move.
      this.log.info({ uid, uidValidity }, 'message vanished before it could be fetched');
      return { uid, vanished: true, disposition: 'ignored', folder: folders.ignored, failed: false };
    }
    let disposition: Disposition;
    let failed = false;
    try {
      disposition = await handler(message.source, { mailbox: this.config.mailbox, uid, uidValidity });
    } catch (err) {
      if ((err as { retry?: unknown }).retry === true) {
        this.log.error({ uid, uidValidity, err: describeError(err) }, 'handler could not record the message; it stays in the mailbox');
        return { uid, vanished: false, disposition: 'review', folder: folders.review, failed: true, retry: true };
      }
      // One bad message never stops the desk: it goes to Review and the loop moves on.
      failed = true;
      disposition = 'review';
      this.log.error({ uid, uidValidity, err: describeError(err) }, 'handler failed; message moved to Review');
    }
    if (disposition === 'deferred') {
      this.log.info({ uid, uidValidity }, 'message deferred; it stays in the mailbox to be handed over again');
      return { uid, vanished: false, disposition, folder: this.config.mailbox, failed };
    }
    return { uid, vanished: false, disposition, folder: folders[disposition], failed };
  }

  /**
   * Moves the handled messages (one `UID MOVE` per folder; a deferred one stays), then, with
   * `advanceCursor`, saves the cursor once, at the last of them: the handled messages are the
   * batch's oldest, so nothing below the cursor stays unmoved except deferred messages, which the
   * revisit pass looks for. A failed MOVE saves no cursor and ends the session; the messages it
   * did not move are handed over again after the reconnect, and the inbound log makes that harmless.
   */
  private async moveHandled(client: ImapFlow, handled: HandledMessage[], uidValidity: string, advanceCursor: boolean): Promise<void> {
    const byFolder = new Map<string, number[]>();
    for (const h of handled) {
      if (h.vanished || h.disposition === 'deferred') continue;
      const uids = byFolder.get(h.folder);
      if (uids) uids.push(h.uid);
      else byFolder.set(h.folder, [h.uid]);
    }
    const moved = new Set<string>();
    let failure: ImapSourceError | undefined;
    if (byFolder.size > 0) {
      const lock = await client.getMailboxLock(this.config.mailbox);
      try {
        for (const [folder, uids] of byFolder) {
          // imapflow reports a failed MOVE (a NO, or a connection that closed under it) as a
          // falsy result, not an exception. Recording the cursor anyway would strand the message
          // in the mailbox below the cursor, never to be read again.
          const result: unknown = await client.messageMove(toSequenceSet(uids), folder, { uid: true });
          if (!result) {
            failure = new ImapSourceError('IMAP_MOVE_FAILED', `could not move UID ${toSequenceSet(uids)} to ${folder}`);
            break;
          }
          moved.add(folder);
        }
      } finally {
        lock.release();
      }
    }
    if (failure) {
      // What did move is gone from the mailbox and will not come back: report it, keep the cursor.
      // A deferred message is not reported: it is above the cursor and handed over again anyway.
      for (const h of handled) if (!h.vanished && h.disposition !== 'deferred' && moved.has(h.folder)) this.reportProcessed(h, uidValidity);
      throw failure;
    }
    const last = handled[handled.length - 1];
    if (advanceCursor && last) await this.cursors.save(this.config.mailbox, { uidValidity, lastUid: last.uid });
    for (const h of handled) if (!h.vanished) this.reportProcessed(h, uidValidity);
  }

  private reportProcessed(h: HandledMessage, uidValidity: string): void {
    this.log.debug({ uid: h.uid, uidValidity, disposition: h.disposition, folder: h.folder }, 'message handled');
    this.emit('processed', { uid: h.uid, uidValidity, disposition: h.disposition, folder: h.folder, failed: h.failed });
  }

  /** The cursor's lastUid, or 0 (resync from the start) when the mailbox's UIDVALIDITY changed. */
  private async resolveLastUid(uidValidity: string): Promise<number> {
    const cursor = this.cursors.get(this.config.mailbox);
    if (!cursor) return 0;
    if (cursor.uidValidity === uidValidity) return cursor.lastUid;
    this.log.warn(
      { previous: cursor.uidValidity, current: uidValidity, lastUid: cursor.lastUid },
      'UIDVALIDITY changed: resyncing the mailbox from its first message',
    );
    await this.cursors.save(this.config.mailbox, { uidValidity, lastUid: 0 });
    this.emit('uidvalidity', { previous: cursor.uidValidity, current: uidValidity });
    return 0;
  }
}
