/**
 * The customer's answer by one-click link (SPEC §12): the third secret of rule 4. The link was
 * only ever in the e-mails sent to the account's address, so pressing its button is the
 * customer's decision, recorded like a reply ("via link"). It decides once: while the order
 * waits for the customer and the verification has not expired. Any later press, or a replayed
 * POST, changes nothing and sends nothing; the page shows what the order became.
 */
import { isExpired, transition } from '../domain/order-machine.js';
import type { OrderState, PortOrder } from '../domain/records.js';
import type { DeskCore } from './desk-core.js';
import { annotateLastEvent } from './inbound/handled.js';

export type LinkAnswer =
  /** The decision was recorded now. */
  | { kind: 'decided'; order: PortOrder }
  /** Nothing changed: the order was decided before (by this link, a reply, or the desk). */
  | { kind: 'already'; order: PortOrder; state: OrderState }
  /** Nothing changed: the time to answer has passed (the desk decides, or has decided). */
  | { kind: 'expired'; order: PortOrder };

/**
 * Records `decision` for an order whose link was already checked by the caller. Runs in the
 * desk's queue, so a double press and a reply arriving at the same moment decide once.
 */
export function answerByLink(core: DeskCore, orderId: string, decision: 'approve' | 'reject', client: string): Promise<LinkAnswer> {
  return core.queue.run(async () => {
    const store = core.deps.store;
    const order = store.getOrder(orderId);
    if (!order) throw new Error(`order ${orderId} vanished`);
    if (order.state !== 'pending_verification') return { kind: 'already', order, state: order.state };
    const now = core.deps.clock.now();
    const ctx = core.context(now);
    if (isExpired(order, ctx)) return { kind: 'expired', order };
    const account = store.getAccount(order.accountId);
    if (!account) throw new Error(`order ${order.id} refers to account ${order.accountId}, which does not exist`);
    const from = order.verification?.sentTo ?? account.email;
    const outcome = transition(order, account, { type: 'customer-reply', decision, from }, ctx);
    const next = annotateLastEvent(outcome.order, `via link; ${client}`);
    await core.commit({ orders: [next] }, outcome.effects, now);
    core.deps.log.info({ orderId: order.id, decision, via: 'link' }, 'customer answered by link');
    return { kind: 'decided', order: next };
  });
}
