/**
 * Auto-replies and bounces are never decisions and never answered (no mail loops). A bounce of
 * one of the desk's e-mails about an order is worth a word to support: the address on file (or
 * the carrier's) may be wrong.
 */
import { findOrderRefs } from '../../mail/find-order-refs.js';
import { describeMessage, alertSupport, type Handled, type InboundInput } from './handled.js';

export function handleAutomatic(input: InboundInput, kind: 'auto_reply' | 'bounce'): Handled {
  const { core, msg } = input;
  if (kind === 'bounce') {
    const store = core.deps.store;
    const refs = findOrderRefs(msg, { deskAddresses: core.deskAddresses });
    const order = refs.threadIds.map((id) => store.findOrderByOutboundMessageId(id)).find(Boolean) ?? refs.orderIds.map((id) => store.getOrder(id)).find(Boolean);
    if (order) {
      return {
        outcome: 'ignored',
        reason: 'bounce',
        orderIds: [order.id],
        effects: [
          alertSupport(
            core,
            `An e-mail about ${order.id} bounced`,
            [...describeMessage(msg), 'A message the desk sent about this order could not be delivered. Please check the address on file.'],
            order.id,
          ),
        ],
      };
    }
  }
  return { outcome: 'ignored', reason: kind === 'bounce' ? 'bounce' : 'auto-reply' };
}
