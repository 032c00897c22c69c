/**
 * The three archives of finished records (DATA_DIR/archive/{orders,inbound,outbox}.jsonl) and
 * what is kept of them in memory: small indexes, never the records. Only order ids are kept as
 * strings; every other key is a hash (a year on the desk is hundreds of thousands of keys), and a
 * hash hit is confirmed by reading the record back. Archived outbox entries (a year of sent e-mail
 * is most of the archive) are not indexed by id at all: nothing on the desk's paths asks for one.
 * Their Message-IDs are, to find the order a bounce or a reply to an old e-mail is about.
 */
import path from 'node:path';
import { InboundEntrySchema, OutboxEntrySchema, PortOrderSchema, type InboundEntry, type OutboxEntry, type PortOrder } from '../../domain/records.js';
import { ArchiveFile } from './archive-file.js';
import { KeyHashIndex } from './key-hash-index.js';
import type { ColdRecordKind, ColdRecords } from './store-reads.js';

/** Archive bytes indexed per scan step: about a millisecond of work. */
const INDEX_STEP_BYTES = 1024 * 1024;
/** How long one turn of background indexing may hold the event loop. */
const INDEX_TURN_MS = 5;

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

type ArchiveName = ColdRecordKind;
/** Background indexing order: what a new message needs first (the inbound log), the bulk last. */
const ARCHIVE_NAMES: readonly ArchiveName[] = ['inbound', 'orders', 'outbox'];

