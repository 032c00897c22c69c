/**
 * The parts of an order, an account and a match report that templates see, and the headers that
 * keep each e-mail in its thread. Carrier e-mails never carry values on file, only what the
 * carrier sent.
 */
import type { EmailEffect } from './effects.js';
import type { DeskContext } from './order-step.js';
import { domainOf } from './free-mail.js';
import { formatNumber } from './phone.js';
import { REASON_TEXT, type ReasonCode } from './reason-codes.js';
import type { Account, MatchReport, PortOrder } from './records.js';

export function numbersOf(order: PortOrder): string[] {
  return order.dids.map(formatNumber);
}

export function reasonsOf(codes: readonly ReasonCode[]): { code: ReasonCode; text: string }[] {
  return codes.map((code) => ({ code, text: REASON_TEXT[code] }));
}

export function orderView(order: PortOrder) {
  return { id: order.id, pon: order.carrier.pon, state: order.state };
}

export function carrierView(order: PortOrder) {
  return { name: order.carrier.name, email: order.carrier.email, domain: domainOf(order.carrier.email), pon: order.carrier.pon };
}

export function accountView(account: Account) {
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

/** What the verification, the reminder and the request to answer clearly tell the customer. */
export function verificationData(order: PortOrder, account: Account, ctx: DeskContext) {
  return {
    account: accountView(account),
    order: orderView(order),
    numbers: numbersOf(order),
    carrier: carrierView(order),
    requestedDate: order.requestedDate ? ctx.calendar.formatDate(order.requestedDate) : undefined,
    deadline: order.verification ? ctx.calendar.formatInstant(new Date(order.verification.expiresAt)) : '',
    approveWord: 'APPROVE' as const,
    rejectWord: 'REJECT' as const,
  };
}

/** In reply to the carrier's request, so the carrier's mail client shows one conversation. */
export function carrierThread(order: PortOrder): Pick<EmailEffect, 'inReplyTo' | 'references'> {
  const first = order.sourceMessageIds[0];
  return first ? { inReplyTo: first, references: [...order.sourceMessageIds] } : {};
}

/** In reply to the verification, so the customer's mail client shows one conversation. */
export function customerThread(order: PortOrder): Pick<EmailEffect, 'inReplyTo' | 'references'> {
  const id = order.verification?.messageId;
  return id ? { inReplyTo: id, references: [id] } : {};
}

/** The address the verification went to, which may differ from the account's e-mail today. */
export function customerAddress(order: PortOrder, account: Account): string {
  return order.verification?.sentTo ?? account.email;
}
