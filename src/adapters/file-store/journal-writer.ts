/**
 * Appending commits to DATA_DIR/journal.jsonl with group commit: a commit resolves only once its
 * line is written and fsynced, and commits that arrive while an fsync is in flight are written
 * together by the next append, one write and one fsync for the group, so throughput grows with
 * concurrency instead of being capped at one fsync per message. A failed write leaves memory
 * ahead of the disk: from then on every commit is refused until a restart reloads the disk.
 */
import type { FileHandle } from 'node:fs/promises';
import type { OutboxEntry, WebhookEvent } from '../../domain/records.js';
import { JOURNAL_LINE_VERSION, OUTBOX_STATUS_FIELDS, type EventStatus, type JournalChanges, type OutboxStatus, type ParsedChanges } from './schemas.js';
import { StoreError } from './store-error.js';

/** What the writer needs from the store it writes for. */
export interface JournalHost {
  /** Sequence number of the last line in the journal; the writer numbers the next ones. */
  seq(): number;
  /** Offset of the journal's end: where the next group goes, and what a failed write is cut back to. */
  end(): number;
  /** A group is durable: its last sequence number, its size in bytes and in lines. */
  appended(seq: number, bytes: number, lines: number): void;
  /** After the group's commits have resolved: the store may compact. */
  afterAppend(): Promise<void>;
  /** Runs `task` after every journal write, compaction or reload queued before it. */
  runExclusive(task: () => Promise<void>): Promise<void>;
  onFailure?: ((err: StoreError) => void) | undefined;
}

interface PendingCommit {
  /** As the journal line records it (see toJournalForm). */
  changes: JournalChanges;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class JournalWriter {
  /** Set by the first failed write; every later commit is refused with it. */
  failure: StoreError | undefined;
  private pending: PendingCommit[] = [];
  private draining = false;
  /** The last commit accepted; flush() waits for it. */
  private lastCommit: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly fh: FileHandle,
    private readonly host: JournalHost,
  ) {}

  /** Queues one commit's line; resolves once it is durable. */
  write(changes: JournalChanges): Promise<void> {
    const durable = new Promise<void>((resolve, reject) => {
      this.pending.push({ changes, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.host.runExclusive(() => this.drain()).catch((err: unknown) => {
          // drain() settles every commit itself; this only guards against a bug leaving callers hanging.
          this.draining = false;
          for (const p of this.pending.splice(0)) p.reject(err);
        });
      }
    });
    this.lastCommit = durable;
    return durable;
  }

  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.lastCommit.then(() => undefined);
  }

  /** Empties the journal durably (its lines are in the snapshot now). */
  async truncate(): Promise<void> {
    await this.fh.truncate(0);
    await this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }

  /** Writes pending commits, a group per append, until none are left. */
  private async drain(): Promise<void> {
    for (;;) {
      // Checked and cleared in the same synchronous step, so a commit arriving later always
      // either finds draining=false and schedules, or is picked up by this loop.
      if (this.pending.length === 0) {
        this.draining = false;
        return;
      }
      const group = this.pending.splice(0);
      if (this.failure) {
        for (const p of group) p.reject(this.failure);
        continue;
      }
      let seq = this.host.seq();
      let text = '';
      for (const p of group) text += `${JSON.stringify({ v: p.changes.events || p.changes.eventStatus ? JOURNAL_LINE_VERSION : p.changes.users ? 3 : p.changes.outboxStatus ? 2 : 1, seq: ++seq, changes: p.changes })}\n`;
      const data = Buffer.from(text);
      try {
        await this.append(data);
      } catch (err) {
        // Memory already holds these changes and cannot take them back: refuse everything from
        // now on, so nothing is decided on records the disk does not have.
        if (!this.failure) {
          this.failure = new StoreError('STORE_IO', `could not write ${this.file} (${(err as Error).message}); restart portdesk`, {
            cause: err,
            file: this.file,
          });
          try {
            this.host.onFailure?.(this.failure);
          } catch {
            // The owner's handler must not stop the rejections below.
          }
        }
        for (const p of group) p.reject(this.failure);
        continue;
      }
      this.host.appended(seq, data.length, group.length);
      for (const p of group) p.resolve();
      await this.host.afterAppend();
    }
  }

  private async append(data: Buffer): Promise<void> {
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await this.fh.write(data, written, data.length - written);
        written += bytesWritten;
      }
      await this.fh.datasync();
    } catch (err) {
      // Cut off whatever part of the group reached the file, so that a reload does not find a
      // torn line followed by nothing. The store accepts no more writes either way (see drain).
      await this.fh.truncate(this.host.end()).catch(() => undefined);
      throw err;
    }
  }
}

/**
 * An outbox entry whose message is the one already live (only its delivery fields changed) is
 * journalled as a status line: the e-mail's text and HTML are written once, when it is queued,
 * not again with every attempt. An event whose content is the live one's likewise: only its
 * deliveries. Must run before the changes are applied.
 */
export function toJournalForm(
  changes: ParsedChanges,
  liveOutbox: (id: string) => OutboxEntry | undefined,
  liveEvent: (id: string) => WebhookEvent | undefined = () => undefined,
): JournalChanges {
  return withEventStatus(withOutboxStatus(changes, liveOutbox), liveEvent);
}

function withOutboxStatus(changes: ParsedChanges, liveOutbox: (id: string) => OutboxEntry | undefined): JournalChanges {
  if (!changes.outbox?.length) return changes;
  const full: OutboxEntry[] = [];
  const outboxStatus: OutboxStatus[] = [];
  for (const e of changes.outbox) {
    const live = liveOutbox(e.id);
    if (live && sameMessage(live, e)) {
      outboxStatus.push({
        id: e.id,
        status: e.status,
        attempts: e.attempts,
        nextAttemptAt: e.nextAttemptAt,
        ...(e.lastError !== undefined ? { lastError: e.lastError } : {}),
        ...(e.sentAt !== undefined ? { sentAt: e.sentAt } : {}),
      });
    } else {
      full.push(e);
    }
  }
  if (outboxStatus.length === 0) return changes;
  const { outbox: _all, ...rest } = changes;
  return { ...rest, ...(full.length ? { outbox: full } : {}), outboxStatus };
}

function withEventStatus(changes: JournalChanges, liveEvent: (id: string) => WebhookEvent | undefined): JournalChanges {
  if (!changes.events?.length) return changes;
  const full: WebhookEvent[] = [];
  const eventStatus: EventStatus[] = [];
  for (const e of changes.events) {
    const live = liveEvent(e.id);
    const same = live && live.type === e.type && live.timestamp === e.timestamp && live.orderId === e.orderId && JSON.stringify(live.data) === JSON.stringify(e.data);
    if (same) eventStatus.push({ id: e.id, deliveries: e.deliveries });
    else full.push(e);
  }
  if (eventStatus.length === 0) return changes;
  const { events: _all, ...rest } = changes;
  return { ...rest, ...(full.length ? { events: full } : {}), eventStatus };
}

/** Whether two versions of an outbox entry carry the same e-mail (they may differ in delivery fields). */
function sameMessage(a: OutboxEntry, b: OutboxEntry): boolean {
  const skip: readonly string[] = OUTBOX_STATUS_FIELDS;
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) {
    if (skip.includes(k)) continue;
    const x = ra[k];
    const y = rb[k];
    if (x === y) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
  }
  return true;
}
