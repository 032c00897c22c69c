/**
 * The port-out order lifecycle (SPEC §3) as data plus pure transition functions: the table of
 * moves is order-lifecycle.ts, the moves order-transitions.ts, a customer's reply
 * customer-reply.ts, the clock's part order-deadlines.ts, what templates see order-views.ts.
 * `transition` applies one event to one order and returns the new order and the effects — e-mails
 * to queue, account changes — as values. Nothing here does I/O; the app saves the order and its
 * e-mails in one commit before anything is sent.
 */
import { customerReply, type CustomerReply } from './customer-reply.js';
import type { DeskContext, Outcome } from './order-step.js';
import { cancel, cancelOverdue, complete, expire, reject, remind, verify } from './order-transitions.js';
import type { ReasonCode } from './reason-codes.js';
import type { Account, Decision, MatchReport, PortOrder } from './records.js';

export { TRANSITIONS, canTransition, isOpen } from './order-lifecycle.js';
export { completionDeadline, isExpired, isOverdue, isReminderDue } from './order-deadlines.js';
export { reasonsOf } from './order-views.js';
export type { DeskContext, DeskPolicy, Outcome } from './order-step.js';

export type OrderEvent =
  | { type: 'verify' }
  | { type: 'reject'; by: Decision['by']; reasonCodes: ReasonCode[]; matchReport?: MatchReport; note?: string }
  | ({ type: 'customer-reply' } & CustomerReply)
  | { type: 'remind' }
  | { type: 'expire' }
  | { type: 'complete'; by: 'carrier' | 'support'; messageId?: string }
  | { type: 'cancel'; by: 'carrier' | 'support'; reasonCodes: ReasonCode[]; note?: string; messageId?: string }
  | { type: 'cancel-overdue' };

/** Applies one event to one order. */
export function transition(order: PortOrder, account: Account, event: OrderEvent, ctx: DeskContext): Outcome {
  switch (event.type) {
    case 'verify':
      return verify(order, account, ctx);
    case 'reject':
      return reject(order, account, ctx, event);
    case 'customer-reply':
      return customerReply(order, account, ctx, event);
    case 'remind':
      return remind(order, account, ctx);
    case 'expire':
      return expire(order, account, ctx);
    case 'complete':
      return complete(order, account, ctx, event.by, event.messageId);
    case 'cancel':
      return cancel(order, account, ctx, event);
    case 'cancel-overdue':
      return cancelOverdue(order, account, ctx);
  }
}
