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
 *   asked for, and a hashed key is confirmed against it. This keeps the snapshot, start-up time and memory bounded by what is
 *   live rather than by the desk's whole history.
 * - Loading refuses damage instead of guessing: an unreadable or schema-invalid desk.json, or an
 *   unreadable journal line followed by good ones, throws STORE_CORRUPT and the files are left
 *   exactly as they were for a person to look at. Only a torn tail (a crash mid-append, never
 *   acknowledged) is dropped.
 * - One writer per DATA_DIR (data-dir-lock.ts): a writable open uses the caller's lock or takes
 *   it. Read-only opens take no lock and write nothing;
 *   `reload()` picks up what the writer appended since, so CLI commands can read while the daemon
 *   runs.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, statSync, truncateSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import {
  FINAL_STATES,
  InboundEntrySchema,
  OutboxEntrySchema,
  PortOrderSchema,
  type Account,
  type CsrRequest,
  type InboundEntry,
  type MailboxCursor,
  type OutboxEntry,
  type PortOrder,
} from '../domain/records.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Changes, OrderFilter, Store } from '../ports/store.js';
import { acquireDataDirLock, holdsDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { ArchiveFile } from './file-store/archive-file.js';
import { DeskState } from './file-store/desk-state.js';
import { KeyHashIndex } from './file-store/key-hash-index.js';
import { parseJournal } from './file-store/journal.js';
import {
  ChangesSchema,
  JOURNAL_LINE_VERSION,
  OUTBOX_STATUS_FIELDS,
  STORE_FORMAT_VERSION,
  parseSnapshot,
  describeIssues,
  emptySnapshot,
  type JournalChanges,
  type OutboxStatus,
  type ParsedChanges,
  type Snapshot,
} from './file-store/schemas.js';
import { StoreError } from './file-store/store-error.js';

export { StoreError, isStoreError, type StoreErrorCode } from './file-store/store-error.js';

export const SNAPSHOT_FILE = 'desk.json';
export const JOURNAL_FILE = 'journal.jsonl';
export const ARCHIVE_DIR = 'archive';
const DEFAULT_COMPACT_BYTES = 4 * 1024 * 1024;
/** Archive bytes indexed per scan step: about a millisecond of work. */
const INDEX_STEP_BYTES = 1024 * 1024;
/** How long one turn of background indexing may hold the event loop. */
const INDEX_TURN_MS = 5;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Data directories with a writable store open in this process (the lock file cannot tell two apart). */
const openWriters = new Set<string>();
/** How long finished records stay live before compaction archives them. */
export const ARCHIVE_AFTER = { finishedOrderMs: 30 * DAY_MS, sentOutboxMs: 7 * DAY_MS, inboundMs: 7 * DAY_MS };

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
}

interface OrderHeader {
  id: string;
  token: string;
  mid?: string;
}
interface InboundHeader {
  key: string;
}
interface OutboxHeader {
  id: string;
  mid: string;
  oid?: string;
}

const str = (v: unknown): v is string => typeof v === 'string';
const asObject = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * What the archives hold, as small in-memory indexes; only order ids are kept as strings, every
 * other key as a hash (a year on the desk is hundreds of thousands of keys). Archived outbox
 * entries (a year of sent e-mail is most of the archive) are not indexed by id at all: nothing on
 * the desk's paths asks for one. Their Message-IDs are, to find the order a bounce or a reply to
 * an old e-mail is about.
 */
class ArchiveIndex {
  readonly orderOffsets = new Map<string, number>();
  /** Order lines by token, and by their verification e-mail's Message-ID. */
  readonly orderOffsetsByToken = new KeyHashIndex();
  readonly orderOffsetsByMessageId = new KeyHashIndex();
  readonly inboundOffsets = new KeyHashIndex();
  /** Outbox lines that name an order, by their e-mail's Message-ID. */
  readonly outboxOffsetsByMessageId = new KeyHashIndex();
  /** Archived outbox lines (an entry archived twice after a crash counts twice). */
  outboxLines = 0;
}

