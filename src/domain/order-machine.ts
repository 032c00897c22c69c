/**
 * The port-out order lifecycle (SPEC §3) as data plus pure transition functions. A transition
 * takes the order, the account, an event and the context (time, calendar, policy, ids) and
 * returns the new order and the effects — e-mails to queue, account changes — as values. Nothing
 * here does I/O; the app saves the order and its e-mails in one commit before anything is sent.
 */
import type { Calendar } from './calendar.js';
import type { Duration } from './duration.js';
import type { Effect, EmailEffect } from './effects.js';
import type { MatchField } from './match-fields.js';
import { matchAccount } from './matching.js';
import { normalizePin } from './normalize.js';
import { formatNumber } from './phone.js';
import { REASON_TEXT, type ReasonCode } from './reason-codes.js';
import { OPEN_STATES, type Account, type Decision, type MatchReport, type OrderState, type PortOrder } from './records.js';
import { supportAlert } from './support-alert.js';
import type { Ids } from '../ports/ids.js';

export interface DeskPolicy {
  verificationWindow: Duration;
  reminderAfter: Duration;
  completionGrace: Duration;
  focMinBusinessDays: number;
  matchFields: readonly MatchField[];
  supportEmail: string;
}

export interface DeskContext {
  now: Date;
  calendar: Calendar;
  policy: DeskPolicy;
  ids: Ids;
}

/** Which event may move an order from which state, and where to. Anything else is refused. */
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
} as const satisfies Record<OrderState, Partial<Record<string, OrderState>>>;

/** "Please answer clearly" e-mails per verification before the desk stops asking. */
export const MAX_CLARIFICATIONS = 2;

export type TransitionName = 'verify' | 'approve' | 'reject' | 'remind' | 'clarify' | 'complete' | 'cancel';

export function canTransition(state: OrderState, name: TransitionName): boolean {
  return name in TRANSITIONS[state];
}

export function isOpen(order: PortOrder): boolean {
  return OPEN_STATES.includes(order.state);
}

export type OrderEvent =
  | { type: 'verify' }
  | { type: 'reject'; by: Decision['by']; reasonCodes: ReasonCode[]; matchReport?: MatchReport; note?: string }
  | { type: 'customer-reply'; decision: 'approve' | 'reject' | 'unclear'; messageId?: string; from: string }
  | { type: 'remind' }
  | { type: 'expire' }
  | { type: 'complete'; by: 'carrier' | 'support'; messageId?: string }
  | { type: 'cancel'; by: 'carrier' | 'support'; reasonCodes: ReasonCode[]; note?: string; messageId?: string }
  | { type: 'cancel-overdue' };

export interface Outcome {
  order: PortOrder;
  effects: Effect[];
  /** False when the event left the order as it was (its effects, if any, are notices). */
  changed: boolean;
  /** Set when the event does not apply to the order in its state. */
  refused?: { code: 'INVALID_TRANSITION' | 'NOT_DUE'; message: string };
}

// ---------------------------------------------------------------------------------------------
// Views handed to templates. Carrier e-mails never carry values on file, only what they sent.

export function numbersOf(order: PortOrder): string[] {
  return order.dids.map(formatNumber);
}

export function reasonsOf(codes: readonly ReasonCode[]): { code: ReasonCode; text: string }[] {
  return codes.map((code) => ({ code, text: REASON_TEXT[code] }));
}

function orderView(order: PortOrder) {
  return { id: order.id, pon: order.carrier.pon, state: order.state };
}

function carrierView(order: PortOrder) {
  return { name: order.carrier.name, email: order.carrier.email, pon: order.carrier.pon };
}

function accountView(account: Account) {
  return { name: account.name, company: account.company };
}

/** The match report as the carrier may see it: what they provided and the result, nothing on file. */
export function carrierFieldLines(report: MatchReport | undefined) {
  if (!report) return [];
  return report.fields.map((f) => ({
    field: f.field,
    provided: f.field === 'pin' ? (f.provided ? '(given)' : undefined) : f.provided,
    result: f.result,
    reason: f.code ? REASON_TEXT[f.code] : 'Matches the account.',
  }));
}

// ---------------------------------------------------------------------------------------------

