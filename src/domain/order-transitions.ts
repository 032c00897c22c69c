/**
 * The moves of an order (SPEC §3), one function each. Each takes its target state from the
 * lifecycle table and is refused when the table has no entry for the order's state; what a move
 * adds is its own: the history line, the decision, and the e-mails it owes carrier and customer.
 */
import type { EmailEffect } from './effects.js';
import { matchAccount } from './matching.js';
import { completionDeadline, isExpired, isOverdue, isReminderDue } from './order-deadlines.js';
import { targetState } from './order-lifecycle.js';
import { pinChangedSince, wrongPinNear } from './pin-guard.js';
import { refuse, refuseMove, withEvent, type DeskContext, type Outcome } from './order-step.js';
import {
  accountView,
  carrierFieldLines,
  carrierThread,
  carrierView,
  customerAddress,
  customerThread,
  numbersOf,
  orderView,
  reasonsOf,
  verificationData,
} from './order-views.js';
import type { ReasonCode } from './reason-codes.js';
import type { Account, Decision, MatchReport, PortOrder, Provided } from './records.js';

/** The order with one more e-mail of the desk's in its thread with the carrier. */
function withCarrierMail(messageId: string, order: PortOrder): Pick<PortOrder, 'carrierMessageIds'> {
  return { carrierMessageIds: [...(order.carrierMessageIds ?? []), messageId] };
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

/** received → pending_verification: the verification goes to the account's e-mail on file only (rule 2). */
export function verify(order: PortOrder, account: Account, ctx: DeskContext): Outcome {
  const to = targetState(order.state, 'verify');
  if (to === undefined) return refuseMove(order, 'verify');
  const messageId = ctx.ids.messageId();
  const sentAt = ctx.now;
  const expiresAt = ctx.calendar.addDuration(sentAt, ctx.policy.verificationWindow);
  const next = withEvent(order, ctx, 'verification-sent', `to ${account.email}`, {
    state: to,
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
export function reject(
  order: PortOrder,
  account: Account,
  ctx: DeskContext,
  decision: { by: Decision['by']; reasonCodes: ReasonCode[]; matchReport?: MatchReport; note?: string },
): Outcome {
  const to = targetState(order.state, 'reject');
  if (to === undefined) return refuseMove(order, 'reject');
  const reasonCodes = decision.reasonCodes.length ? decision.reasonCodes : (['MISSING_INFORMATION'] as ReasonCode[]);
  const carrierMailId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'rejected', `${reasonCodes.join(', ')} (by ${decision.by})`, {
    ...withCarrierMail(carrierMailId, order),
    state: to,
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
export function approve(order: PortOrder, account: Account, ctx: DeskContext, by: Decision['by'], matchReport?: MatchReport): Outcome {
  const to = targetState(order.state, 'approve');
  if (to === undefined) return refuseMove(order, 'approve');
  const focDate = ctx.calendar.focDate(ctx.now, ctx.policy.focMinBusinessDays, order.requestedDate);
  const carrierMailId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'approved', `by ${by}; completion date ${focDate}`, {
    ...withCarrierMail(carrierMailId, order),
    state: to,
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

/** Rule 2: the one reminder, while the verification is still unanswered. */
export function remind(order: PortOrder, account: Account, ctx: DeskContext): Outcome {
  const to = targetState(order.state, 'remind');
  // isReminderDue asks the table first: in a state that is never reminded, no reminder is due either.
  if (to === undefined || !isReminderDue(order, ctx)) return refuse(order, 'no reminder is due', 'NOT_DUE');
  const v = order.verification!;
  const reminderId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'reminder-sent', `to ${v.sentTo}`, {
    state: to,
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

/**
 * Rule 6: no decision in the window → compare what the carrier provided with the account.
 * PIN guessing (SPEC §10): an order whose account saw a wrong PIN in the 24 hours before it was
 * made, or while it waited, is never approved here — only the customer's own answer approves it
 * — so with no answer it is rejected (PIN_ATTEMPTS), whatever else matched. Rejecting, not
 * leaving it open: rule 6 ends every expired verification, and an order left open would hold
 * its numbers against the genuine carrier.
 */
export function expire(order: PortOrder, account: Account, ctx: DeskContext): Outcome {
  if (!isExpired(order, ctx)) return refuse(order, 'the verification window has not expired', 'NOT_DUE');
  // A lock or PIN set while the verification was pending still protects the account; an account
  // closed meanwhile (gone from billing) has no active numbers to give.
  if (account.status === 'closed') return reject(order, account, ctx, { by: 'auto-match', reasonCodes: ['TN_NOT_ACTIVE'] });
  if (account.portOutLock) return reject(order, account, ctx, { by: 'auto-match', reasonCodes: ['PORT_PROTECTED'] });
  if (account.portOutPin) {
    // The order keeps only whether the PIN matched when it came (never the PIN): a PIN set or
    // changed since cannot be checked against it, so it counts as not matched.
    if (!order.provided.pinGiven) return reject(order, account, ctx, { by: 'auto-match', reasonCodes: ['PIN_MISSING'] });
    if (order.provided.pinMatched !== true || pinChangedSince(account, order.createdAt)) {
      return reject(order, account, ctx, { by: 'auto-match', reasonCodes: ['PIN_INVALID'] });
    }
  }
  const report = matchAccount({ provided: order.provided, dids: order.dids }, account, ctx.policy.matchFields);
  if (wrongPinNear(account, order.createdAt)) {
    const reasonCodes = [...new Set<ReasonCode>(['PIN_ATTEMPTS', ...report.reasonCodes])];
    return reject(order, account, ctx, { by: 'auto-match', reasonCodes, matchReport: report });
  }
  const unconfirmed = proseOnly(report, order.provided);
  if (report.matched && unconfirmed.length) {
    const note = `${unconfirmed.join(', ')} read only from the request's sentences: an auto-match does not approve on that alone`;
    return reject(order, account, ctx, { by: 'auto-match', reasonCodes: ['MISSING_INFORMATION'], matchReport: report, note });
  }
  if (report.matched) return approve(order, account, ctx, 'auto-match', report);
  return reject(order, account, ctx, { by: 'auto-match', reasonCodes: report.reasonCodes, matchReport: report });
}

/**
 * The matched fields that rest only on words read from sentences. A name-or-company match rests
 * on them when each of the two the request gave came from sentences.
 */
function proseOnly(report: MatchReport, provided: Provided): string[] {
  const prose = new Set(provided.fromProse ?? []);
  if (prose.size === 0) return [];
  const rests = (field: string): boolean =>
    field === 'nameOrCompany' ? (['name', 'company'] as const).filter((k) => provided[k] !== undefined).every((k) => prose.has(k)) : prose.has(field);
  return report.fields.filter((f) => f.result === 'match' && rests(f.field)).map((f) => f.field);
}

/** Rule 10: numbers marked ported-out (kept, not deleted); admin-fee notice when none is left. */
export function complete(order: PortOrder, account: Account, ctx: DeskContext, by: 'carrier' | 'support', messageId?: string): Outcome {
  const to = targetState(order.state, 'complete');
  if (to === undefined) return refuseMove(order, 'complete');
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
    state: to,
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

/** Any open state → canceled, by the carrier, support or the overdue job; carrier and customer told. */
export function cancel(
  order: PortOrder,
  account: Account,
  ctx: DeskContext,
  c: { by: Decision['by']; reasonCodes: ReasonCode[]; note?: string; messageId?: string },
): Outcome {
  const to = targetState(order.state, 'cancel');
  if (to === undefined) return refuseMove(order, 'cancel');
  const carrierMailId = ctx.ids.messageId();
  const next = withEvent(order, ctx, 'canceled', `${c.reasonCodes.join(', ')} (by ${c.by})${c.note ? `: ${c.note}` : ''}`, {
    ...withCarrierMail(carrierMailId, order),
    state: to,
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

/** Rule 9: approved but not completed by the completion date and grace → canceled. */
export function cancelOverdue(order: PortOrder, account: Account, ctx: DeskContext): Outcome {
  if (!isOverdue(order, ctx)) return refuse(order, 'the order is not past its completion date and grace', 'NOT_DUE');
  return cancel(order, account, ctx, {
    by: 'job',
    reasonCodes: ['NOT_COMPLETED_IN_TIME'],
    note: 'The port was not completed in time; please submit a new order.',
  });
}