type ArchiveName = 'orders' | 'inbound' | 'outbox';
/** Background indexing order: what a new message needs first (the inbound log), the bulk last. */
const ARCHIVE_NAMES: readonly ArchiveName[] = ['inbound', 'orders', 'outbox'];

interface PendingCommit {
  /** As the journal line records it (see toJournalForm). */
  changes: JournalChanges;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface SnapshotRead {
  snapshot: Snapshot;
  bytes: number;
  identity: string | undefined;
}

function fileIdentity(st: { ino: number; size: number; mtimeMs: number }): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** Reads and validates desk.json; never modifies it. */
function readSnapshot(file: string): SnapshotRead {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { snapshot: emptySnapshot(), bytes: 0, identity: undefined };
    throw err;
  }
  let text: string;
  let identity: string;
  try {
    identity = fileIdentity(fstatSync(fd));
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StoreError('STORE_CORRUPT', `${file} is not valid JSON (${(err as Error).message}); it was left untouched`, {
      file,
      cause: err,
    });
  }
  const version = asObject(raw)?.['version'];
  if (typeof version === 'number' && version > STORE_FORMAT_VERSION) {
    throw new StoreError(
      'STORE_VERSION',
      `${file} was written by a newer portdesk (format ${version}; this one reads ${STORE_FORMAT_VERSION})`,
      { file },
    );
  }
  const parsed = parseSnapshot(raw);
  if (!parsed.success) {
    throw new StoreError('STORE_CORRUPT', `${file} does not match the record schemas: ${parsed.problems}; it was left untouched`, {
      file,
    });
  }
  return { snapshot: parsed.data, bytes: Buffer.byteLength(text), identity };
}

/** Signals a journal that does not continue the snapshot just read (a concurrent compaction). */
class SequenceGap extends Error {}

class FileStoreImpl implements FileStore {
  readonly readOnly: boolean;
  private readonly clock: Clock;
  private readonly compactBytes: number;
  private readonly snapshotPath: string;
  private readonly journalPath: string;
  private state = new DeskState();
  private index = new ArchiveIndex();
  private archives!: { orders: ArchiveFile<OrderHeader>; inbound: ArchiveFile<InboundHeader>; outbox: ArchiveFile<OutboxHeader> };
  private lock: DataDirLock | undefined;
  private journal: FileHandle | undefined;
  private snapshotDb: Low<Snapshot> | undefined;
  /** Bytes of the journal read or written so far (the offset of the next line). */
  private journalBytes = 0;
  private journalLines = 0;
  private snapshotBytes = 0;
  private snapshotIdentity: string | undefined;
  private pending: PendingCommit[] = [];
  private readonly onFailure: ((err: StoreError) => void) | undefined;
  /** The last commit accepted; flush() waits for it. */
  private lastCommit: Promise<void> = Promise.resolve();
  private draining = false;
  private exclusive: Promise<void> = Promise.resolve();
  private closed = false;
  private failure: StoreError | undefined;
  private nextCompactionAt = 0;
  /** Archives whose index is complete (up to what was in them when indexing began). */
  private indexed = new Set<ArchiveName>();
  private indexTimer: NodeJS.Timeout | undefined;
  private counters = { commits: 0, journalSyncs: 0, compactions: 0, lastCompactionError: undefined as string | undefined };

  constructor(
    readonly dataDir: string,
    opts: FileStoreOptions,
  ) {
    this.readOnly = opts.readOnly ?? false;
    this.clock = opts.clock ?? systemClock;
    this.onFailure = opts.onFailure;
    this.compactBytes = opts.compactBytes ?? DEFAULT_COMPACT_BYTES;
    this.snapshotPath = path.join(dataDir, SNAPSHOT_FILE);
    this.journalPath = path.join(dataDir, JOURNAL_FILE);
    this.resetArchives();
  }

