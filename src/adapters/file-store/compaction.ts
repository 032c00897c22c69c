/**
 * Compaction: finished orders older than 30 days and sent outbox / inbound entries older than 7
 * days move to the archives, events delivered everywhere more than 7 days ago are dropped (the
 * order's history keeps what happened), everything else goes into a new snapshot, and the journal
 * is emptied.
 * It runs when the journal outgrows max(4 MB, snapshot size), so writing a snapshot costs at most
 * as much as the journal bytes that triggered it, and a commit's amortised cost stays constant.
 */
import { FINAL_STATES, type InboundEntry, type OutboxEntry, type PortOrder, type WebhookEvent } from '../../domain/records.js';
import type { Archives } from './archives.js';
import type { DeskState } from './desk-state.js';
import type { JournalWriter } from './journal-writer.js';
import type { SnapshotWriter } from './snapshot-file.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long finished records stay live before compaction archives them (the PostgreSQL store keeps the same live set). */
export const ARCHIVE_AFTER = { finishedOrderMs: 30 * DAY_MS, sentOutboxMs: 7 * DAY_MS, inboundMs: 7 * DAY_MS, deliveredEventMs: 7 * DAY_MS };

/** An event every endpoint has taken (or that waits for none still configured), long enough ago to be dropped. */
export function isSpentEvent(e: WebhookEvent, now: number): boolean {
  return e.deliveries.every((d) => d.status !== 'pending') && Date.parse(e.timestamp) < now - ARCHIVE_AFTER.deliveredEventMs;
}

interface Archivable {
  orders: PortOrder[];
  outbox: OutboxEntry[];
  inbound: InboundEntry[];
  /** Not archived: dropped. */
  events: WebhookEvent[];
}

/**
 * 1. append what is old enough to the archives (fsynced), 2. write the snapshot without it
 * (atomic rename, then fsync of file and directory), 3. empty the journal. A crash after 1
 * leaves records both live and archived (live wins); after 2 leaves journal lines the snapshot
 * already holds (replay skips them by sequence number). Returns the new snapshot's size and identity.
 */
export async function compact(
  state: DeskState,
  to: { archives: Archives; snapshot: SnapshotWriter; journal: JournalWriter },
  now: Date,
): Promise<{ bytes: number; identity: string }> {
  const old = selectArchivable(state, now.getTime());
  await to.archives.append(old);
  const written = await to.snapshot.write(snapshotWithout(state, old, now.toISOString()));
  for (const o of old.orders) state.removeOrder(o.id);
  for (const e of old.outbox) state.removeOutbox(e.id);
  for (const i of old.inbound) state.inbound.delete(i.key);
  for (const e of old.events) state.removeEvent(e.id);
  await to.journal.truncate();
  return written;
}

function selectArchivable(state: DeskState, now: number): Archivable {
  const orders: PortOrder[] = [];
  for (const o of state.orders.values()) {
    if (FINAL_STATES.includes(o.state) && Date.parse(o.updatedAt) < now - ARCHIVE_AFTER.finishedOrderMs) orders.push(o);
  }
  const outbox: OutboxEntry[] = [];
  for (const e of state.outbox.values()) {
    if (e.status === 'sent' && Date.parse(e.sentAt ?? e.createdAt) < now - ARCHIVE_AFTER.sentOutboxMs) outbox.push(e);
  }
  const inbound: InboundEntry[] = [];
  for (const i of state.inbound.values()) {
    if (Date.parse(i.at) < now - ARCHIVE_AFTER.inboundMs) inbound.push(i);
  }
  const events = [...state.events.values()].filter((e) => isSpentEvent(e, now));
  return { orders, outbox, inbound, events };
}

function snapshotWithout(state: DeskState, old: Archivable, savedAt: string) {
  const snapshot = state.toSnapshot(savedAt);
  if (old.orders.length) {
    const gone = new Set(old.orders.map((o) => o.id));
    snapshot.orders = snapshot.orders.filter((o) => !gone.has(o.id));
  }
  if (old.outbox.length) {
    const gone = new Set(old.outbox.map((e) => e.id));
    snapshot.outbox = snapshot.outbox.filter((e) => !gone.has(e.id));
  }
  if (old.inbound.length) {
    const gone = new Set(old.inbound.map((i) => i.key));
    snapshot.inbound = snapshot.inbound.filter((i) => !gone.has(i.key));
  }
  if (old.events.length) {
    const gone = new Set(old.events.map((e) => e.id));
    snapshot.events = snapshot.events.filter((e) => !gone.has(e.id));
  }
  return snapshot;
}
