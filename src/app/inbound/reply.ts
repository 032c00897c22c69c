/**
 * A reply to the desk (SPEC §3 rules 3–5, 7; §11). It decides an order only when bound by a
 * secret of that order's verification, from the address the verification went to, with mail
 * authentication not contradicting that sender. Anything else changes no order:
 *  - the carrier writing in its own thread is read as the carrier (a notice, a corrected request);
 *  - a "decision" that names an order but carries no secret is parked (NOT_BOUND): the requesting
 *    carrier knows the order id, and a forged APPROVE is exactly the fraud the desk exists to stop;
 *  - an approval that answers nothing of ours gets the pre-approval explanation (rule 3).
 */
import { bindReply, isCarrierOf, uniqueOrders } from '../../domain/binding.js';
import { judgeCustomerReply } from '../../domain/mail-auth.js';
import { transition } from '../../domain/order-machine.js';
import type { PortOrder } from '../../domain/records.js';
import { readsAsCancellation, readsAsCompletion } from '../../mail/classify-message.js';
import { findOrderRefs } from '../../mail/find-order-refs.js';
import { readPortRequest } from '../../mail/read-port-request.js';
import { readReply } from '../../mail/read-reply.js';
import { extractNewText } from '../../mail/strip-quoted-text.js';
import { handleCarrierNotice } from './carrier-notice.js';
import { annotateLastEvent, describeMessage, review, alertSupport, type Handled, type InboundInput } from './handled.js';
import { handlePortRequest } from './port-request.js';

function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
}

export function handleReply(input: InboundInput): Handled {
  const { core, msg } = input;
  const store = core.deps.store;
  const refs = findOrderRefs(msg, { deskAddresses: core.deskAddresses, ...(input.envelope ? { envelopeRecipients: input.envelope.rcptTo } : {}) });
  const binding = bindReply(refs, store);
  const reading = readReply(msg);

  if (binding.kind === 'ambiguous') {
    const ids = binding.orders.map((o) => o.id);
    return review(input, 'NOT_BOUND', `a reply carrying the secrets of several orders (${ids.join(', ')}); not taken as a decision`, { orderIds: ids, bound: true });
  }
  if (binding.kind === 'bound') return decide(input, binding.order, binding.via, reading.decision);

  // No secret of a verification. Which orders does it name, and is the sender their carrier?
  const sender = msg.from!.address;
  const named = uniqueOrders([
    ...refs.orderIds.map((id) => store.getOrder(id)),
    ...refs.threadIds.map((id) => store.findOrderByOutboundMessageId(id)),
  ]);
  const carriers = named.filter((o) => isCarrierOf(o, sender));
  if (carriers.length) return fromCarrier(input, carriers);
  if (named.length) {
    const ids = named.map((o) => o.id);
    return review(
      input,
      'NOT_BOUND',
      `a reply about ${ids.join(', ')} that reads as ${reading.decision} but carries no secret of the verification (the order id alone binds nothing); the order was not changed`,
      { orderIds: ids },
    );
  }
  // Rule 3: an approval of something we never asked about is no approval.
  if (reading.decision === 'approve') return preApprovalRefusal(input, 'an approval that answers no verification of ours');
  return review(input, 'NO_ORDER', 'a reply that answers no e-mail of the desk and names no order');
}

/** Rule 4: bound by a secret; it must also come from the address the verification went to. */
function decide(input: InboundInput, order: PortOrder, via: string, decision: 'approve' | 'reject' | 'unclear'): Handled {
  const { core, msg, auth, ctx } = input;
  const account = core.deps.store.getAccount(order.accountId);
  const orderIds = [order.id];
  if (!account) return review(input, 'OTHER', `order ${order.id} refers to account ${order.accountId}, which does not exist`, { orderIds, bound: true });
  const expected = order.verification?.sentTo ?? account.email;
  const sender = msg.from!.address;
  if (!sameAddress(sender, expected)) {
    return review(input, 'SENDER_MISMATCH', `a reply to ${order.id} from ${sender}, not from the address the verification went to; not taken as a decision`, {
      orderIds,
      bound: true,
    });
  }
  const verdict = judgeCustomerReply(auth, core.authMode);
  if (!verdict.accept) {
    return review(input, verdict.reason, `a reply to ${order.id} that reads as ${decision}, refused: ${verdict.detail}; the order was not changed`, {
      orderIds,
      bound: true,
    });
  }
  const outcome = transition(order, account, { type: 'customer-reply', decision, from: sender, ...(msg.messageId ? { messageId: msg.messageId } : {}) }, ctx);
  return {
    outcome: 'processed',
    orderIds,
    reason: `reply read as ${decision}`,
    bound: true,
    changes: { orders: [annotateLastEvent(outcome.order, `reply read as ${decision}; bound by ${via}; ${verdict.note}`)] },
    effects: outcome.effects,
  };
}

/**
 * The carrier answering in its own thread: a notice or a corrected request, never a customer
 * decision. Only its own new words count (the desk's quoted subject says "completion date").
 */
function fromCarrier(input: InboundInput, orders: PortOrder[]): Handled {
  const own = extractNewText(input.msg).newText;
  if (readsAsCancellation(own)) return handleCarrierNotice(input, 'cancellation', orders);
  if (readsAsCompletion(own)) return handleCarrierNotice(input, 'completion_notice', orders);
  if (readPortRequest(input.msg).fields.dids.length) return handlePortRequest(input);
  const ids = orders.map((o) => o.id);
  return review(input, 'OTHER', `message from carrier ${input.msg.from!.address} about ${ids.join(', ')} that is neither a completion, a cancellation nor a new request`, {
    orderIds: ids,
  });
}

export function preApprovalRefusal(input: InboundInput, why: string): Handled {
  const { core, msg } = input;
  // Anyone can put anyone's address in From: the explanation must not become a way to mail a
  // stranger over and over through the desk.
  const sender = msg.from!.address;
  const written = core.usage.emailsTo(sender, input.ctx.now.getTime());
  if (written >= core.limits.emailsPerCustomerPerDay) {
    return review(input, 'RATE_LIMITED', `${why}; ${sender} has had ${written} e-mails from the desk in the last day (MAX_EMAILS_PER_CUSTOMER_PER_DAY), so no explanation was sent`);
  }
  return {
    outcome: 'processed',
    reason: `pre-approval refused: ${why}`,
    effects: [
      {
        kind: 'email',
        template: 'preapproval-refusal',
        to: [msg.from!.address],
        data: { numbers: [] },
        ...(msg.messageId ? { inReplyTo: msg.messageId, references: [msg.messageId] } : {}),
        autoSubmitted: 'auto-replied',
      },
      alertSupport(core, 'Pre-approval refused', [...describeMessage(msg, input.auth), `Why: ${why}`]),
    ],
  };
}
