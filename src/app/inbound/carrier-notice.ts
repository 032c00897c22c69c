/**
 * A carrier's completion or cancellation notice (SPEC §3 rules 9–10, §11). It must name an order
 * of the sender's own carrier, and count only in the desk's thread with that carrier or with an
 * aligned DKIM/SPF pass for the carrier's domain; a DMARC fail is never acted on. Anything else is
 * parked: a forged "port completed" would take a customer's numbers off their account, a forged
 * cancellation would kill a genuine port.
 */
import { answersCarrierThread, carrierUsesFreeMail, findCarrierOrders, isCarrierOf, uniqueOrders } from '../../domain/binding.js';
import type { Effect } from '../../domain/effects.js';
import { judgeCarrierNotice } from '../../domain/mail-auth.js';
import { transition, type OrderEvent } from '../../domain/order-machine.js';
import type { Account, PortOrder } from '../../domain/records.js';
import { findOrderRefs } from '../../mail/find-order-refs.js';
import { readCarrierNotice } from '../../mail/read-carrier-notice.js';
import { annotateLastEvent, review, type Handled, type InboundInput } from './handled.js';

export function handleCarrierNotice(input: InboundInput, kind: 'completion_notice' | 'cancellation', named?: PortOrder[]): Handled {
  const { core, msg, auth, ctx } = input;
  const store = core.deps.store;
  const sender = msg.from!.address;
  const refs = findOrderRefs(msg, { deskAddresses: core.deskAddresses });
  const what = kind === 'completion_notice' ? 'completion notice' : 'cancellation';
  let orders = named ?? [];
  if (!named) {
    const notice = readCarrierNotice(msg);
    const found = findCarrierOrders({ orderIds: notice.orderIds, ...(notice.pon ? { pon: notice.pon } : {}), dids: notice.dids }, sender, store);
    if (found.foreign.length) {
      const ids = found.foreign.map((o) => o.id);
      return review(input, 'UNKNOWN_SENDER', `${what} from ${sender} for order(s) placed by another carrier: ${ids.join(', ')}`, { orderIds: ids });
    }
    orders = found.orders;
    if (!orders.length) {
      // An answer in the desk's thread names its order by the thread alone.
      orders = uniqueOrders(refs.threadIds.map((id) => store.findOrderByOutboundMessageId(id))).filter((o) => isCarrierOf(o, sender));
    }
  }
  if (!orders.length) return review(input, 'NO_ORDER', `carrier ${what} that names no order of ${sender}`);
  const ids = orders.map((o) => o.id);

  // Every order it names must accept it, or none changes.
  const notes = new Map<string, string>();
  for (const order of orders) {
    const verdict = judgeCarrierNotice(auth, core.authMode, {
      inThread: answersCarrierThread(order, refs.threadIds),
      freeMail: carrierUsesFreeMail(order),
    });
    if (!verdict.accept) return review(input, verdict.reason, `${what} for ${order.id} from ${sender} not acted on: ${verdict.detail}`, { orderIds: ids });
    notes.set(order.id, verdict.note);
  }

  const changed: PortOrder[] = [];
  const effects: Effect[] = [];
  const refused: string[] = [];
  const accounts = new Map<string, Account>();
  for (const order of orders) {
    const account = accounts.get(order.accountId) ?? store.getAccount(order.accountId);
    if (!account) {
      refused.push(`${order.id}: account ${order.accountId} missing`);
      continue;
    }
    const messageRef = msg.messageId ? { messageId: msg.messageId } : {};
    const event: OrderEvent =
      kind === 'completion_notice'
        ? { type: 'complete', by: 'carrier', ...messageRef }
        : { type: 'cancel', by: 'carrier', reasonCodes: ['CARRIER_CANCELED'], ...messageRef };
    const outcome = transition(order, account, event, ctx);
    if (outcome.refused) {
      refused.push(`${order.id}: ${outcome.refused.message}`);
      continue;
    }
    changed.push(annotateLastEvent(outcome.order, `${what} from ${sender}; ${notes.get(order.id)}`));
    for (const e of outcome.effects) {
      if (e.kind === 'account') accounts.set(e.account.id, e.account);
      else effects.push(e);
    }
  }
  const all: Effect[] = [...[...accounts.values()].map((account) => ({ kind: 'account' as const, account })), ...effects];
  if (refused.length) {
    return review(input, 'NOT_APPLICABLE', `${what} could not be applied: ${refused.join('; ')}`, { effects: all, orderIds: ids, changes: { orders: changed } });
  }
  return { outcome: 'processed', orderIds: ids, changes: { orders: changed }, effects: all };
}
