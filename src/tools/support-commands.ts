/**
 * What support asks of the desk from the command line — complete or cancel an order, run the jobs
 * now, dismiss or reprocess what waits in Review, clear a PIN lock — through the running daemon
 * or, with none, on an offline desk (desk-writer.ts).
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { PortOrder } from '../domain/records.js';
import { runJobsOnce, type JobsRun } from '../app/jobs.js';
import type { ReviewItem } from '../app/review.js';
import { unlockPin, type PinUnlock } from '../app/support-actions.js';
import type { Disposition } from '../ports/mail-source.js';
import { runAsWriter } from './desk-writer.js';

export async function completeOrderNow(cfg: Config, log: Logger, id: string): Promise<PortOrder> {
  const { result } = await runAsWriter(cfg, log, { cmd: 'complete', id }, ({ desk }) => desk.completeOrder(id));
  return result as PortOrder;
}

export async function cancelOrderNow(cfg: Config, log: Logger, id: string, reason: string, code: string): Promise<PortOrder> {
  const { result } = await runAsWriter(cfg, log, { cmd: 'cancel', id, reason, code }, ({ desk }) => desk.cancelOrder(id, reason, code));
  return result as PortOrder;
}

/** Run in the daemon, the jobs report no counts (its scheduler runs them too); run here, they do. */
export type JobsReport = { ranBy: 'daemon' } | ({ ranBy: 'command' } & JobsRun);

/** Every job once, now; rejects with the first job's failure, wherever it ran. */
export async function runJobsNow(cfg: Config, log: Logger): Promise<JobsReport> {
  const answer = await runAsWriter(cfg, log, { cmd: 'jobs-run' }, ({ desk, delivery }) => runJobsOnce(desk, delivery));
  return answer.ranBy === 'daemon' ? { ranBy: 'daemon' } : { ranBy: 'command', ...answer.result };
}

export async function dismissReviewNow(cfg: Config, log: Logger, id: string, note: string, by?: string): Promise<ReviewItem> {
  const request = { cmd: 'review-dismiss' as const, id, note, ...(by ? { by } : {}) };
  const { result } = await runAsWriter(cfg, log, request, ({ desk }) => desk.dismissReview(id, note, by));
  return result as ReviewItem;
}

export async function reprocessReviewNow(cfg: Config, log: Logger, id: string, by?: string): Promise<{ item: ReviewItem; disposition: Disposition }> {
  const request = { cmd: 'review-reprocess' as const, id, ...(by ? { by } : {}) };
  const { result } = await runAsWriter(cfg, log, request, ({ desk }) => desk.reprocessReview(id, by));
  return result as { item: ReviewItem; disposition: Disposition };
}

export async function unlockPinNow(cfg: Config, log: Logger, accountId: string, carrier?: string, by?: string): Promise<PinUnlock> {
  const request = { cmd: 'unlock-pin' as const, accountId, ...(carrier ? { carrier } : {}), ...(by ? { by } : {}) };
  const { result } = await runAsWriter(cfg, log, request, ({ desk }) => unlockPin(desk.core, accountId, carrier, by));
  return result as PinUnlock;
}
