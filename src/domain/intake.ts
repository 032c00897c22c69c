/**
 * A carrier's port-out request, read from mail, becomes orders (SPEC §3 rules 1, 11, 12): one
 * order per account, numbers on no account rejected on their own, conflicting open orders
 * refused, resends answered idempotently, locked and PIN-protected accounts refused at once, and
 * everything else sent to the account holder for verification.
 */
import type { Effect, EmailEffect } from './effects.js';
import { normalizePin } from './normalize.js';
import { isOpen, reasonsOf, transition, type DeskContext } from './order-machine.js';
import { formatNumber } from './phone.js';
import type { ReasonCode } from './reason-codes.js';
import type { Account, Carrier, PortOrder, Provided } from './records.js';

export interface IntakeRequest {
  carrier: Carrier;
  provided: Provided;
  dids: string[];
  requestedDate?: string;
  /** Required items the reader could not find ("telephone numbers", …). */
  missing: string[];
  sourceMessageId?: string;
  /** The carrier claims the customer already approved: noted, never counted (rule 3). */
  claimsApproval?: boolean;
  /** What mail authentication said of the request, for each order's history (SPEC §11). */
  authNote?: string;
}

/** The parts of the store intake reads. */
export interface IntakeView {
  findAccountByDid(did: string): Account | undefined;
  openOrdersForDid(did: string): PortOrder[];
  getOrder(id: string): PortOrder | undefined;
}

export interface IntakeResult {
  /** Orders created by this request (pending verification, or rejected at once). */
  created: PortOrder[];
  /** Existing open orders this request is a resend of; updated with the new source message. */
  resent: PortOrder[];
  unknownNumbers: string[];
  effects: Effect[];
}

/** The identity of "the same request" for rule 11: same carrier, same PON, same numbers. */
export function requestKeyOf(carrierEmail: string, pon: string | undefined, dids: readonly string[]): string {
  return [carrierEmail.trim().toLowerCase(), (pon ?? '').trim().toUpperCase(), [...dids].sort().join(',')].join('|');
}

/** At least one fact that identifies the account, besides the numbers. */
function hasIdentity(p: Provided): boolean {
  return Boolean(p.name || p.company || p.accountNumber || p.street || p.btn);
}

function newOrderId(view: IntakeView, ctx: DeskContext, taken: Set<string>): string {
  for (;;) {
    const id = ctx.ids.orderId();
    if (!taken.has(id) && !view.getOrder(id)) {
      taken.add(id);
      return id;
    }
  }
}

/** Checks made at once, before any verification: rules 11 and 12. */
function immediateReasons(account: Account, dids: string[], provided: Provided, pendingConflict: boolean): ReasonCode[] {
  if (account.portOutLock) return ['PORT_PROTECTED'];
  const codes: ReasonCode[] = [];
  if (account.status === 'closed') codes.push('TN_NOT_ACTIVE');
  else {
    const inactive = dids.some((d) => account.dids.find((x) => x.number === d)?.status !== 'active');
    if (inactive) codes.push('TN_NOT_ACTIVE');
  }
  if (account.portOutPin) {
    if (!provided.pin) codes.push('PIN_MISSING');
    else if (normalizePin(provided.pin) !== normalizePin(account.portOutPin)) codes.push('PIN_INVALID');
  }
  if (pendingConflict) codes.push('TN_PENDING_ORDER');
  if (!hasIdentity(provided)) codes.push('MISSING_INFORMATION');
  return codes;
}