function withEvent(order: PortOrder, ctx: DeskContext, event: string, detail?: string, patch: Partial<PortOrder> = {}): PortOrder {
  const at = ctx.now.toISOString();
  return {
    ...order,
    ...patch,
    updatedAt: at,
    history: [...order.history, detail === undefined ? { at, event } : { at, event, detail }],
  };
}

/** The order with one more e-mail of the desk's in its thread with the carrier. */
function withCarrierMail(messageId: string, order: PortOrder): Pick<PortOrder, 'carrierMessageIds'> {
  return { carrierMessageIds: [...(order.carrierMessageIds ?? []), messageId] };
}

function carrierThread(order: PortOrder): Pick<EmailEffect, 'inReplyTo' | 'references'> {
  const first = order.sourceMessageIds[0];
  return first ? { inReplyTo: first, references: [...order.sourceMessageIds] } : {};
}

function customerThread(order: PortOrder): Pick<EmailEffect, 'inReplyTo' | 'references'> {
  const id = order.verification?.messageId;
  return id ? { inReplyTo: id, references: [id] } : {};
}

function customerAddress(order: PortOrder, account: Account): string {
  return order.verification?.sentTo ?? account.email;
}

function deadlineWords(order: PortOrder, ctx: DeskContext): string {
  return order.verification ? ctx.calendar.formatInstant(new Date(order.verification.expiresAt)) : '';
}

function verificationData(order: PortOrder, account: Account, ctx: DeskContext) {
  return {
    account: accountView(account),
    order: orderView(order),
    numbers: numbersOf(order),
    carrier: carrierView(order),
    requestedDate: order.requestedDate ? ctx.calendar.formatDate(order.requestedDate) : undefined,
    deadline: deadlineWords(order, ctx),
    approveWord: 'APPROVE',
    rejectWord: 'REJECT',
  };
}

function refuse(order: PortOrder, message: string, code: 'INVALID_TRANSITION' | 'NOT_DUE' = 'INVALID_TRANSITION'): Outcome {
  return { order, effects: [], changed: false, refused: { code, message } };
}


/** The account holder is told of every decision on a request for their numbers (rules 8, 12). */
function customerDecision(
  order: PortOrder,
  next: PortOrder,
  account: Account,
  decision: { outcome: 'approved' | 'rejected'; decidedBy: Decision['by']; focDate?: string; reasons: { code: ReasonCode; text: string }[] },
): EmailEffect {
  return {
    kind: 'email',
    template: 'customer-decision',
    to: [customerAddress(order, account)],
    data: { account: accountView(account), order: orderView(next), numbers: numbersOf(next), carrier: carrierView(next), ...decision },
    orderId: order.id,
    ...customerThread(order),
    autoSubmitted: 'auto-generated',
  };
}

// ---------------------------------------------------------------------------------------------
// Transitions

/** received → pending_verification: the verification goes to the account's e-mail on file only (rule 2). */
function verify(order: PortOrder, account: Account, ctx: DeskContext): Outcome {
  if (!canTransition(order.state, 'verify')) return refuse(order, `cannot verify an order that is ${order.state}`);
  const messageId = ctx.ids.messageId();
  const sentAt = ctx.now;
  const expiresAt = ctx.calendar.addDuration(sentAt, ctx.policy.verificationWindow);
  const next = withEvent(order, ctx, 'verification-sent', `to ${account.email}`, {
    state: TRANSITIONS.received.verify,
    verification: {
      sentTo: account.email,
      sentAt: sentAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      messageId,
      followUpIds: [],
      clarifications: 0,
    },
  });
  return {
    order: next,
    changed: true,
    effects: [
      {
        kind: 'email',
        template: 'customer-verification',
        to: [account.email],
        data: verificationData(next, account, ctx),
        orderId: order.id,
        messageId,
        replyToToken: order.token,
        autoSubmitted: 'auto-generated',
      },
    ],
  };
}

/**
 * Any open state → rejected. The carrier gets the reasons in words; the customer is told of the
 * request and its outcome (rule 12).
 */
