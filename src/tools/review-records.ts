/**
 * Reading Review for `portdesk review list|show`: the items from the store opened read-only, and
 * for one item its parked message as text — with every reply-address token masked, since a
 * customer's reply carries the verification's token in its To line and in quoted text.
 */
import type { Config } from '../config.js';
import { findReview, listReview, type ReviewItem } from '../app/review.js';
import { parkedMessageText, type ParkedMessageText } from '../app/console-queries.js';
import { createParkedMailFiles } from '../adapters/parked-mail-files.js';
import { parseMessage } from '../mail/parse-message.js';
import { readRecords } from './read-records.js';

/** Lines of the message shown at most; `portdesk review show` is for a look, not an archive. */
const MAX_LINES = 80;

export function listReviewItems(cfg: Config, all: boolean): Promise<ReviewItem[]> {
  return readRecords(cfg, (store) => listReview(store, { all }));
}

export interface ReviewDetail {
  item: ReviewItem;
  /** The parked message as text, when a copy was kept. */
  message?: ParkedMessageText;
}

export async function showReviewItem(cfg: Config, id: string): Promise<ReviewDetail> {
  const item = await readRecords(cfg, (store) => findReview(store, id));
  const raw = await createParkedMailFiles(cfg.dataDir).load(item.key);
  if (!raw) return { item };
  return { item, message: parkedMessageText(await parseMessage(raw), MAX_LINES) };
}