const str = (v: unknown): v is string => typeof v === 'string';
const asObject = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export class Archives implements ColdRecords {
  private readonly orderOffsets = new Map<string, number>();
  /** Order lines by token, and by their verification e-mail's Message-ID. */
  private readonly orderOffsetsByToken = new KeyHashIndex();
  private readonly orderOffsetsByMessageId = new KeyHashIndex();
  private readonly inboundOffsets = new KeyHashIndex();
  /** Outbox lines that name an order, by their e-mail's Message-ID. */
  private readonly outboxOffsetsByMessageId = new KeyHashIndex();
  /** Archived outbox lines (an entry archived twice after a crash counts twice). */
  private outboxLines = 0;
  private readonly files: { orders: ArchiveFile<OrderHeader>; inbound: ArchiveFile<InboundHeader>; outbox: ArchiveFile<OutboxHeader> };
  /** Archives whose index is complete (up to what was in them when indexing began). */
  private readonly indexed = new Set<ArchiveName>();
  private indexTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** `writable`: a torn last line (a crash mid-append) is cut away so appends start on a line boundary. */
  constructor(
    dir: string,
    private readonly writable: boolean,
  ) {
    this.files = {
      orders: new ArchiveFile<OrderHeader>(
        path.join(dir, 'orders.jsonl'),
        (v) => {
          const h = asObject(v);
          if (!h || !str(h['id']) || !str(h['token']) || (h['mid'] !== undefined && !str(h['mid']))) return undefined;
          return h as unknown as OrderHeader;
        },
        PortOrderSchema,
        (h, offset) => {
          this.orderOffsets.set(h.id, offset);
          this.orderOffsetsByToken.add(h.token, offset);
          if (h.mid !== undefined) this.orderOffsetsByMessageId.add(h.mid, offset);
        },
      ),
      inbound: new ArchiveFile<InboundHeader>(
        path.join(dir, 'inbound.jsonl'),
        (v) => {
          const h = asObject(v);
          return h && str(h['key']) ? (h as unknown as InboundHeader) : undefined;
        },
        InboundEntrySchema,
        (h, offset) => this.inboundOffsets.add(h.key, offset),
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
          this.outboxLines += 1;
          if (h.oid !== undefined) this.outboxOffsetsByMessageId.add(h.mid, offset);
        },
      ),
    };
  }

  /**
   * Indexing a year of archives (100,000 orders and their e-mails, over a gigabyte) takes seconds,
   * so start-up hands it to idle time in small steps, the inbound log first; a read that needs an
   * archive not yet indexed finishes that one archive synchronously, and no other. A damaged
   * archive line therefore surfaces as STORE_CORRUPT from that read, not at open.
   */
  indexInBackground(): void {
    // Lines appended since the last scan (another process compacted) are indexed from where it stopped.
    this.indexed.clear();
    if (this.indexTimer) clearTimeout(this.indexTimer);
    const turn = () => {
      this.indexTimer = undefined;
      if (this.stopped) return;
      const until = performance.now() + INDEX_TURN_MS;
      do {
        const name = ARCHIVE_NAMES.find((n) => !this.indexed.has(n));
        if (name === undefined) return;
        try {
          if (this.files[name].scanStep(INDEX_STEP_BYTES, this.writable)) this.indexed.add(name);
        } catch {
          return; // ensureIndexed() meets the same line again and throws it to its caller
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

  /** Stops background indexing for good: the store is closing. */
  stop(): void {
    this.stopped = true;
    if (this.indexTimer) clearTimeout(this.indexTimer);
  }

  /** Completes the index of the named archives (all of them when none is named). */
  ensureIndexed(...names: ArchiveName[]): void {
    for (const name of names.length ? names : ARCHIVE_NAMES) {
      if (this.indexed.has(name)) continue;
      this.files[name].scan(this.writable);
      this.indexed.add(name);
    }
  }

  getOrder(id: string): PortOrder | undefined {
    this.ensureIndexed('orders');
    const offset = this.orderOffsets.get(id);
    return offset === undefined ? undefined : (this.files.orders.readAt(offset) as PortOrder);
  }

  /** Each archived order whose newest line is not shadowed by a live one, read one at a time. */
  forEachOrder(isLive: (id: string) => boolean, visit: (order: PortOrder) => void): void {
    this.ensureIndexed('orders');
    this.files.orders.forEachLine((offset, header, readRecord) => {
      if (isLive(header.id) || this.orderOffsets.get(header.id) !== offset) return;
      visit(readRecord() as PortOrder);
    });
  }

  orderIdByToken(token: string): string | undefined {
    this.ensureIndexed('orders');
    return this.orderOffsetsByToken.find(token, (offset) => {
      const order = this.files.orders.readAt(offset) as PortOrder;
      return order.token === token ? order.id : undefined;
    });
  }

  /** By the verification's Message-ID, the one an archived order line is indexed by. */
  orderIdByVerificationId(messageId: string): string | undefined {
    this.ensureIndexed('orders');
    return this.orderOffsetsByMessageId.find(messageId, (offset) => {
      const order = this.files.orders.readAt(offset) as PortOrder;
      return order.verification?.messageId === messageId ? order.id : undefined;
    });
  }

  /** The order id of the newest archived outbox line with this Message-ID (hash hits are read back). */
  orderIdByOutboxMessageId(messageId: string): string | undefined {
    this.ensureIndexed('outbox');
    return this.outboxOffsetsByMessageId.find(messageId, (offset) => {
      const entry = this.files.outbox.readAt(offset) as OutboxEntry;
      return entry.messageId === messageId ? entry.orderId : undefined;
    });
  }

  getInbound(key: string): InboundEntry | undefined {
    this.ensureIndexed('inbound');
    return this.inboundOffsets.find(key, (offset) => {
      const entry = this.files.inbound.readAt(offset) as InboundEntry;
      return entry.key === key ? entry : undefined;
    });
  }

  /** By reading the outbox archive through (the last line for the id wins): archived entries are not indexed by id. */
  getOutbox(id: string): OutboxEntry | undefined {
    this.ensureIndexed('outbox');
    let found: OutboxEntry | undefined;
    this.files.outbox.forEachLine((_offset, header, readRecord) => {
      if (header.id === id) found = readRecord() as OutboxEntry;
    });
    return found;
  }

  /** Every archived inbound entry and outbox entry, the newest line of each (for a migration). */
  readAllEntries(): { inbound: Map<string, InboundEntry>; outbox: Map<string, OutboxEntry> } {
    this.ensureIndexed('inbound', 'outbox');
    const inbound = new Map<string, InboundEntry>();
    const outbox = new Map<string, OutboxEntry>();
    this.files.inbound.forEachLine((_offset, _header, readRecord) => {
      const e = readRecord() as InboundEntry;
      inbound.set(e.key, e);
    });
    this.files.outbox.forEachLine((_offset, _header, readRecord) => {
      const e = readRecord() as OutboxEntry;
      outbox.set(e.id, e);
    });
    return { inbound, outbox };
  }

  counts(): { orders: number; inbound: number; outbox: number } {
    this.ensureIndexed();
    return { orders: this.orderOffsets.size, inbound: this.inboundOffsets.size, outbox: this.outboxLines };
  }

  /** Appends the records (each archive fsynced) and indexes them; appends continue from the indexed end. */
  async append(records: { orders: PortOrder[]; outbox: OutboxEntry[]; inbound: InboundEntry[] }): Promise<void> {
    this.ensureIndexed();
    await this.files.orders.append(
      records.orders.map((o) => ({
        header: { id: o.id, token: o.token, ...(o.verification ? { mid: o.verification.messageId } : {}) },
        record: o,
      })),
    );
    await this.files.outbox.append(
      records.outbox.map((e) => ({ header: { id: e.id, mid: e.messageId, ...(e.orderId !== undefined ? { oid: e.orderId } : {}) }, record: e })),
    );
    await this.files.inbound.append(records.inbound.map((i) => ({ header: { key: i.key }, record: i })));
  }
}
