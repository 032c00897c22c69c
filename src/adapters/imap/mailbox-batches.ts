/**
 * The IMAP source's work on one open session: search and fetch the messages above the cursor in
 * batches within the batch limits, hand each to the handler (a few at a time), then settle the
 * batch: one `UID MOVE` per folder and one cursor save. Also the revisit pass over deferred
 * messages. The session loop (../imap-source.ts) decides when each pass runs.
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
 * imapflow facts this file depends on (TESTING.md):
 *  - IMAP commands issued inside a fetch iterator deadlock: messages are collected first;
 *  - `UID FETCH n:*` returns the last message even when its UID is below n: UIDs are filtered;
 *  - IDLE does not start while a mailbox lock is held: every lock taken here is released before
 *    the handler runs and before the pass returns, so the session can idle between passes.
 */
import type { EventEmitter } from 'node:events';
import type { ImapFlow, FetchMessageObject } from 'imapflow';
import type { ImapConfig } from '../../config.js';
import type { MailboxCursor } from '../../domain/records.js';
import type { Logger } from '../../logger.js';
import type { Disposition, MessageHandler } from '../../ports/mail-source.js';
import type { ImapSourceEvents } from './events.js';
import type { FolderPaths } from './folders.js';
import { isTransient } from '../../errors.js';
import { MAX_MESSAGE_BYTES, MAX_OVERSIZE_PREFIX_BYTES } from '../../mail/limits.js';
import { describeError, ImapSourceError } from './imap-source-error.js';
import { toSequenceSet } from './sequence-set.js';

/** Where the source keeps its place in each mailbox; save() resolves once the cursor is durable. */
export interface CursorStore {
  get(mailbox: string): MailboxCursor | undefined;
  save(mailbox: string, cursor: MailboxCursor): Promise<void>;
}

export interface MailboxBatchesOptions {
  /** The source's config; the mailbox name is read from it at each use. */
  config: Pick<ImapConfig, 'mailbox'>;
  cursors: CursorStore;
  log: Logger;
  /** Where 'processed', 'revisited' and 'uidvalidity' are emitted: the ImapSource itself. */
  events: Pick<EventEmitter<ImapSourceEvents>, 'emit'>;
  /** False once stop() was called: the messages in hand finish, no new batch starts. */
  isRunning: () => boolean;
  fetchBatchSize: number;
  maxBatchBytes: number;
  /** A message over this is fetched only in part and parked unread (default MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  handlerConcurrency: number;
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

export class MailboxBatches {
  private readonly config: Pick<ImapConfig, 'mailbox'>;
  private readonly cursors: CursorStore;
  private readonly log: Logger;
  private readonly events: Pick<EventEmitter<ImapSourceEvents>, 'emit'>;
  private readonly isRunning: () => boolean;
  private readonly fetchBatchSize: number;
  private readonly maxBatchBytes: number;
  private readonly maxMessageBytes: number;
  /** Sizes of the messages fetched only in part (over maxMessageBytes), until they are handed over. */
  private readonly oversize = new Map<number, number>();
  private readonly handlerConcurrency: number;

  constructor(options: MailboxBatchesOptions) {
    this.config = options.config;
    this.cursors = options.cursors;
    this.log = options.log;
    this.events = options.events;
    this.isRunning = options.isRunning;
    this.fetchBatchSize = options.fetchBatchSize;
    this.maxBatchBytes = options.maxBatchBytes;
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.handlerConcurrency = options.handlerConcurrency;
  }

  /**
   * Handles every message above the cursor, oldest first, until none is left or stop() is called.
   * Each fetched batch is handled message by message, then moved with one `UID MOVE` per target
   * folder and recorded with one cursor save: on a large INBOX a MOVE costs about as much for one
   * message as for hundreds, so moving one at a time would dominate the backlog.
   */
  async drain(client: ImapFlow, handler: MessageHandler, folders: FolderPaths, isClosed: () => boolean): Promise<void> {
    const mailboxName = this.config.mailbox;
    for (;;) {
      if (!this.isRunning()) return;
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
      if (!this.isRunning() || isClosed()) return;
    }
  }