function reject(
  order: PortOrder,
  account: Account,
  ctx: DeskContext,
  decision: { by: Decision['by']; reasonCodes: ReasonCode[]; matchReport?: MatchReport; note?: string },
): Outcome {
  if (!canTransition(order.state, 'reject')) return refuse(order, `cannot reject an order that is ${order.state}`);
  const reasonCodes = decision.reasonCodes.length ? decision.reasonCodes : (['MISSING_INFORMATION'] as ReasonCode[]);
  const carrierMailId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'rejected', `${reasonCodes.join(', ')} (by ${decision.by})`, {
    ...withCarrierMail(carrierMailId, order),
    state: 'rejected',
    decision: {
      by: decision.by,
      at: ctx.now.toISOString(),
      reasonCodes,
      ...(decision.matchReport ? { matchReport: decision.matchReport } : {}),
      ...(decision.note ? { note: decision.note } : {}),
    },
  });
  const reasons = reasonsOf(reasonCodes);
  return {
    order: next,
    changed: true,
    effects: [
      {
        kind: 'email',
        template: 'carrier-rejection',
        to: [order.carrier.email],
        messageId: carrierMailId,
        data: {
          order: orderView(next),
          carrier: carrierView(next),
          numbers: numbersOf(next),
          reasons,
          fields: carrierFieldLines(decision.matchReport),
          missing: [],
        },
        orderId: order.id,
        ...carrierThread(order),
        autoSubmitted: 'auto-replied',
      },
      customerDecision(order, next, account, { outcome: 'rejected', decidedBy: decision.by, reasons }),
    ],
  };
}

/** pending_verification → approved, with the completion date (rule 8) to carrier and customer. */
function approve(order: PortOrder, account: Account, ctx: DeskContext, by: Decision['by'], matchReport?: MatchReport): Outcome {
  if (!canTransition(order.state, 'approve')) return refuse(order, `cannot approve an order that is ${order.state}`);
  const focDate = ctx.calendar.focDate(ctx.now, ctx.policy.focMinBusinessDays, order.requestedDate);
  const carrierMailId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'approved', `by ${by}; completion date ${focDate}`, {
    ...withCarrierMail(carrierMailId, order),
    state: 'approved',
    focDate,
    decision: { by, at: ctx.now.toISOString(), reasonCodes: [], ...(matchReport ? { matchReport } : {}) },
  });
  const focWords = ctx.calendar.formatDate(focDate);
  const completeBy = ctx.calendar.formatInstant(completionDeadline(next, ctx)!);
  return {
    order: next,
    changed: true,
    effects: [
      {
        kind: 'email',
        template: 'carrier-approval',
        to: [order.carrier.email],
        messageId: carrierMailId,
        data: { order: orderView(next), carrier: carrierView(next), numbers: numbersOf(next), focDate: focWords, completeBy },
        orderId: order.id,
        ...carrierThread(order),
        autoSubmitted: 'auto-replied',
      },
      customerDecision(order, next, account, { outcome: 'approved', decidedBy: by, focDate: focWords, reasons: [] }),
    ],
  };
}

/** Rules 3, 5, 7: what a customer's reply, already tied to this order and sender, does. */
function customerReply(
  order: PortOrder,
  account: Account,
  ctx: DeskContext,
  reply: { decision: 'approve' | 'reject' | 'unclear'; messageId?: string; from: string },
): Outcome {
  const answer = (template: 'already-rejected' | 'preapproval-refusal' | 'customer-unclear', data: Record<string, unknown>, messageId?: string): EmailEffect => ({
    kind: 'email',
    template,
    to: [reply.from],
    data,
    orderId: order.id,
    ...(messageId ? { messageId } : {}),
    ...(reply.messageId ? { inReplyTo: reply.messageId, references: [reply.messageId] } : {}),
    ...(template === 'customer-unclear' ? { replyToToken: order.token } : {}),
    autoSubmitted: 'auto-replied',
  });
  const base = { order: orderView(order), numbers: numbersOf(order) };

  switch (order.state) {
    case 'received':
      // Rule 3: nothing was asked yet, so nothing can be approved.
      return {
        order: withEvent(order, ctx, 'pre-approval-refused', `reply from ${reply.from} before any verification`),
        changed: true,
        effects: [answer('preapproval-refusal', base)],
      };
    case 'pending_verification': {
      if (reply.decision === 'approve') return approve(order, account, ctx, 'customer');
      if (reply.decision === 'reject') return reject(order, account, ctx, { by: 'customer', reasonCodes: ['CUSTOMER_REJECTED'] });
      const v = order.verification!;
      if (v.clarifications >= MAX_CLARIFICATIONS) {
        // An answering machine without Auto-Submitted would otherwise ping-pong until expiry.
        return {
          order: withEvent(order, ctx, 'reply-unclear', `another unclear reply from ${reply.from}; not asked again`),
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
        verification: { ...v, clarifications: v.clarifications + 1, followUpIds: [...(v.followUpIds ?? []), askedId] },
      });
      return {
        order: next,
        changed: true,
        effects: [answer('customer-unclear', { ...verificationData(next, account, ctx) }, askedId)],
      };
    }
    case 'rejected':
      // Rule 7: rejected is final; say so when the customer tries to approve.
      if (reply.decision === 'approve') {
        return {
          order: withEvent(order, ctx, 'already-rejected-notice', `approval from ${reply.from} after rejection`),
          changed: true,
          effects: [answer('already-rejected', base)],
        };
      }
      return lateReply(order, ctx, reply);
    default:
      return lateReply(order, ctx, reply);
  }
}

