/**
 * Finished records of the PostgreSQL store kept out of the live set (the same split as the file
 * store's archives: orders finished more than 30 days ago, sent e-mails and inbound entries more
 * than 7 days old). The Store's reads are synchronous, so their JSON is written, as it is loaded,
 * to a spill file of this process (unlinked at once: it vanishes with the process) and read back
 * with readSync when asked for — as the file store reads its archives. In memory stay only where
 * each record is and hashed indexes for what a late reply or a bounce looks up: 100,000 finished
 * orders cost a few megabytes, not their 120 MB of JSON.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InboundEntry, OutboxEntry, PortOrder } from '../../domain/records.js';
import type { ColdRecordKind, ColdRecords } from '../file-store/store-reads.js';
import { KeyHashIndex } from '../file-store/key-hash-index.js';
import { TABLES } from './tables.js';

/**
 * The spill file and where each record is in it: record n at offsets[n], lengths[n] bytes, in
 * two typed arrays (12 bytes a record) rather than an object each.
 */
class Spill {
  private fd: number | undefined;
  private end = 0;
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private count = 0;

  private open(): number {
    if (this.fd === undefined) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'portdesk-cold-'));
      const file = path.join(dir, 'rows');
      this.fd = openSync(file, 'w+', 0o600);
      // Gone from the directory at once; the open descriptor keeps it until the process ends.
      rmSync(dir, { recursive: true, force: true });
    }
    return this.fd;
  }

  /** Writes a record; its number. */
  write(json: string): number {
    const bytes = Buffer.from(json, 'utf8');
    writeSync(this.open(), bytes, 0, bytes.length, this.end);
    if (this.count === this.offsets.length) {
      const offsets = new Float64Array(this.count * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
      const lengths = new Uint32Array(this.count * 2);
      lengths.set(this.lengths);
      this.lengths = lengths;
    }
    this.offsets[this.count] = this.end;
    this.lengths[this.count] = bytes.length;
    this.end += bytes.length;
    return this.count++;
  }

  read(n: number): unknown {
    const length = this.lengths[n]!;
    const buf = Buffer.allocUnsafe(length);
    readSync(this.fd!, buf, 0, length, this.offsets[n]!);
    return JSON.parse(buf.toString('utf8'));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class ColdRows implements ColdRecords {
  private readonly spill = new Spill();
  /** Record numbers in the spill by order id, inbound key and outbox id. */
  readonly orders = new Map<string, number>();
  readonly inbound = new Map<string, number>();
  readonly outbox = new Map<string, number>();
  /** Hashed keys → record numbers; a hit is read back to confirm (as the file store's archives). */
  private readonly ordersByToken = new KeyHashIndex();
  private readonly ordersByVerificationId = new KeyHashIndex();
  private readonly outboxByMessageId = new KeyHashIndex();

  addOrder(id: string, token: string, verificationMessageId: string | null, json: string): void {
    const n = this.spill.write(json);
    this.orders.set(id, n);
    this.ordersByToken.add(token, n);
    if (verificationMessageId) this.ordersByVerificationId.add(verificationMessageId, n);
  }

  addOutbox(id: string, messageId: string, _orderId: string | null, json: string): void {
    const n = this.spill.write(json);
    this.outbox.set(id, n);
    this.outboxByMessageId.add(messageId, n);
  }

  addInbound(key: string, json: string): void {
    this.inbound.set(key, this.spill.write(json));
  }

  private order(n: number): PortOrder {
    return TABLES.orders.schema.parse(this.spill.read(n));
  }

  getOrder(id: string): PortOrder | undefined {
    const n = this.orders.get(id);
    return n === undefined ? undefined : this.order(n);
  }

  forEachOrder(isLive: (id: string) => boolean, visit: (order: PortOrder) => void): void {
    for (const [id, n] of this.orders) if (!isLive(id)) visit(this.order(n));
  }

  orderIdByToken(token: string): string | undefined {
    return this.ordersByToken.find(token, (n) => {
      const o = this.order(n);
      return o.token === token && this.orders.get(o.id) === n ? o.id : undefined;
    });
  }

  orderIdByVerificationId(messageId: string): string | undefined {
    return this.ordersByVerificationId.find(messageId, (n) => {
      const o = this.order(n);
      return o.verification?.messageId === messageId && this.orders.get(o.id) === n ? o.id : undefined;
    });
  }

  orderIdByOutboxMessageId(messageId: string): string | undefined {
    return this.outboxByMessageId.find(messageId, (n) => {
      const e = TABLES.outbox.schema.parse(this.spill.read(n));
      return e.messageId === messageId ? e.orderId : undefined;
    });
  }

  ensureIndexed(..._kinds: ColdRecordKind[]): void {
    // Built as the rows are loaded.
  }

  getInbound(key: string): InboundEntry | undefined {
    const n = this.inbound.get(key);
    return n === undefined ? undefined : TABLES.inbound.schema.parse(this.spill.read(n));
  }

  getOutbox(id: string): OutboxEntry | undefined {
    const n = this.outbox.get(id);
    return n === undefined ? undefined : TABLES.outbox.schema.parse(this.spill.read(n));
  }

  /** A record written again (rare: a late change to a finished order) becomes live. */
  forget(kind: 'orders' | 'inbound' | 'outbox', key: string): void {
    this[kind].delete(key);
  }

  counts(): { orders: number; inbound: number; outbox: number } {
    return { orders: this.orders.size, inbound: this.inbound.size, outbox: this.outbox.size };
  }

  close(): void {
    this.spill.close();
  }
}
