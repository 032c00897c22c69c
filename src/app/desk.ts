/**
 * The desk's use cases behind one object: inbound mail, the jobs, support actions. Built by the
 * composition root (main.ts) or by tests with fakes.
 */
import type { PortOrder } from '../domain/records.js';
import type { Disposition, SourceMeta } from '../ports/mail-source.js';
import { DeskCore, type DeskDeps } from './desk-core.js';
import { handleMessage } from './inbound/pipeline.js';
import { cancelOverdue, expireVerifications, sendDigest, sendReminders, type JobResult } from './jobs.js';
import { dismissReview, reprocessReview, type ReviewItem } from './review.js';
import { cancelOrder, completeOrder } from './support-actions.js';

export interface Desk {
  readonly core: DeskCore;
  handleMessage(raw: Buffer, meta?: SourceMeta): Promise<Disposition>;
  expireVerifications(): Promise<JobResult>;
  sendReminders(): Promise<JobResult>;
  cancelOverdue(): Promise<JobResult>;
  sendDigest(opts?: { onlyIfMissedSince?: number }): Promise<JobResult>;
  /** The order jobs, in the order they make sense: reminders before expiry, then overdue. */
  runOrderJobs(): Promise<JobResult[]>;
  /** `by`: who did it, for the order's history (a console user). */
  completeOrder(id: string, by?: string): Promise<PortOrder>;
  cancelOrder(id: string, reason: string, code?: string, by?: string): Promise<PortOrder>;
  /** Closes a Review item with a note (`by`: who, for the record). */
  dismissReview(id: string, note: string, by?: string): Promise<ReviewItem>;
  /** Hands a parked message to the desk again. */
  reprocessReview(id: string, by?: string): Promise<{ item: ReviewItem; disposition: Disposition }>;
  /** Resolves when every queued use case has finished. */
  idle(): Promise<void>;
}

export function createDesk(deps: DeskDeps): Desk {
  const core = new DeskCore(deps);
  return {
    core,
    handleMessage: (raw, meta = {}) => handleMessage(core, raw, meta),
    expireVerifications: () => expireVerifications(core),
    sendReminders: () => sendReminders(core),
    cancelOverdue: () => cancelOverdue(core),
    sendDigest: (opts) => sendDigest(core, opts),
    runOrderJobs: async () => [await sendReminders(core), await expireVerifications(core), await cancelOverdue(core)],
    completeOrder: (id, by) => completeOrder(core, id, by),
    cancelOrder: (id, reason, code, by) => cancelOrder(core, id, reason, code, by),
    dismissReview: (id, note, by) => dismissReview(core, id, note, by),
    reprocessReview: (id, by) => reprocessReview(core, id, by),
    idle: () => core.queue.idle(),
  };
}