/**
 * Rule 4: a reply to a decided order changes nothing, but a person reads it — a late "no" on an
 * approved order may be fraud noticed late, and a "please close my account" needs an answer.
 */
function lateReply(order: PortOrder, ctx: DeskContext, reply: { decision: 'approve' | 'reject' | 'unclear'; from: string }): Outcome {
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

/** Rule 2: one reminder at REMINDER_AFTER when there is still no answer. */
export function isReminderDue(order: PortOrder, ctx: DeskContext): boolean {
  const v = order.verification;
  if (order.state !== 'pending_verification' || !v || v.reminderSentAt) return false;
  const due = ctx.calendar.addDuration(new Date(v.sentAt), ctx.policy.reminderAfter);
  return ctx.now >= due && ctx.now < new Date(v.expiresAt);
}

function remind(order: PortOrder, account: Account, ctx: DeskContext): Outcome {
  if (!isReminderDue(order, ctx)) return refuse(order, 'no reminder is due', 'NOT_DUE');
  const v = order.verification!;
  const reminderId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'reminder-sent', `to ${v.sentTo}`, {
    verification: { ...v, reminderSentAt: ctx.now.toISOString(), followUpIds: [...(v.followUpIds ?? []), reminderId] },
  });
  return {
    order: next,
    changed: true,
    effects: [
      {
        kind: 'email',
        template: 'customer-reminder',
        to: [v.sentTo],
        data: verificationData(next, account, ctx),
        orderId: order.id,
        messageId: reminderId,
        ...customerThread(order),
        replyToToken: order.token,
        autoSubmitted: 'auto-generated',
      },
    ],
  };
}

export function isExpired(order: PortOrder, ctx: DeskContext): boolean {
  return order.state === 'pending_verification' && !!order.verification && ctx.now >= new Date(order.verification.expiresAt);
}

/** Rule 6: no decision in the window → compare what the carrier provided with the account. */
function expire(order: PortOrder, account: Account, ctx: DeskContext): Outcome {
  if (!isExpired(order, ctx)) return refuse(order, 'the verification window has not expired', 'NOT_DUE');
  // A lock or PIN set while the verification was pending still protects the account.
  if (account.portOutLock) return reject(order, account, ctx, { by: 'auto-match', reasonCodes: ['PORT_PROTECTED'] });
  if (account.portOutPin) {
    if (!order.provided.pin) return reject(order, account, ctx, { by: 'auto-match', reasonCodes: ['PIN_MISSING'] });
    if (normalizePin(order.provided.pin) !== normalizePin(account.portOutPin)) {
      return reject(order, account, ctx, { by: 'auto-match', reasonCodes: ['PIN_INVALID'] });
    }
  }
  const report = matchAccount({ provided: order.provided, dids: order.dids }, account, ctx.policy.matchFields);
  if (report.matched) return approve(order, account, ctx, 'auto-match', report);
  return reject(order, account, ctx, { by: 'auto-match', reasonCodes: report.reasonCodes, matchReport: report });
}

