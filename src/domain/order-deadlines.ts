/**
 * When the jobs act on an order (SPEC §3 rules 2, 6, 9): the reminder, the end of the
 * verification window, the completion deadline. Which states they apply to comes from the
 * lifecycle table; these only add the clock.
 */
import { canTransition } from './order-lifecycle.js';
import type { DeskContext } from './order-step.js';
import type { PortOrder } from './records.js';

/** Rule 2: one reminder at REMINDER_AFTER when there is still no answer. */
export function isReminderDue(order: PortOrder, ctx: DeskContext): boolean {
  const v = order.verification;
  if (!canTransition(order.state, 'remind') || !v || v.reminderSentAt) return false;
  const due = ctx.calendar.addDuration(new Date(v.sentAt), ctx.policy.reminderAfter);
  return ctx.now >= due && ctx.now < new Date(v.expiresAt);
}

/** Rule 6: the window is over on an order the customer's answer could still approve or reject. */
export function isExpired(order: PortOrder, ctx: DeskContext): boolean {
  return (
    canTransition(order.state, 'approve') &&
    canTransition(order.state, 'reject') &&
    !!order.verification &&
    ctx.now >= new Date(order.verification.expiresAt)
  );
}

/** The instant after which an approved order not yet completed is canceled (rule 9). */
export function completionDeadline(order: PortOrder, ctx: DeskContext): Date | undefined {
  if (!order.focDate) return undefined;
  return ctx.calendar.addDuration(ctx.calendar.endOfDate(order.focDate), ctx.policy.completionGrace);
}

/** Rule 9: an order still waiting to be completed (and so cancelable) is past its deadline. */
export function isOverdue(order: PortOrder, ctx: DeskContext): boolean {
  const deadline = completionDeadline(order, ctx);
  return canTransition(order.state, 'complete') && canTransition(order.state, 'cancel') && deadline !== undefined && ctx.now >= deadline;
}