  private resetArchives(): void {
    const index = (this.index = new ArchiveIndex());
    const dir = path.join(this.dataDir, ARCHIVE_DIR);
    this.archives = {
      orders: new ArchiveFile<OrderHeader>(
        path.join(dir, 'orders.jsonl'),
        (v) => {
          const h = asObject(v);
          if (!h || !str(h['id']) || !str(h['token']) || (h['mid'] !== undefined && !str(h['mid']))) return undefined;
          return h as unknown as OrderHeader;
        },
        PortOrderSchema,
        (h, offset) => {
          index.orderOffsets.set(h.id, offset);
          index.orderOffsetsByToken.add(h.token, offset);
          if (h.mid !== undefined) index.orderOffsetsByMessageId.add(h.mid, offset);
        },
      ),
      inbound: new ArchiveFile<InboundHeader>(
        path.join(dir, 'inbound.jsonl'),
        (v) => {
          const h = asObject(v);
          return h && str(h['key']) ? (h as unknown as InboundHeader) : undefined;
        },
        InboundEntrySchema,
        (h, offset) => index.inboundOffsets.add(h.key, offset),
      ),
      outbox: new ArchiveFile<OutboxHeader>(
        path.join(dir, 'outbox.jsonl'),
        (v) => {
          const h = asObject(v);
          if (!h || !str(h['id']) || !str(h['mid']) || (h['oid'] !== undefined && !str(h['oid']))) return undefined;
          return h as unknown as OutboxHeader;
        },
        OutboxEntrySchema,
        (h, offset) => {
          index.outboxLines += 1;
          if (h.oid !== undefined) index.outboxOffsetsByMessageId.add(h.mid, offset);
        },
      ),
    };
  }

  // ---------------------------------------------------------------- loading

  async open(): Promise<void> {
    if (!this.readOnly) {
      if (openWriters.has(this.dataDir)) {
        throw new StoreError('STORE_LOCKED', `${this.dataDir} is already open for writing in this process`, { pid: process.pid });
      }
      mkdirSync(path.join(this.dataDir, ARCHIVE_DIR), { recursive: true });
      // A caller that took the lock itself (to hold it across more than the store) keeps it;
      // otherwise the store takes it and gives it back on close.
      if (!holdsDataDirLock(this.dataDir)) this.lock = await acquireDataDirLock(this.dataDir);
      openWriters.add(this.dataDir);
    }
    try {
      this.loadAll();
      if (!this.readOnly) {
        this.journal = await open(this.journalPath, 'a');
        this.snapshotDb = new Low<Snapshot>(
          // DataFile is lowdb's JSONFile without pretty-printing, which would add a third to
          // the size of a file that holds every account.
          new DataFile<Snapshot>(this.snapshotPath, { parse: JSON.parse, stringify: (d) => JSON.stringify(d) }),
          emptySnapshot(),
        );
      }
    } catch (err) {
      openWriters.delete(this.dataDir);
      await this.lock?.release();
      throw err;
    }
  }