/** Rule 10: numbers marked ported-out (kept, not deleted); admin-fee notice when none is left. */
function complete(order: PortOrder, account: Account, ctx: DeskContext, by: 'carrier' | 'support', messageId?: string): Outcome {
  if (!canTransition(order.state, 'complete')) return refuse(order, `cannot complete an order that is ${order.state}`);
  const at = ctx.now.toISOString();
  const leaving = new Set(order.dids);
  const updatedAccount: Account = {
    ...account,
    dids: account.dids.map((d) =>
      leaving.has(d.number) && d.status === 'active' ? { ...d, status: 'ported-out', portedOutAt: at, portOrderId: order.id } : d,
    ),
  };
  const lastNumberGone = !updatedAccount.dids.some((d) => d.status === 'active');
  const next = withEvent(order, ctx, 'completed', `by ${by}${lastNumberGone ? '; no active number left on the account' : ''}`, {
    state: 'completed',
    completedAt: at,
    sourceMessageIds: messageId ? [...order.sourceMessageIds, messageId] : order.sourceMessageIds,
  });
  return {
    order: next,
    changed: true,
    effects: [
      { kind: 'account', account: updatedAccount },
      {
        kind: 'email',
        template: 'customer-completion',
        to: [customerAddress(order, account)],
        data: { account: accountView(account), order: orderView(next), numbers: numbersOf(next), lastNumberGone },
        orderId: order.id,
        ...customerThread(order),
        autoSubmitted: 'auto-generated',
      },
    ],
  };
}

function cancel(
  order: PortOrder,
  account: Account,
  ctx: DeskContext,
  c: { by: Decision['by']; reasonCodes: ReasonCode[]; note?: string; messageId?: string },
): Outcome {
  if (!canTransition(order.state, 'cancel')) return refuse(order, `cannot cancel an order that is ${order.state}`);
  const carrierMailId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'canceled', `${c.reasonCodes.join(', ')} (by ${c.by})${c.note ? `: ${c.note}` : ''}`, {
    ...withCarrierMail(carrierMailId, order),
    state: 'canceled',
    decision: { by: c.by, at: ctx.now.toISOString(), reasonCodes: c.reasonCodes, ...(c.note ? { note: c.note } : {}) },
    sourceMessageIds: c.messageId ? [...order.sourceMessageIds, c.messageId] : order.sourceMessageIds,
  });
  const reasons = reasonsOf(c.reasonCodes);
  return {
    order: next,
    changed: true,
    effects: [
      {
        kind: 'email',
        template: 'carrier-cancellation',
        to: [order.carrier.email],
        messageId: carrierMailId,
        data: { order: orderView(next), carrier: carrierView(next), numbers: numbersOf(next), reasons, note: c.note },
        orderId: order.id,
        ...(c.messageId ? { inReplyTo: c.messageId, references: [...order.sourceMessageIds, c.messageId] } : carrierThread(order)),
        autoSubmitted: c.messageId ? 'auto-replied' : 'auto-generated',
      },
      {
        kind: 'email',
        template: 'customer-cancellation',
        to: [customerAddress(order, account)],
        data: { account: accountView(account), order: orderView(next), numbers: numbersOf(next), reasons, note: c.note },
        orderId: order.id,
        ...customerThread(order),
        autoSubmitted: 'auto-generated',
      },
    ],
  };
}

/** The instant after which an approved order not yet completed is canceled (rule 9). */
export function completionDeadline(order: PortOrder, ctx: DeskContext): Date | undefined {
  if (!order.focDate) return undefined;
  return ctx.calendar.addDuration(ctx.calendar.endOfDate(order.focDate), ctx.policy.completionGrace);
}

export function isOverdue(order: PortOrder, ctx: DeskContext): boolean {
  const deadline = completionDeadline(order, ctx);
  return order.state === 'approved' && deadline !== undefined && ctx.now >= deadline;
}

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
      if (!isOverdue(order, ctx)) return refuse(order, 'the order is not past its completion date and grace', 'NOT_DUE');
      return cancel(order, account, ctx, {
        by: 'job',
        reasonCodes: ['NOT_COMPLETED_IN_TIME'],
        note: 'The port was not completed in time; please submit a new order.',
      });
  }
}