export function intakePortRequest(req: IntakeRequest, view: IntakeView, ctx: DeskContext): IntakeResult {
  const at = ctx.now.toISOString();
  const source = req.sourceMessageId;
  const thread = source ? { inReplyTo: source, references: [source] } : {};
  const result: IntakeResult = { created: [], resent: [], unknownNumbers: [], effects: [] };
  /** A rejection to the carrier that concerns no order, answering its request. */
  const rejectToCarrier = (numbers: string[], code: 'MISSING_INFORMATION' | 'TN_NOT_FOUND', missing: string[]) =>
    result.effects.push({
      kind: 'email',
      template: 'carrier-rejection',
      to: [req.carrier.email],
      // No order, so no match report: no field lines.
      data: { carrier: req.carrier, numbers, reasons: reasonsOf([code]), fields: [], missing },
      ...thread,
      autoSubmitted: 'auto-replied',
    });

  if (req.dids.length === 0) {
    // Nothing to act on: tell the carrier what is missing (MISSING_INFORMATION), no order.
    rejectToCarrier([], 'MISSING_INFORMATION', req.missing.length ? req.missing : ['telephone numbers']);
    return result;
  }

  // Rule 1: group the numbers by the account that holds them.
  const groups = new Map<string, { account: Account; dids: string[] }>();
  for (const did of req.dids) {
    const account = view.findAccountByDid(did);
    if (!account) {
      result.unknownNumbers.push(did);
      continue;
    }
    const g = groups.get(account.id) ?? { account, dids: [] };
    g.dids.push(did);
    groups.set(account.id, g);
  }

  const taken = new Set<string>();
  const ackOrders: { id: string; numbers: string[] }[] = [];
  const later: Effect[] = [];
  // Fixed now so every order it names remembers it: the carrier's answer in this thread counts.
  const ackId = ctx.ids.messageId();
  const approvalClaimAnswerId = req.claimsApproval ? ctx.ids.messageId() : undefined;
  const carrierIds = (order: PortOrder, ...ids: (string | undefined)[]): string[] => [
    ...(order.carrierMessageIds ?? []),
    ...ids.filter((id): id is string => id !== undefined),
  ];

  for (const { account, dids } of groups.values()) {
    const requestKey = requestKeyOf(req.carrier.email, req.carrier.pon, dids);
    const open = [...new Set(dids.flatMap((d) => view.openOrdersForDid(d)))].filter(isOpen);

    // Rule 11: the same carrier resending the same request gets the same answer, no new order.
    const same = open.find((o) => o.requestKey === requestKey);
    if (same) {
      const updated: PortOrder = {
        ...same,
        updatedAt: at,
        sourceMessageIds: source && !same.sourceMessageIds.includes(source) ? [...same.sourceMessageIds, source] : same.sourceMessageIds,
        carrierMessageIds: carrierIds(same, ackId),
        history: [...same.history, { at, event: 'resend-acknowledged', detail: source ? `message ${source}` : undefined }],
      };
      result.resent.push(updated);
      ackOrders.push({ id: same.id, numbers: same.dids.map(formatNumber) });
      continue;
    }

    const order: PortOrder = {
      id: newOrderId(view, ctx, taken),
      token: ctx.ids.token(),
      state: 'received',
      accountId: account.id,
      dids,
      carrier: req.carrier,
      provided: req.provided,
      ...(req.requestedDate ? { requestedDate: req.requestedDate } : {}),
      requestKey,
      sourceMessageIds: source ? [source] : [],
      carrierMessageIds: [ackId, ...(approvalClaimAnswerId ? [approvalClaimAnswerId] : [])],
      createdAt: at,
      updatedAt: at,
      history: [
        { at, event: 'received', detail: `from ${req.carrier.email}${req.carrier.pon ? `, PON ${req.carrier.pon}` : ''}${req.authNote ? `; ${req.authNote}` : ''}` },
        ...(req.claimsApproval
          ? [{ at, event: 'approval-claim-disregarded', detail: 'the request says the customer already approved; only the answer to our verification counts' }]
          : []),
      ],
    };
    ackOrders.push({ id: order.id, numbers: dids.map(formatNumber) });

    const codes = immediateReasons(account, dids, req.provided, open.length > 0);
    const outcome = codes.length
      ? transition(order, account, { type: 'reject', by: 'desk', reasonCodes: codes }, ctx)
      : transition(order, account, { type: 'verify' }, ctx);
    result.created.push(outcome.order);
    later.push(...outcome.effects);
  }

  // The acknowledgement comes first: it names every order id, and which numbers are not ours.
  if (ackOrders.length) {
    const ack: EmailEffect = {
      kind: 'email',
      template: 'carrier-acknowledgement',
      to: [req.carrier.email],
      data: {
        carrier: req.carrier,
        orders: ackOrders,
        rejectedNumbers: result.unknownNumbers.map((d) => ({ number: formatNumber(d), code: 'TN_NOT_FOUND', text: reasonsOf(['TN_NOT_FOUND'])[0]!.text })),
      },
      orderId: ackOrders[0]!.id,
      messageId: ackId,
      ...thread,
      autoSubmitted: 'auto-replied',
    };
    result.effects.push(ack);
  }
  result.effects.push(...later);

  // Rule 3: a carrier's word that the customer "already approved" counts for nothing; say so.
  if (req.claimsApproval && result.created.length) {
    result.effects.push({
      kind: 'email',
      template: 'preapproval-refusal',
      to: [req.carrier.email],
      data: { order: { id: result.created[0]!.id }, numbers: result.created.flatMap((o) => o.dids.map(formatNumber)) },
      orderId: result.created[0]!.id,
      ...(approvalClaimAnswerId ? { messageId: approvalClaimAnswerId } : {}),
      ...thread,
      autoSubmitted: 'auto-replied',
    });
  }

  // Rule 1: numbers on no account are rejected with their own reason.
  if (result.unknownNumbers.length) {
    rejectToCarrier(result.unknownNumbers.map(formatNumber), 'TN_NOT_FOUND', []);
  }
  return result;
}
