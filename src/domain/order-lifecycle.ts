/**
 * The port-out order lifecycle (SPEC §3) as one table: which move may take an order from which
 * state, and to which state. Every transition in order-transitions.ts and customer-reply.ts takes
 * its target from here and is refused when the table has no entry, so this table is the one
 * statement of the lifecycle.
 */
import { OPEN_STATES, type OrderState, type PortOrder } from './records.js';

export type TransitionName = 'verify' | 'approve' | 'reject' | 'remind' | 'clarify' | 'complete' | 'cancel';

/** Which move may take an order from which state, and where to. Anything else is refused. */
export const TRANSITIONS = {
  received: { verify: 'pending_verification', reject: 'rejected', cancel: 'canceled' },
  pending_verification: {
    approve: 'approved',
    reject: 'rejected',
    remind: 'pending_verification',
    clarify: 'pending_verification',
    cancel: 'canceled',
  },
  approved: { complete: 'completed', cancel: 'canceled' },
  rejected: {},
  completed: {},
  canceled: {},
} as const satisfies Record<OrderState, Partial<Record<TransitionName, OrderState>>>;

/** Where `name` takes an order in `state`, or undefined when the table does not allow it. */
export function targetState(state: OrderState, name: TransitionName): OrderState | undefined {
  const moves: Partial<Record<TransitionName, OrderState>> = TRANSITIONS[state];
  return moves[name];
}

export function canTransition(state: OrderState, name: TransitionName): boolean {
  return targetState(state, name) !== undefined;
}

export function isOpen(order: PortOrder): boolean {
  return OPEN_STATES.includes(order.state);
}
