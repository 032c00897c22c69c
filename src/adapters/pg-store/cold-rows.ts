/**
 * Finished records of the PostgreSQL store kept out of the live set (the same split as the file
 * store's archives: orders finished more than 30 days ago, sent e-mails and inbound entries more
 * than 7 days old). The Store's reads are synchronous, so they stay in memory — as their JSON
 * text, parsed only when asked for, with the few indexes a late reply or a bounce needs: 100,000
 * finished orders cost their bytes, not a hundred thousand object graphs.
 */
import type { InboundEntry, OutboxEntry, PortOrder } from '../../domain/records.js';
import type { ColdRecordKind, ColdRecords } from '../file-store/store-reads.js';
import { TABLES } from './tables.js';

export class ColdRows implements ColdRecords {
  readonly orders = new Map<string, string>();
  readonly orderIdByTokenMap = new Map<string, string>();
  readonly orderIdByVerificationMap = new Map<string, string>();
  readonly orderIdByOutboxMessageMap = new Map<string, string>();
  readonly inbound = new Map<string, string>();
  readonly outbox = new Map<string, string>();

  addOrder(id: string, token: string, verificationMessageId: string | null, json: string): void {
    this.orders.set(id, json);
    this.orderIdByTokenMap.set(token, id);
    if (verificationMessageId) this.orderIdByVerificationMap.set(verificationMessageId, id);
  }

  addOutbox(id: string, messageId: string, orderId: string | null, json: string): void {
    this.outbox.set(id, json);
    if (orderId) this.orderIdByOutboxMessageMap.set(messageId, orderId);
  }

  getOrder(id: string): PortOrder | undefined {
    const json = this.orders.get(id);
    return json === undefined ? undefined : TABLES.orders.schema.parse(JSON.parse(json));
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
    const json = this.inbound.get(key);
    return json === undefined ? undefined : TABLES.inbound.schema.parse(JSON.parse(json));
  }

  getOutbox(id: string): OutboxEntry | undefined {
    const json = this.outbox.get(id);
    return json === undefined ? undefined : TABLES.outbox.schema.parse(JSON.parse(json));
  }

  /** A record written again (rare: a late change to a finished order) becomes live. */
  forget(kind: 'orders' | 'inbound' | 'outbox', key: string): void {
    this[kind].delete(key);
  }

  counts(): { orders: number; inbound: number; outbox: number } {
    return { orders: this.orders.size, inbound: this.inbound.size, outbox: this.outbox.size };
  }
}
