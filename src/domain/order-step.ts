/**
 * What one step of the state machine reads and returns. A step takes the order, the account, an
 * event and the context (time, calendar, policy, ids) and returns the new order and the effects
 * as values; it ends either in the state the lifecycle table names, with one more history entry,
 * or refused with the order untouched.
 */
import type { Calendar } from './calendar.js';
import type { Duration } from './duration.js';
import type { Effect } from './effects.js';
import type { TransitionName } from './order-lifecycle.js';
import type { MatchField } from './match-fields.js';
import type { PortOrder } from './records.js';
import type { Ids } from '../ports/ids.js';
import type { PinCheck } from '../ports/pins.js';

export interface DeskPolicy {
  verificationWindow: Duration;
  reminderAfter: Duration;
  completionGrace: Duration;
  focMinBusinessDays: number;
  matchFields: readonly MatchField[];
  supportEmail: string;
  /** Wrong PINs from one carrier within a day that lock the account against it (default 3). */
  wrongPinsBeforeLock?: number;
}

export interface DeskContext {
  now: Date;
  calendar: Calendar;
  policy: DeskPolicy;
  ids: Ids;
  /** Checks a carrier's PIN against the stored hash (SPEC §10); intake uses it, nothing after. */
  pins: PinCheck;
}

export interface Outcome {
  order: PortOrder;
  effects: Effect[];
  /** False when the event left the order as it was (its effects, if any, are notices). */
  changed: boolean;
  /** Set when the event does not apply to the order in its state. */
  refused?: { code: 'INVALID_TRANSITION' | 'NOT_DUE'; message: string };
}

export function refuse(order: PortOrder, message: string, code: 'INVALID_TRANSITION' | 'NOT_DUE' = 'INVALID_TRANSITION'): Outcome {
  return { order, effects: [], changed: false, refused: { code, message } };
}

/** The refusal of a move the lifecycle table has no entry for. */
export function refuseMove(order: PortOrder, name: TransitionName): Outcome {
  return refuse(order, `cannot ${name} an order that is ${order.state}`);
}

/** The order with `patch` applied and one more history entry, stamped with the context's time. */
export function withEvent(order: PortOrder, ctx: DeskContext, event: string, detail?: string, patch: Partial<PortOrder> = {}): PortOrder {
  const at = ctx.now.toISOString();
  return {
    ...order,
    ...patch,
    updatedAt: at,
    history: [...order.history, detail === undefined ? { at, event } : { at, event, detail }],
  };
}
