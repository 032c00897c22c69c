/**
 * What a customer's reply, already tied to one order and its sender, does (SPEC §3 rules 3, 4, 5,
 * 7). Only while the table allows the move the reply asks for does it decide: approve, reject, or
 * be asked again. Otherwise it changes nothing, and the customer or support is told why.
 */
import { canTransition, targetState, type TransitionName } from './order-lifecycle.js';
import { refuseMove, withEvent, type DeskContext, type Outcome } from './order-step.js';
import { approve, reject } from './order-transitions.js';
import { numbersOf, orderView, verificationData } from './order-views.js';
import type { Account, PortOrder } from './records.js';
import { supportAlert } from './support-alert.js';

/** "Please answer clearly" e-mails per verification before the desk stops asking. */
const MAX_CLARIFICATIONS = 2;

export interface CustomerReply {
  decision: 'approve' | 'reject' | 'unclear';
  messageId?: string;
  from: string;
}

/** The move each reading of a reply asks for. */
const MOVE_OF_DECISION: Record<CustomerReply['decision'], TransitionName> = { approve: 'approve', reject: 'reject', unclear: 'clarify' };

/** What every answer to the reply itself shares: to its sender, in its thread. */
function answering(order: PortOrder, reply: CustomerReply, messageId?: string) {
  return {
    kind: 'email' as const,
    to: [reply.from],
    orderId: order.id,
    ...(messageId ? { messageId } : {}),
    ...(reply.messageId ? { inReplyTo: reply.messageId, references: [reply.messageId] } : {}),
    autoSubmitted: 'auto-replied' as const,
  };
}

export function customerReply(order: PortOrder, account: Account, ctx: DeskContext, reply: CustomerReply): Outcome {
  const base = { order: orderView(order), numbers: numbersOf(order) };
  if (order.state === 'received') {
    // Rule 3: nothing was asked yet, so nothing can be approved.
    return {
      order: withEvent(order, ctx, 'pre-approval-refused', `reply from ${reply.from} before any verification`),
      changed: true,
      effects: [{ ...answering(order, reply), template: 'preapproval-refusal', data: base }],
    };
  }
  const move = MOVE_OF_DECISION[reply.decision];
  if (canTransition(order.state, move)) {
    if (move === 'approve') return approve(order, account, ctx, 'customer');
    if (move === 'reject') return reject(order, account, ctx, { by: 'customer', reasonCodes: ['CUSTOMER_REJECTED'] });
    return clarify(order, account, ctx, reply);
  }
  if (order.state === 'rejected' && reply.decision === 'approve') {
    // Rule 7: rejected is final; say so when the customer tries to approve.
    return {
      order: withEvent(order, ctx, 'already-rejected-notice', `approval from ${reply.from} after rejection`),
      changed: true,
      effects: [{ ...answering(order, reply), template: 'already-rejected', data: base }],
    };
  }
  return lateReply(order, ctx, reply);
}

/** Rule 5: a reply that says neither is answered with the question again, up to MAX_CLARIFICATIONS times. */
function clarify(order: PortOrder, account: Account, ctx: DeskContext, reply: CustomerReply): Outcome {
  const to = targetState(order.state, 'clarify');
  if (to === undefined) return refuseMove(order, 'clarify');
  const v = order.verification!;
  if (v.clarifications >= MAX_CLARIFICATIONS) {
    // An answering machine without Auto-Submitted would otherwise ping-pong until expiry.
    return {
      order: withEvent(order, ctx, 'reply-unclear', `another unclear reply from ${reply.from}; not asked again`, { state: to }),
      changed: true,
      effects: [
        supportAlert(
          ctx.policy.supportEmail,
          `Unclear replies on ${order.id}`,
          [`The account holder (${reply.from}) has answered ${v.clarifications + 1} times without a clear APPROVE or REJECT.`, 'The desk stopped asking; the verification window keeps running. Please contact the customer.'],
          order.id,
        ),
      ],
    };
  }
  // Sent to the address on file and answered in turn: its Message-ID binds the next reply.
  const askedId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'clarification-requested', 'reply said neither approve nor reject clearly', {
    state: to,
    verification: { ...v, clarifications: v.clarifications + 1, followUpIds: [...(v.followUpIds ?? []), askedId] },
  });
  return {
    order: next,
    changed: true,
    effects: [{ ...answering(order, reply, askedId), template: 'customer-unclear', data: { ...verificationData(next, account, ctx) }, replyToToken: order.token }],
  };
}

/**
 * Rule 4: a reply to a decided order changes nothing, but a person reads it — a late "no" on an
 * approved order may be fraud noticed late, and a "please close my account" needs an answer.
 */
function lateReply(order: PortOrder, ctx: DeskContext, reply: CustomerReply): Outcome {
  const urgent = reply.decision === 'reject' && order.state === 'approved';
  return {
    order: withEvent(order, ctx, 'reply-after-decision', `${reply.decision}; order already ${order.state}`),
    changed: true,
    effects: [
      supportAlert(
        ctx.policy.supportEmail,
        urgent ? `Customer rejected ${order.id} after it was approved` : `Customer wrote about ${order.id} after it was ${order.state}`,
        [
          `The account holder (${reply.from}) replied after the order was ${order.state}; the reply reads as ${reply.decision}.`,
          urgent ? 'The order was not changed. Please contact the customer and the carrier.' : 'The order was not changed. Please read the message and answer the customer.',
        ],
        order.id,
      ),
    ],
  };
}