  /** Builds the whole state from disk. Read-only opens retry when a compaction raced the read. */
  private loadAll(): void {
    for (let attempt = 0; ; attempt++) {
      try {
        this.loadOnce();
        // Archives are scanned after the snapshot is read: a compaction appends to them before
        // it replaces the snapshot, so whatever this snapshot no longer holds is already there.
        this.indexArchivesInBackground();
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
    this.state = state;
    this.snapshotBytes = snap.bytes;
    this.snapshotIdentity = snap.identity;
    this.journalBytes = chunk.validEnd;
    this.journalLines = chunk.lineCount;
  }

  async reload(): Promise<void> {
    this.assertOpen();
    await this.runExclusive(async () => {
      let st: Stats | undefined;
      try {
        st = statSync(this.snapshotPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const identity = st ? fileIdentity(st) : undefined;
      if (identity !== this.snapshotIdentity) return this.loadAll();
      let fd: number;
      try {
        fd = openSync(this.journalPath, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.journalBytes === 0 ? undefined : this.loadAll();
        throw err;
      }
      let buf: Buffer;
      try {
        const size = fstatSync(fd).size;
        if (size < this.journalBytes) return this.loadAll();
        buf = Buffer.allocUnsafe(size - this.journalBytes);
        let got = 0;
        while (got < buf.length) {
          const n = readSync(fd, buf, got, buf.length - got, this.journalBytes + got);
          if (n <= 0) break;
          got += n;
        }
        buf = buf.subarray(0, got);
      } finally {
        closeSync(fd);
      }
      const chunk = parseJournal(buf, this.journalPath, this.journalBytes, this.journalLines);
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

  /**
   * Indexing a year of archives (100,000 orders and their e-mails, over a gigabyte) takes seconds,
   * so start-up hands it to idle time in small steps, the inbound log first; a read that needs an
   * archive not yet indexed finishes that one archive synchronously, and no other. A damaged
   * archive line therefore surfaces as STORE_CORRUPT from that read, not at open.
   */
  private indexArchivesInBackground(): void {
    this.indexed = new Set();
    if (this.indexTimer) clearTimeout(this.indexTimer);
    const turn = () => {
      this.indexTimer = undefined;
      if (this.closed) return;
      const until = performance.now() + INDEX_TURN_MS;
      do {
        const name = ARCHIVE_NAMES.find((n) => !this.indexed.has(n));
        if (name === undefined) return;
        try {
          if (this.archives[name].scanStep(INDEX_STEP_BYTES, !this.readOnly)) this.markIndexed(name);
        } catch {
          return; // ensureArchiveIndex() meets the same line again and throws it to its caller
        }
      } while (performance.now() < until);
      this.schedule(turn);
    };
    this.schedule(turn);
  }

  /**
   * An unref'd timer, so indexing never keeps a process alive. Not an unref'd setImmediate: the
   * event loop does not wake up for one, so indexing would only advance when other I/O happened.
   */
  private schedule(turn: () => void): void {
    this.indexTimer = setTimeout(turn, 0).unref();
  }

  private markIndexed(name: ArchiveName): void {
    this.indexed.add(name);
  }

  /** Completes the index of the named archives (all of them when none is named). */
  private ensureArchiveIndex(...names: ArchiveName[]): void {
    for (const name of names.length ? names : ARCHIVE_NAMES) {
      if (this.indexed.has(name)) continue;
      this.archives[name].scan(!this.readOnly);
      this.markIndexed(name);
    }
  }

  // ---------------------------------------------------------------- reads

  getAccount(id: string): Account | undefined {
    return this.state.accounts.get(id);
  }

  listAccounts(): Account[] {
    return [...this.state.accounts.values()];
  }

  findAccountByDid(did: string): Account | undefined {
    const id = this.state.accountIdByDid.get(did);
    return id === undefined ? undefined : this.state.accounts.get(id);
  }

  getOrder(id: string): PortOrder | undefined {
    const live = this.state.orders.get(id);
    if (live) return live;
    this.ensureArchiveIndex('orders');
    const offset = this.index.orderOffsets.get(id);
    return offset === undefined ? undefined : (this.archives.orders.readAt(offset) as PortOrder);
  }

  listOrders(filter: OrderFilter = {}): PortOrder[] {
    const wanted = (o: PortOrder) =>
      (filter.state === undefined || o.state === filter.state) && (filter.accountId === undefined || o.accountId === filter.accountId);
    const out = [...this.state.orders.values()].filter(wanted);
    if (filter.includeArchived) {
      this.ensureArchiveIndex('orders');
      this.archives.orders.forEachLine((offset, header, readRecord) => {
        if (this.state.orders.has(header.id) || this.index.orderOffsets.get(header.id) !== offset) return;
        const order = readRecord() as PortOrder;
        if (wanted(order)) out.push(order);
      });
    }
    return out.sort(byCreatedAt);
  }

  listOpenOrders(): PortOrder[] {
    return this.ordersById(this.state.openOrderIds);
  }

  openOrdersForDid(did: string): PortOrder[] {
    const ids = this.state.openOrderIdsByDid.get(did);
    return ids ? this.ordersById(ids) : [];
  }

  private ordersById(ids: Iterable<string>): PortOrder[] {
    const out: PortOrder[] = [];
    for (const id of ids) {
      const o = this.state.orders.get(id);
      if (o) out.push(o);
    }
    return out.sort(byCreatedAt);
  }

  findOrderByToken(token: string): PortOrder | undefined {
    let id = this.state.orderIdByToken.get(token);
    if (id === undefined) {
      this.ensureArchiveIndex('orders');
      id = this.index.orderOffsetsByToken.find(token, (offset) => {
        const order = this.archives.orders.readAt(offset) as PortOrder;
        return order.token === token ? order.id : undefined;
      });
    }
    return id === undefined ? undefined : this.getOrder(id);
  }

  /**
   * Live orders by any of their customer e-mails; archived (finished) orders by the verification's
   * Message-ID, the one their archive line is indexed by.
   */
  findOrderByCustomerMessageId(messageId: string): PortOrder | undefined {
    let id = this.state.orderIdByVerificationId.get(messageId);
    if (id === undefined) {
      this.ensureArchiveIndex('orders');
      id = this.index.orderOffsetsByMessageId.find(messageId, (offset) => {
        const order = this.archives.orders.readAt(offset) as PortOrder;
        return order.verification?.messageId === messageId ? order.id : undefined;
      });
    }
    return id === undefined ? undefined : this.getOrder(id);
  }

  findOrderByOutboundMessageId(messageId: string): PortOrder | undefined {
    let id = this.state.orderIdByVerificationId.get(messageId) ?? this.state.orderIdByOutboxMessageId.get(messageId);
    if (id === undefined) {
      this.ensureArchiveIndex('orders', 'outbox');
      id =
        this.index.orderOffsetsByMessageId.find(messageId, (offset) => {
          const order = this.archives.orders.readAt(offset) as PortOrder;
          return order.verification?.messageId === messageId ? order.id : undefined;
        }) ?? this.archivedOutboxOrderId(messageId);
    }
    return id === undefined ? undefined : this.getOrder(id);
  }

  /** The order id of the newest archived outbox line with this Message-ID (hash hits are read back). */
  private archivedOutboxOrderId(messageId: string): string | undefined {
    return this.index.outboxOffsetsByMessageId.find(messageId, (offset) => {
      const entry = this.archives.outbox.readAt(offset) as OutboxEntry;
      return entry.messageId === messageId ? entry.orderId : undefined;
    });
  }

  listCsrRequests(): CsrRequest[] {
    return [...this.state.csrRequests.values()];
  }

  listInbound(): InboundEntry[] {
    return [...this.state.inbound.values()];
  }

  getInbound(key: string): InboundEntry | undefined {
    const live = this.state.inbound.get(key);
    if (live) return live;
    this.ensureArchiveIndex('inbound');
    return this.index.inboundOffsets.find(key, (offset) => {
      const entry = this.archives.inbound.readAt(offset) as InboundEntry;
      return entry.key === key ? entry : undefined;
    });
  }

  /**
   * A live entry from memory; an archived one by reading the outbox archive through (the last
   * line for the id wins), since archived entries are not indexed by id. The desk only asks for
   * live (queued) entries; the archive path serves people looking at old mail.
   */
  getOutbox(id: string): OutboxEntry | undefined {
    const live = this.state.outbox.get(id);
    if (live) return live;
    this.ensureArchiveIndex('outbox');
    let found: OutboxEntry | undefined;
    this.archives.outbox.forEachLine((_offset, header, readRecord) => {
      if (header.id === id) found = readRecord() as OutboxEntry;
    });
    return found;
  }

  listQueuedOutbox(): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const id of this.state.queuedOutboxIds) {
      const e = this.state.outbox.get(id);
      if (e) out.push(e);
    }
    return out.sort(byCreatedAt);
  }

  /** Live entries only: sent entries older than 7 days are in the archive (see getOutbox). */
  listOutbox(): OutboxEntry[] {
    return [...this.state.outbox.values()];
  }

  getCursor(mailbox: string): MailboxCursor | undefined {
    return this.state.cursors.get(mailbox);
  }

  stats(): FileStoreStats {
    this.ensureArchiveIndex();
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
      archived: { orders: this.index.orderOffsets.size, inbound: this.index.inboundOffsets.size, outbox: this.index.outboxLines },
    };
  }

  // ---------------------------------------------------------------- writes

  commit(changes: Changes): Promise<void> {
    try {
      this.assertOpen();
      if (this.readOnly) throw new StoreError('STORE_READ_ONLY', `the store in ${this.dataDir} was opened read-only`);
      if (this.failure) throw this.failure;
    } catch (err) {
      return Promise.reject(err);
    }
    const parsed = ChangesSchema.safeParse(changes);
    if (!parsed.success) {
      return Promise.reject(new StoreError('STORE_INVALID', `refused to commit invalid records: ${describeIssues(parsed.error)}`));
    }
    // Applied at once, so the next message's decision sees it without waiting for the disk; the
    // promise says when it is durable. A write that fails leaves memory ahead of the disk, so
    // the store then refuses every commit (see drain) until a restart reloads what is on disk.
    const journalForm = this.toJournalForm(parsed.data);
    this.state.apply(parsed.data);
    const durable = new Promise<void>((resolve, reject) => {
      this.pending.push({ changes: journalForm, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.runExclusive(() => this.drain()).catch((err: unknown) => {
          // drain() settles every commit itself; this only guards against a bug leaving callers hanging.
          this.draining = false;
          for (const p of this.pending.splice(0)) p.reject(err);
        });
      }
    });
    this.lastCommit = durable;
    return durable;
  }

  /**
   * An outbox entry whose message is the one already live (only its delivery fields changed) is
   * journalled as a status line: the e-mail's text and HTML are written once, when it is queued,
   * not again with every attempt. Must run before the changes are applied.
   */
  private toJournalForm(changes: ParsedChanges): JournalChanges {
    if (!changes.outbox?.length) return changes;
    const full: OutboxEntry[] = [];
    const outboxStatus: OutboxStatus[] = [];
    for (const e of changes.outbox) {
      const live = this.state.outbox.get(e.id);
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

  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.lastCommit.then(() => undefined);
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
      let seq = this.state.seq;
      let text = '';
      for (const p of group) text += `${JSON.stringify({ v: p.changes.outboxStatus ? JOURNAL_LINE_VERSION : 1, seq: ++seq, changes: p.changes })}\n`;
      const data = Buffer.from(text);
      try {
        await this.appendToJournal(data);
      } catch (err) {
        // Memory already holds these changes and cannot take them back: refuse everything from
        // now on, so nothing is decided on records the disk does not have.
        if (!this.failure) {
          this.failure = new StoreError('STORE_IO', `could not write ${this.journalPath} (${(err as Error).message}); restart portdesk`, {
            cause: err,
            file: this.journalPath,
          });
          try {
            this.onFailure?.(this.failure);
          } catch {
            // The owner's handler must not stop the rejections below.
          }
        }
        for (const p of group) p.reject(this.failure);
        continue;
      }
      this.state.seq = seq;
      this.journalBytes += data.length;
      this.journalLines += group.length;
      this.counters.commits += group.length;
      this.counters.journalSyncs++;
      for (const p of group) p.resolve();
      if (this.journalBytes >= Math.max(this.compactBytes, this.snapshotBytes, this.nextCompactionAt)) {
        try {
          await this.compactNow();
        } catch (err) {
          // The journal still holds everything; try again once it has grown by another threshold.
          this.counters.lastCompactionError = (err as Error).message;
          this.nextCompactionAt = this.journalBytes + Math.max(this.compactBytes, this.snapshotBytes);
        }
      }
    }
  }

  private async appendToJournal(data: Buffer): Promise<void> {
    const fh = this.journal!;
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await fh.write(data, written, data.length - written);
        written += bytesWritten;
      }
      await fh.datasync();
    } catch (err) {
      // Cut off whatever part of the group reached the file, so that a reload does not find a
      // torn line followed by nothing. The store accepts no more writes either way (see drain).
      await fh.truncate(this.journalBytes).catch(() => undefined);
      throw err;
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

  /**
   * 1. append what is old enough to the archives (fsynced), 2. write the snapshot without it
   * (atomic rename, then fsync of file and directory), 3. empty the journal. A crash after 1
   * leaves records both live and archived (live wins); after 2 leaves journal lines the snapshot
   * already holds (replay skips them by sequence number).
   */
  private async compactNow(): Promise<void> {
    this.ensureArchiveIndex(); // appends continue from the indexed end
    const now = this.clock.now().getTime();
    const s = this.state;
    const oldOrders: PortOrder[] = [];
    for (const o of s.orders.values()) {
      if (FINAL_STATES.includes(o.state) && Date.parse(o.updatedAt) < now - ARCHIVE_AFTER.finishedOrderMs) oldOrders.push(o);
    }
    const oldOutbox: OutboxEntry[] = [];
    for (const e of s.outbox.values()) {
      if (e.status === 'sent' && Date.parse(e.sentAt ?? e.createdAt) < now - ARCHIVE_AFTER.sentOutboxMs) oldOutbox.push(e);
    }
    const oldInbound: InboundEntry[] = [];
    for (const i of s.inbound.values()) {
      if (Date.parse(i.at) < now - ARCHIVE_AFTER.inboundMs) oldInbound.push(i);
    }
    await this.archives.orders.append(
      oldOrders.map((o) => ({
        header: { id: o.id, token: o.token, ...(o.verification ? { mid: o.verification.messageId } : {}) },
        record: o,
      })),
    );
    await this.archives.outbox.append(
      oldOutbox.map((e) => ({ header: { id: e.id, mid: e.messageId, ...(e.orderId !== undefined ? { oid: e.orderId } : {}) }, record: e })),
    );
    await this.archives.inbound.append(oldInbound.map((i) => ({ header: { key: i.key }, record: i })));

    const snapshot = s.toSnapshot(new Date(now).toISOString());
    if (oldOrders.length) {
      const gone = new Set(oldOrders.map((o) => o.id));
      snapshot.orders = snapshot.orders.filter((o) => !gone.has(o.id));
    }
    if (oldOutbox.length) {
      const gone = new Set(oldOutbox.map((e) => e.id));
      snapshot.outbox = snapshot.outbox.filter((e) => !gone.has(e.id));
    }
    if (oldInbound.length) {
      const gone = new Set(oldInbound.map((i) => i.key));
      snapshot.inbound = snapshot.inbound.filter((i) => !gone.has(i.key));
    }
    const db = this.snapshotDb!;
    db.data = snapshot;
    await db.write();
    await fsyncPath(this.snapshotPath);
    await fsyncPath(this.dataDir);
    const st = statSync(this.snapshotPath);
    this.snapshotBytes = st.size;
    this.snapshotIdentity = fileIdentity(st);

    for (const o of oldOrders) s.removeOrder(o.id);
    for (const e of oldOutbox) s.removeOutbox(e.id);
    for (const i of oldInbound) s.inbound.delete(i.key);

    const journal = this.journal!;
    await journal.truncate(0);
    await journal.datasync();
    this.journalBytes = 0;
    this.journalLines = 0;
    this.nextCompactionAt = 0;
    this.counters.compactions++;
    this.counters.lastCompactionError = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.indexTimer) clearTimeout(this.indexTimer);
    try {
      await this.runExclusive(async () => {});
      await this.journal?.close();
      this.journal = undefined;
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

/** Replays journal lines on top of `state`, skipping those the snapshot already holds. */
function applyJournalLines(state: DeskState, lines: { seq: number; changes: JournalChanges }[]): void {
  for (const line of lines) {
    if (line.seq <= state.seq) continue;
    if (line.seq !== state.seq + 1) {
      throw new SequenceGap(`line with sequence ${line.seq} follows ${state.seq}: commits in between are missing`);
    }
    state.apply(line.changes);
    state.seq = line.seq;
  }
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function byCreatedAt(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
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
