/**
 * What support does by hand (`portdesk orders complete|cancel`): the same transitions as the
 * carrier's notices, recorded in the order's history with "by support". And `portdesk accounts
 * unlock-pin`: clearing a PIN lock set by guessing (SPEC §10).
 */
import type { Effect } from '../domain/effects.js';
import { transition, type OrderEvent } from '../domain/order-machine.js';
import { clearPinLocks } from '../domain/pin-guard.js';
import { REASON_CODES, type ReasonCode } from '../domain/reason-codes.js';
import type { PinLock, PortOrder } from '../domain/records.js';
import { DeskError } from '../errors.js';
import type { DeskCore } from './desk-core.js';
import { annotateLastEvent } from './inbound/handled.js';

/** Why support's action was refused; every code is permanent (src/errors.ts). */
export class ActionError extends DeskError<'ORDER_NOT_FOUND' | 'ACCOUNT_NOT_FOUND' | 'INVALID_TRANSITION' | 'BAD_REASON_CODE'> {
  constructor(code: ActionError['code'], message: string) {
    super(code, message);
    this.name = 'ActionError';
  }
}

/** `by`: the person (a console user, or the command line's operator), named in the order's history. */
async function act(core: DeskCore, orderId: string, event: OrderEvent, by?: string): Promise<PortOrder> {
  return core.queue.run(async () => {
    const store = core.deps.store;
    const order = store.getOrder(orderId.trim().toUpperCase());
    if (!order) throw new ActionError('ORDER_NOT_FOUND', `no order ${orderId}`);
    const account = store.getAccount(order.accountId);
    if (!account) throw new ActionError('ACCOUNT_NOT_FOUND', `order ${order.id} refers to account ${order.accountId}, which does not exist`);
    const now = core.deps.clock.now();
    const outcome = transition(order, account, event, core.context(now));
    if (outcome.refused) throw new ActionError('INVALID_TRANSITION', `${order.id}: ${outcome.refused.message}`);
    const effects: Effect[] = outcome.effects;
    const next = by ? annotateLastEvent(outcome.order, `support user: ${by}`) : outcome.order;
    await core.commit({ orders: [next] }, effects, now);
    core.deps.log.info({ orderId: order.id, state: next.state, by }, `order ${event.type} by support`);
    return next;
  });
}

export function completeOrder(core: DeskCore, orderId: string, by?: string): Promise<PortOrder> {
  return act(core, orderId, { type: 'complete', by: 'support' }, by);
}

export function cancelOrder(core: DeskCore, orderId: string, reason: string, code: string = 'CARRIER_CANCELED', by?: string): Promise<PortOrder> {
  if (!(REASON_CODES as readonly string[]).includes(code)) {
    return Promise.reject(new ActionError('BAD_REASON_CODE', `unknown reason code ${code}; one of ${REASON_CODES.join(', ')}`));
  }
  return act(core, orderId, { type: 'cancel', by: 'support', reasonCodes: [code as ReasonCode], note: reason }, by);
}

export interface PinUnlock {
  accountId: string;
  /** The locks cleared; empty when there was none (for that carrier). */
  cleared: PinLock[];
}

/**
 * Clears the PIN lock of an account against one carrier (its mail domain, or an address at it),
 * or against every carrier when none is named. That carrier's wrong PINs are forgotten with it;
 * orders made near them still wait for the customer's own answer (pin-guard.ts).
 */
export function unlockPin(core: DeskCore, accountId: string, carrier?: string, by?: string): Promise<PinUnlock> {
  return core.queue.run(async () => {
    const account = core.deps.store.getAccount(accountId.trim());
    if (!account) throw new ActionError('ACCOUNT_NOT_FOUND', `no account ${accountId}`);
    const { account: next, cleared } = clearPinLocks(account, carrier);
    if (cleared.length) await core.commit({ accounts: [next] }, [], core.deps.clock.now());
    core.deps.log.info({ accountId: account.id, carriers: cleared.map((l) => l.carrier), by }, cleared.length ? 'PIN lock cleared by support' : 'no PIN lock to clear');
    return { accountId: account.id, cleared };
  });
}
