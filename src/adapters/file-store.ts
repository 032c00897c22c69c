/**
 * The desk's records on disk: a journal of commits plus a compacted snapshot, with finished
 * records moved to append-only archives.
 *
 * Why not one lowdb file: lowdb rewrites the whole file on every write. With 50,000 accounts
 * (≈15 MB) and tens of thousands of orders, every inbound message would rewrite tens of
 * megabytes, so a backlog of 10,000 messages would take hours and each new order would cost more
 * as the desk grows. Instead:
 *
 * - Everything live is in memory, with indexes (accounts by id and number, orders by id, number,
 *   token and outbound Message-ID, inbound log by key, outbox by id and queued, cursors), so a
 *   read never scans and a port request costs the same on a full store as on an empty one.
 * - `commit` validates the Changes with the zod schemas, applies them to memory at once (so the
 *   next decision reads them without waiting for the disk), appends ONE line to
 *   DATA_DIR/journal.jsonl, fsyncs, and only then resolves. Commits that arrive while an fsync
 *   is in flight are written together by the next append (group commit): one write and one
 *   fsync for the group, so throughput grows with concurrency instead of being capped at one
 *   fsync per message. Whoever acts outside the desk on a commit (moves the message, sends the
 *   e-mail) waits for its promise, or for flush(). A failed write leaves memory ahead of the
 *   disk: the store then refuses every commit until a restart.
 * - DATA_DIR/desk.json is the snapshot, written through lowdb (temp file + rename, so it is
 *   always a whole file) only at compaction: when the journal outgrows max(4 MB, snapshot size).
 *   Writing a snapshot therefore costs at most as much as the journal bytes that triggered it,
 *   which keeps the amortised cost of a commit constant. Every journal line carries a sequence
 *   number and the snapshot records the last one it contains, so a crash between writing the
 *   snapshot and truncating the journal only leaves lines that replay skips.
 * - Finished orders older than 30 days and sent outbox / inbound entries older than 7 days move
 *   at compaction into DATA_DIR/archive/*.jsonl. Only small indexes of the archive stay in memory
 *   (order id → byte offset; hashes of tokens, Message-IDs and inbound keys → byte offset, see
 *   key-hash-index.ts), built in the background after open; a record is read back from disk when
 *   asked for, and a hashed key is confirmed against it. This keeps the snapshot, start-up time
 *   and memory bounded by what is live rather than by the desk's whole history.
 * - Loading refuses damage instead of guessing: an unreadable or schema-invalid desk.json, or an
 *   unreadable journal line followed by good ones, throws STORE_CORRUPT and the files are left
 *   exactly as they were for a person to look at. Only a torn tail (a crash mid-append, never
 *   acknowledged) is dropped.
 * - One writer per DATA_DIR (data-dir-lock.ts): a writable open uses the caller's lock or takes
 *   it. Read-only opens take no lock and write nothing; `reload()` picks up what the writer
 *   appended since, so CLI commands can read while the daemon runs.
 * - Nothing in it is for anyone but the desk (SPEC §10): directories are made 0700 and files
 *   0600, whatever the process umask; account PINs are salted hashes and a carrier's PIN is kept
 *   only as given / matched. A commit with a clear PIN is sealed before it is journalled, and a
 *   data directory from before is migrated when opened for writing (pin-seal.ts), once, with one
 *   line in the log.
 *
 * This file opens, loads, commits and compacts; the parts, one job each, are under file-store/:
 * store-reads.ts (memory first, then the archives), desk-state.ts (memory and its indexes),
 * snapshot-file.ts, journal.ts (reading and replay), journal-writer.ts (group commit),
 * compaction.ts, archives.ts with archive-file.ts and key-hash-index.ts, schemas.ts, pin-seal.ts.
 */
import { mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Pins } from '../ports/pins.js';
import type { Changes, Store } from '../ports/store.js';
import type { MailboxCursor } from '../domain/records.js';
import { acquireDataDirLock, holdsDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { Archives } from './file-store/archives.js';
import { compact } from './file-store/compaction.js';
import { DeskState } from './file-store/desk-state.js';
import { SequenceGap, applyJournalLines, parseJournal, readJournalFrom } from './file-store/journal.js';
import { JournalWriter, toJournalForm, type JournalHost } from './file-store/journal-writer.js';
import { sealArchivedOrders, sealChanges, sealOrdersInMemory, sealState, type SealCount } from './file-store/pin-seal.js';
import { ChangesSchema, describeIssues } from './file-store/schemas.js';
import { SnapshotWriter, readSnapshot, snapshotIdentity } from './file-store/snapshot-file.js';
import { StoreError } from './file-store/store-error.js';
import { StoreReads } from './file-store/store-reads.js';
import { createScryptPins } from './scrypt-pins.js';

export { StoreError, isStoreError, type StoreErrorCode } from './file-store/store-error.js';

export const SNAPSHOT_FILE = 'desk.json';
export const JOURNAL_FILE = 'journal.jsonl';
export const ARCHIVE_DIR = 'archive';
const DEFAULT_COMPACT_BYTES = 4 * 1024 * 1024;
/** Data directories with a writable store open in this process (the lock file cannot tell two apart). */
const openWriters = new Set<string>();

export interface FileStoreOptions {
  clock?: Clock;
  /** Journal size that triggers compaction (at least the snapshot's size). Default 4 MB. */
  compactBytes?: number;
  /** Open without taking the lock or writing anything; commit() is refused. */
  readOnly?: boolean;
  /**
   * Called once if a journal write fails. Memory is then ahead of the disk and every further
   * commit is refused: the owner should stop and start again, which reloads what is on disk.
   */
  onFailure?: (err: StoreError) => void;
  /** Hashes PINs found in clear (a commit, or an older data directory). Default: scrypt at its default cost. */
  pins?: Pins;
  /** Where the migration of an older data directory says what it did. */
  log?: Pick<Logger, 'warn'>;
}

export interface FileStoreStats {
  seq: number;
  journalBytes: number;
  snapshotBytes: number;
  commits: number;
  /** Journal appends, each followed by one fsync; fewer than commits when grouped. */
  journalSyncs: number;
  compactions: number;
  lastCompactionError?: string;
  live: { accounts: number; orders: number; openOrders: number; csrRequests: number; inbound: number; outbox: number; queuedOutbox: number };
  archived: { orders: number; inbound: number; outbox: number };
}

export interface FileStore extends Store {
  readonly dataDir: string;
  readonly readOnly: boolean;
  /** Writes a snapshot now (archiving what is old enough) and empties the journal. */
  compact(): Promise<void>;
  stats(): FileStoreStats;
  /** Picks up what another process committed since the last read. */
  reload(): Promise<void>;
  /** Every record, live and archived (the newest version of each), as one Changes: what `portdesk migrate --from-dir` copies. */
  exportAll(): Required<Omit<Changes, 'cursors'>> & { cursors: Record<string, MailboxCursor> };
}

class FileStoreImpl extends StoreReads<Archives> implements FileStore {
  readonly readOnly: boolean;
  private readonly clock: Clock;
  private readonly compactBytes: number;
  private readonly onFailure: ((err: StoreError) => void) | undefined;
  private readonly pins: Pins;
  private readonly log: Pick<Logger, 'warn'> | undefined;
  private readonly snapshotPath: string;
  private readonly journalPath: string;
  private lock: DataDirLock | undefined;
  /** Only a writable store has these two. */
  private writer: JournalWriter | undefined;
  private snapshotWriter: SnapshotWriter | undefined;
  /** Bytes of the journal read or written so far (the offset of the next line). */
  private journalBytes = 0;
  private journalLines = 0;
  private snapshotBytes = 0;
  private snapshotIdentity: string | undefined;
  private exclusive: Promise<void> = Promise.resolve();
  private closed = false;
  private nextCompactionAt = 0;
  private counters = { commits: 0, journalSyncs: 0, compactions: 0, lastCompactionError: undefined as string | undefined };

  constructor(
    readonly dataDir: string,
    opts: FileStoreOptions,
  ) {
    super(new Archives(path.join(dataDir, ARCHIVE_DIR), !(opts.readOnly ?? false)));
    this.readOnly = opts.readOnly ?? false;
    this.clock = opts.clock ?? systemClock;
    this.onFailure = opts.onFailure;
    this.compactBytes = opts.compactBytes ?? DEFAULT_COMPACT_BYTES;
    this.pins = opts.pins ?? createScryptPins();
    this.log = opts.log;
    this.snapshotPath = path.join(dataDir, SNAPSHOT_FILE);
    this.journalPath = path.join(dataDir, JOURNAL_FILE);
  }

  // ---------------------------------------------------------------- loading

  async open(): Promise<void> {
    if (!this.readOnly) {
      if (openWriters.has(this.dataDir)) {
        throw new StoreError('STORE_LOCKED', `${this.dataDir} is already open for writing in this process`, { pid: process.pid });
      }
      mkdirSync(path.join(this.dataDir, ARCHIVE_DIR), { recursive: true, mode: 0o700 });
      // A caller that took the lock itself (to hold it across more than the store) keeps it;
      // otherwise the store takes it and gives it back on close.
      if (!holdsDataDirLock(this.dataDir)) this.lock = await acquireDataDirLock(this.dataDir);
      openWriters.add(this.dataDir);
    }
    try {
      // Before the archives are indexed: a rewrite moves every line's offset.
      const archived = this.readOnly ? 0 : await sealArchivedOrders(path.join(this.dataDir, ARCHIVE_DIR));
      this.loadAll();
      if (!this.readOnly) {
        this.writer = new JournalWriter(this.journalPath, await open(this.journalPath, 'a', 0o600), this.journalHost());
        this.snapshotWriter = new SnapshotWriter(this.snapshotPath);
        await this.migrateClearPins(archived);
      }
    } catch (err) {
      openWriters.delete(this.dataDir);
      await this.lock?.release();
      throw err;
    }
  }

  /**
   * A data directory written before PINs were sealed: the live records are sealed in memory and
   * a compaction writes them out, replacing desk.json and emptying the journal that held the
   * PINs. Said once in the log; a directory with nothing in clear costs a scan of memory.
   */
  private async migrateClearPins(archivedOrders: number): Promise<void> {
    const sealed: SealCount = await sealState(this.state, this.pins);
    if (sealed.accounts === 0 && sealed.orders === 0 && archivedOrders === 0) return;
    if (sealed.accounts || sealed.orders) await this.runExclusive(() => this.compactNow());
    this.log?.warn(
      { dataDir: this.dataDir, accountPinsHashed: sealed.accounts, orderPinsReduced: sealed.orders, archivedOrderPinsReduced: archivedOrders },
      'PINs in clear found in the data directory: account PINs are now salted hashes, carriers’ PINs only matched / not matched; desk.json rewritten and the journal emptied',
    );
  }

  /** Builds the whole state from disk. Read-only opens retry when a compaction raced the read. */
  private loadAll(): void {
    for (let attempt = 0; ; attempt++) {
      try {
        this.loadOnce();
        // Archives are scanned after the snapshot is read: a compaction appends to them before
        // it replaces the snapshot, so whatever this snapshot no longer holds is already there.
        this.archives.indexInBackground();
        return;
      } catch (err) {
        if (!(err instanceof SequenceGap)) throw err;
        if (this.readOnly && attempt < 10) continue;
        throw new StoreError('STORE_CORRUPT', `${this.journalPath}: ${err.message}`, { file: this.journalPath });
      }
    }
  }

  private loadOnce(): void {
    const snap = readSnapshot(this.snapshotPath);
    const state = DeskState.fromSnapshot(snap.snapshot);
    let buf: Buffer;
    try {
      buf = readFileSync(this.journalPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      buf = Buffer.alloc(0);
    }
    const chunk = parseJournal(buf, this.journalPath);
    applyJournalLines(state, chunk.lines);
    if (chunk.tornBytes > 0 && !this.readOnly) truncateSync(this.journalPath, chunk.validEnd);
    if (this.readOnly) sealOrdersInMemory(state, this.pins);
    this.state = state;
    this.snapshotBytes = snap.bytes;
    this.snapshotIdentity = snap.identity;
    this.journalBytes = chunk.validEnd;
    this.journalLines = chunk.lineCount;
  }

  async reload(): Promise<void> {
    this.assertOpen();
    await this.runExclusive(async () => {
      if (snapshotIdentity(this.snapshotPath) !== this.snapshotIdentity) return this.loadAll();
      const tail = readJournalFrom(this.journalPath, this.journalBytes);
      if (tail === 'missing') return this.journalBytes === 0 ? undefined : this.loadAll();
      if (tail === 'shrunk') return this.loadAll();
      const chunk = parseJournal(tail, this.journalPath, this.journalBytes, this.journalLines);
      try {
        applyJournalLines(this.state, chunk.lines);
      } catch (err) {
        if (err instanceof SequenceGap) return this.loadAll();
        throw err;
      }
      this.journalBytes = chunk.validEnd;
      this.journalLines += chunk.lineCount;
    });
  }

  exportAll() {
    const s = this.state;
    const archived = this.archives.readAllEntries();
    const inbound = new Map(archived.inbound);
    for (const [k, v] of s.inbound) inbound.set(k, v);
    const outbox = new Map(archived.outbox);
    for (const [k, v] of s.outbox) outbox.set(k, v);
    return {
      accounts: [...s.accounts.values()],
      orders: this.listOrders({ includeArchived: true }),
      csrRequests: [...s.csrRequests.values()],
      inbound: [...inbound.values()],
      outbox: [...outbox.values()],
      users: [...s.users.values()],
      events: [...s.events.values()],
      cursors: Object.fromEntries(s.cursors),
    };
  }

  stats(): FileStoreStats {
    const archived = this.archives.counts();
    const s = this.state;
    return {
      seq: s.seq,
      journalBytes: this.journalBytes,
      snapshotBytes: this.snapshotBytes,
      commits: this.counters.commits,
      journalSyncs: this.counters.journalSyncs,
      compactions: this.counters.compactions,
      ...(this.counters.lastCompactionError === undefined ? {} : { lastCompactionError: this.counters.lastCompactionError }),
      live: {
        accounts: s.accounts.size,
        orders: s.orders.size,
        openOrders: s.openOrderIds.size,
        csrRequests: s.csrRequests.size,
        inbound: s.inbound.size,
        outbox: s.outbox.size,
        queuedOutbox: s.queuedOutboxIds.size,
      },
      archived,
    };
  }

  // ---------------------------------------------------------------- writes

  commit(changes: Changes): Promise<void> {
    try {
      this.assertOpen();
      if (!this.writer) throw new StoreError('STORE_READ_ONLY', `the store in ${this.dataDir} was opened read-only`);
      if (this.writer.failure) throw this.writer.failure;
    } catch (err) {
      return Promise.reject(err);
    }
    const parsed = ChangesSchema.safeParse(changes);
    if (!parsed.success) {
      return Promise.reject(new StoreError('STORE_INVALID', `refused to commit invalid records: ${describeIssues(parsed.error)}`));
    }
    // No PIN in clear is journalled, whoever committed it.
    sealChanges(parsed.data, (id) => this.state.accounts.get(id), this.pins);
    // Applied at once, so the next message's decision sees it without waiting for the disk; the
    // promise says when it is durable.
    const journalForm = toJournalForm(
      parsed.data,
      (id) => this.state.outbox.get(id),
      (id) => this.state.events.get(id),
    );
    this.state.apply(parsed.data);
    return this.writer.write(journalForm);
  }

  flush(): Promise<void> {
    return this.writer ? this.writer.flush() : Promise.resolve();
  }

  private journalHost(): JournalHost {
    return {
      seq: () => this.state.seq,
      end: () => this.journalBytes,
      appended: (seq, bytes, lines) => {
        this.state.seq = seq;
        this.journalBytes += bytes;
        this.journalLines += lines;
        this.counters.commits += lines;
        this.counters.journalSyncs++;
      },
      afterAppend: () => this.compactIfDue(),
      runExclusive: (task) => this.runExclusive(task),
      onFailure: this.onFailure,
    };
  }

  private async compactIfDue(): Promise<void> {
    if (this.journalBytes < Math.max(this.compactBytes, this.snapshotBytes, this.nextCompactionAt)) return;
    try {
      await this.compactNow();
    } catch (err) {
      // The journal still holds everything; try again once it has grown by another threshold.
      this.counters.lastCompactionError = (err as Error).message;
      this.nextCompactionAt = this.journalBytes + Math.max(this.compactBytes, this.snapshotBytes);
    }
  }

  compact(): Promise<void> {
    try {
      this.assertOpen();
      if (this.readOnly) throw new StoreError('STORE_READ_ONLY', `the store in ${this.dataDir} was opened read-only`);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.runExclusive(() => this.compactNow());
  }

  private async compactNow(): Promise<void> {
    const snapshot = await compact(this.state, { archives: this.archives, snapshot: this.snapshotWriter!, journal: this.writer! }, this.clock.now());
    this.snapshotBytes = snapshot.bytes;
    this.snapshotIdentity = snapshot.identity;
    this.journalBytes = 0;
    this.journalLines = 0;
    this.nextCompactionAt = 0;
    this.counters.compactions++;
    this.counters.lastCompactionError = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.archives.stop();
    try {
      await this.runExclusive(async () => {});
      await this.writer?.close();
    } finally {
      if (!this.readOnly) openWriters.delete(this.dataDir);
      await this.lock?.release();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', `the store in ${this.dataDir} is closed`);
  }

  /** Runs `task` after every task queued before it; journal writes, compaction and reload never overlap. */
  private runExclusive(task: () => Promise<void> | void): Promise<void> {
    const run = this.exclusive.then(task);
    this.exclusive = run.catch(() => undefined);
    return run;
  }
}

/**
 * Opens the store in `dataDir`: takes the writer lock (unless readOnly), reads desk.json, replays
 * the journal and indexes the archives. Throws StoreError (STORE_CORRUPT, STORE_VERSION,
 * STORE_LOCKED) without changing any file when the data cannot be trusted.
 */
export async function openFileStore(dataDir: string, opts: FileStoreOptions = {}): Promise<FileStore> {
  const store = new FileStoreImpl(path.resolve(dataDir), opts);
  await store.open();
  return store;
}