  /**
   * The revisit pass: hands over again, in UID order and in batches like drain's, the messages
   * still in the mailbox at or below the cursor — the deferred ones, since everything else handled
   * was moved before the cursor passed it. One SEARCH per pass, so a message deferred again waits
   * for the next pass instead of being handed straight back. The cursor does not move.
   */
  async revisitDeferred(client: ImapFlow, handler: MessageHandler, folders: FolderPaths, isClosed: () => boolean): Promise<void> {
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
    while (pending.length > 0 && this.isRunning() && !isClosed()) {
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
    this.events.emit('revisited', { uidValidity, found });
  }

  /**
   * Fetches the sources of the first of `uids` (sorted) that fit the batch limits: `uids` says
   * which were asked for, `messages` what came back (an expunged one does not), in UID order.
   * fetchAll collects before returning: no command may run inside a fetch iterator.
   */
  private async fetchBatch(client: ImapFlow, uids: number[]): Promise<{ uids: number[]; messages: FetchMessageObject[] }> {
    const { wanted, oversize } = await this.withinBatchBytes(client, uids.slice(0, this.fetchBatchSize));
    const whole = wanted.filter((uid) => !oversize.has(uid));
    const messages = whole.length ? await client.fetchAll(whole, { uid: true, source: true, internalDate: true }, { uid: true }) : [];
    // A message over MAX_MESSAGE_BYTES is not downloaded: its first bytes say what it is, and the
    // desk parks it unread (SPEC §10: a size cap checked before the work, not after).
    const partial = [...oversize.keys()];
    if (partial.length) {
      const heads = await client.fetchAll(partial, { uid: true, source: { maxLength: MAX_OVERSIZE_PREFIX_BYTES }, internalDate: true }, { uid: true });
      for (const head of heads) this.oversize.set(head.uid, oversize.get(head.uid)!);
      messages.push(...heads);
    }
    return { uids: wanted, messages: messages.sort((a, b) => a.uid - b.uid) };
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
      if (!this.isRunning() || isClosed()) break;
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
  private async withinBatchBytes(client: ImapFlow, uids: number[]): Promise<{ wanted: number[]; oversize: Map<number, number> }> {
    const oversize = new Map<number, number>();
    if (uids.length === 0) return { wanted: uids, oversize };
    const sizes = new Map((await client.fetchAll(uids, { uid: true, size: true }, { uid: true })).map((m) => [m.uid, m.size ?? 0]));
    let total = 0;
    let count = 0;
    for (const uid of uids) {
      const size = sizes.get(uid) ?? 0;
      const counted = size > this.maxMessageBytes ? MAX_OVERSIZE_PREFIX_BYTES : size;
      total += counted;
      if (count > 0 && total > this.maxBatchBytes) break;
      if (size > this.maxMessageBytes) oversize.set(uid, size);
      count += 1;
    }
    return { wanted: uids.slice(0, count), oversize };
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
      const size = this.oversize.get(uid);
      this.oversize.delete(uid);
      const receivedAt = message.internalDate instanceof Date && !Number.isNaN(message.internalDate.getTime()) ? message.internalDate : undefined;
      disposition = await handler(message.source, {
        mailbox: this.config.mailbox,
        uid,
        uidValidity,
        ...(receivedAt ? { receivedAt } : {}),
        ...(size !== undefined ? { oversize: size } : {}),
      });
    } catch (err) {
      if (isTransient(err)) {
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
    this.events.emit('processed', { uid: h.uid, uidValidity, disposition: h.disposition, folder: h.folder, failed: h.failed });
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
    this.events.emit('uidvalidity', { previous: cursor.uidValidity, current: uidValidity });
    return 0;
  }
}
