/**
 * What waits in Review (SPEC §9, §10), and what support does with it: list it by reason, look at
 * one, dismiss it with a note, or have it handled again once an account was fixed. A Review item
 * is an inbound-log entry parked with a reason code; its id is short and stable (`R-` and ten hex
 * digits of the entry's key), so people can say it over the phone.
 */
import { createHash } from 'node:crypto';
import { DeskError } from '../errors.js';
import type { InboundEntry } from '../domain/records.js';
import { REVIEW_TEXT, type ReviewReason } from '../domain/review-reasons.js';
import type { Disposition } from '../ports/mail-source.js';
import type { Store } from '../ports/store.js';
import type { DeskCore } from './desk-core.js';
import { handleMessage } from './inbound/pipeline.js';

export interface ReviewItem {
  id: string;
  /** The inbound log's key (Message-ID, or the content hash of a message without one). */
  key: string;
  at: string;
  reviewReason: ReviewReason;
  /** The reason code in words. */
  meaning: string;
  /** What exactly, for this message. */
  detail: string;
  from?: string;
  subject?: string;
  orderIds: string[];
  resolution?: InboundEntry['resolution'];
}

export function reviewIdOf(key: string): string {
  return `R-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

function toItem(e: InboundEntry): ReviewItem {
  const reviewReason = e.reviewReason ?? 'OTHER';
  return {
    id: reviewIdOf(e.key),
    key: e.key,
    at: e.at,
    reviewReason,
    meaning: REVIEW_TEXT[reviewReason],
    detail: e.reason ?? '',
    ...(e.from ? { from: e.from } : {}),
    ...(e.subject ? { subject: e.subject } : {}),
    orderIds: e.orderIds,
    ...(e.resolution ? { resolution: e.resolution } : {}),
  };
}

/** Parked messages, oldest first: those still waiting, or with `all` those already dealt with too. */
export function listReview(store: Pick<Store, 'listInbound'>, { all = false }: { all?: boolean } = {}): ReviewItem[] {
  return store
    .listInbound()
    .filter((e) => (e.outcome === 'review' || e.resolution !== undefined) && (all || !e.resolution))
    .sort((a, b) => a.at.localeCompare(b.at))
    .map(toItem);
}

/** The item with this id (or inbound key); REVIEW_NOT_FOUND when there is none. */
export function findReview(store: Pick<Store, 'listInbound' | 'getInbound'>, id: string): ReviewItem {
  const byKey = store.getInbound(id);
  const entry = byKey?.outcome === 'review' || byKey?.resolution ? byKey : store.listInbound().find((e) => reviewIdOf(e.key) === id.trim());
  if (!entry || (entry.outcome !== 'review' && !entry.resolution)) throw new DeskError('REVIEW_NOT_FOUND', `nothing in Review has the id ${id}`);
  return toItem(entry);
}

function waiting(core: DeskCore, id: string): InboundEntry {
  const item = findReview(core.deps.store, id);
  if (item.resolution) throw new DeskError('REVIEW_ALREADY_RESOLVED', `${item.id} was already ${item.resolution.action} on ${item.resolution.at}`);
  return core.deps.store.getInbound(item.key)!;
}

/** Closes the item with a note; the message itself is not handled. */
export async function dismissReview(core: DeskCore, id: string, note: string, by?: string): Promise<ReviewItem> {
  if (!note.trim()) throw new DeskError('REVIEW_NOTE_MISSING', 'a dismissal needs a note saying why');
  const dismissed = await core.queue.run(async () => {
    const entry = waiting(core, id);
    const now = core.deps.clock.now().toISOString();
    const resolved: InboundEntry = { ...entry, resolution: { action: 'dismissed', at: now, note: note.trim(), ...(by ? { by } : {}) } };
    await core.commit({ inbound: [resolved] }, [], new Date(now));
    return resolved;
  });
  await core.deps.parkedMail?.remove(dismissed.key).catch(() => undefined);
  return toItem(dismissed);
}

/**
 * Hands the parked message to the desk again, as if it had just arrived: an account fixed since
 * (a number added, a lock lifted) now counts. It may land in Review again, with its new reason.
 */
export async function reprocessReview(core: DeskCore, id: string, by?: string): Promise<{ item: ReviewItem; disposition: Disposition }> {
  const entry = await core.queue.run(async () => waiting(core, id));
  const raw = await core.deps.parkedMail?.load(entry.key);
  if (!raw) {
    throw new DeskError(
      'REVIEW_MAIL_MISSING',
      `the message of ${reviewIdOf(entry.key)} was not kept (parked before the desk kept copies, or removed); find it in PortDesk/Review and deliver it again`,
    );
  }
  const disposition = await handleMessage(core, raw, { ...(entry.mailbox ? { mailbox: entry.mailbox } : {}) }, by ? { by } : {});
  return { item: toItem(core.deps.store.getInbound(entry.key)!), disposition };
}
