/**
 * Finished records of the PostgreSQL store kept out of the live set (the same split as the file
 * store's archives: orders finished more than 30 days ago, sent e-mails and inbound entries more
 * than 7 days old). The Store's reads are synchronous, so their JSON is written, as it is loaded,
 * to a spill file of this process (unlinked at once: it vanishes with the process) and read back
 * with readSync when asked for — as the file store reads its archives. In memory stay only the
 * offsets and the few indexes a late reply or a bounce needs: 100,000 finished orders cost a few
 * megabytes, not their 120 MB of JSON.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InboundEntry, OutboxEntry, PortOrder } from '../../domain/records.js';
import type { ColdRecordKind, ColdRecords } from '../file-store/store-reads.js';
import { TABLES } from './tables.js';

/** Where a record's JSON is in the spill file. */
type Place = { at: number; length: number };

class Spill {
  private fd: number | undefined;
  private end = 0;

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

  write(json: string): Place {
    const bytes = Buffer.from(json, 'utf8');
    const at = this.end;
    writeSync(this.open(), bytes, 0, bytes.length, at);
    this.end += bytes.length;
    return { at, length: bytes.length };
  }

  read(place: Place): string {
    const buf = Buffer.allocUnsafe(place.length);
    readSync(this.fd!, buf, 0, place.length, place.at);
    return buf.toString('utf8');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class ColdRows implements ColdRecords {
  private readonly spill = new Spill();
  readonly orders = new Map<string, Place>();
  readonly orderIdByTokenMap = new Map<string, string>();
  readonly orderIdByVerificationMap = new Map<string, string>();
  readonly orderIdByOutboxMessageMap = new Map<string, string>();
  readonly inbound = new Map<string, Place>();
  readonly outbox = new Map<string, Place>();

  addOrder(id: string, token: string, verificationMessageId: string | null, json: string): void {
    this.orders.set(id, this.spill.write(json));
    this.orderIdByTokenMap.set(token, id);
    if (verificationMessageId) this.orderIdByVerificationMap.set(verificationMessageId, id);
  }

  addOutbox(id: string, messageId: string, orderId: string | null, json: string): void {
    this.outbox.set(id, this.spill.write(json));
    if (orderId) this.orderIdByOutboxMessageMap.set(messageId, orderId);
  }

  addInbound(key: string, json: string): void {
    this.inbound.set(key, this.spill.write(json));
  }

  getOrder(id: string): PortOrder | undefined {
    const place = this.orders.get(id);
    return place === undefined ? undefined : TABLES.orders.schema.parse(JSON.parse(this.spill.read(place)));
  }

  forEachOrder(isLive: (id: string) => boolean, visit: (order: PortOrder) => void): void {
    for (const id of this.orders.keys()) if (!isLive(id)) visit(this.getOrder(id)!);
  }

  orderIdByToken(token: string): string | undefined {
    return this.orderIdByTokenMap.get(token);
  }

  orderIdByVerificationId(messageId: string): string | undefined {
    return this.orderIdByVerificationMap.get(messageId);
  }

  orderIdByOutboxMessageId(messageId: string): string | undefined {
    return this.orderIdByOutboxMessageMap.get(messageId);
  }

  ensureIndexed(..._kinds: ColdRecordKind[]): void {
    // Built as the rows are loaded.
  }

  getInbound(key: string): InboundEntry | undefined {
    const place = this.inbound.get(key);
    return place === undefined ? undefined : TABLES.inbound.schema.parse(JSON.parse(this.spill.read(place)));
  }

  getOutbox(id: string): OutboxEntry | undefined {
    const place = this.outbox.get(id);
    return place === undefined ? undefined : TABLES.outbox.schema.parse(JSON.parse(this.spill.read(place)));
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
