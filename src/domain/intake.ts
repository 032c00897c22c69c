/**
 * A carrier's port-out request, read from mail, becomes orders (SPEC §3 rules 1, 11, 12): one
 * order per account, numbers on no account rejected on their own, conflicting open orders
 * refused, resends answered idempotently, locked and PIN-protected accounts refused at once, and
 * everything else sent to the account holder for verification. The carrier's PIN is checked here
 * and never kept: the order records only whether one was given and whether it matched; a wrong
 * one is counted on the account, and the third from one carrier locks it out (pin-guard.ts).
 */
import type { Effect, EmailEffect } from './effects.js';
import { isOpen, reasonsOf, transition, type DeskContext } from './order-machine.js';
import { formatNumber } from './phone.js';
import { checkCarrierPin, isPinGiven, noteWrongPin, pinCarrierOf, pinLockAgainst, type WrongPinNoted } from './pin-guard.js';
import type { ReasonCode } from './reason-codes.js';
import type { Account, Carrier, CarrierProvided, PinLock, PortOrder, Provided } from './records.js';
import { supportAlert } from './support-alert.js';

export interface IntakeRequest {
  carrier: Carrier;
  /** As the carrier wrote it, the PIN in clear; the order keeps it without the PIN. */
  provided: CarrierProvided;
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
  /** Accounts this request locked against its carrier by a third wrong PIN (support is alerted in `effects`). */
  pinLocks: { accountId: string; carrier: string }[];
}

/** The identity of "the same request" for rule 11: same carrier, same PON, same numbers. */
export function requestKeyOf(carrierEmail: string, pon: string | undefined, dids: readonly string[]): string {
  return [carrierEmail.trim().toLowerCase(), (pon ?? '').trim().toUpperCase(), [...dids].sort().join(',')].join('|');
}

/** At least one fact that identifies the account, besides the numbers. */
function hasIdentity(p: Provided): boolean {
  return Boolean(p.name || p.company || p.accountNumber || p.street || p.btn);
}

function withHistory(order: PortOrder, at: string, event: string, detail: string): PortOrder {
  return { ...order, history: [...order.history, { at, event, detail }] };
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

/** Checks made at once, before any verification: rules 11 and 12, and the PIN lock of §10. */
function immediateReasons(account: Account, dids: string[], provided: Provided, pinLock: PinLock | undefined, pendingConflict: boolean): ReasonCode[] {
  if (account.portOutLock) return ['PORT_PROTECTED'];
  if (pinLock) return ['PIN_LOCKED'];
  const codes: ReasonCode[] = [];
  if (account.status === 'closed') codes.push('TN_NOT_ACTIVE');
  else {
    const inactive = dids.some((d) => account.dids.find((x) => x.number === d)?.status !== 'active');
    if (inactive) codes.push('TN_NOT_ACTIVE');
  }
  if (account.portOutPin) {
    if (!provided.pinGiven) codes.push('PIN_MISSING');
    else if (provided.pinMatched !== true) codes.push('PIN_INVALID');
  }
  if (pendingConflict) codes.push('TN_PENDING_ORDER');
  if (!hasIdentity(provided)) codes.push('MISSING_INFORMATION');
  return codes;
}

/** The carrier's fields without the PIN, and what is kept of the PIN instead. */
function keptOf(given: CarrierProvided, pin: Pick<Provided, 'pinGiven' | 'pinMatched'>): Provided {
  const { pin: _clear, ...fields } = given;
  return { ...fields, ...pin };
}

/** Support hears when PIN guessing locks an account: who, how often, and how to clear it. */
function pinLockAlert(ctx: DeskContext, account: Account, noted: WrongPinNoted & { locked: PinLock }, order: PortOrder, from: string): EmailEffect {
  const carrier = noted.locked.carrier;
  return supportAlert(
    ctx.policy.supportEmail,
    `PIN guessing: account ${account.id} locked against ${carrier}`,
    [
      `${noted.fromCarrier} wrong port-out PINs for account ${account.id} (${account.name}) from ${carrier} within 24 hours (the last: order ${order.id}, from ${from}).`,
      `New port-out requests from ${carrier} for this account are refused at once (PIN_LOCKED) until support clears the lock; the customer (${account.email}) has been told.`,
      'Orders made near a wrong PIN are never approved by auto-match: only the customer’s answer approves them.',
      `To clear the lock: portdesk accounts unlock-pin ${account.id} --carrier ${carrier}`,
    ],
    order.id,
  );
}

export function intakePortRequest(req: IntakeRequest, view: IntakeView, ctx: DeskContext): IntakeResult {
  const at = ctx.now.toISOString();
  const source = req.sourceMessageId;
  const thread = source ? { inReplyTo: source, references: [source] } : {};
  const result: IntakeResult = { created: [], resent: [], unknownNumbers: [], effects: [], pinLocks: [] };
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

    // A locked account or carrier is refused before its PIN is checked: no hash is computed for
    // it, and a guesser learns nothing more once locked out.
    const pinCarrier = pinCarrierOf(req.carrier.email);
    const pinLock = account.portOutLock ? undefined : pinLockAgainst(account, pinCarrier);
    const refusedEarly = account.portOutLock || pinLock !== undefined;
    const pin = refusedEarly ? (isPinGiven(req.provided.pin) ? { pinGiven: true } : {}) : checkCarrierPin(ctx.pins, req.provided.pin, account);
    const provided = keptOf(req.provided, pin);

    const order: PortOrder = {
      id: newOrderId(view, ctx, taken),
      token: ctx.ids.token(),
      state: 'received',
      accountId: account.id,
      dids,
      carrier: req.carrier,
      provided,
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

    const codes = immediateReasons(account, dids, provided, pinLock, open.length > 0);
    let decided = order;
    let holder = account;
    let noted: WrongPinNoted | undefined;
    if (codes.includes('PIN_INVALID')) {
      noted = noteWrongPin(account, pinCarrier, ctx.now, order.id, ctx.policy.wrongPinsBeforeLock);
      holder = noted.account;
      if (noted.locked) {
        codes.splice(codes.indexOf('PIN_INVALID') + 1, 0, 'PIN_LOCKED');
        decided = withHistory(decided, at, 'pin-lock-set', `${noted.fromCarrier} wrong PINs from ${pinCarrier} within 24 hours; its new requests for this account are refused until support clears the lock`);
      }
    }
    if (pinLock) {
      decided = withHistory(decided, at, 'pin-lock-refused', `requests from ${pinCarrier} are refused since ${pinLock.at} (${pinLock.wrongPins} wrong PINs); the customer was told when the lock was set, not again`);
    }
    const outcome = codes.length
      ? transition(decided, holder, { type: 'reject', by: 'desk', reasonCodes: codes }, ctx)
      : transition(decided, holder, { type: 'verify' }, ctx);
    result.created.push(outcome.order);
    if (noted) later.push({ kind: 'account', account: noted.account });
    // Rule 12 tells the customer of every request; once a carrier is locked out, the e-mail that
    // said so stands for the rest, or a guesser could flood the customer through the desk.
    later.push(...(pinLock ? outcome.effects.filter((e) => !(e.kind === 'email' && e.template === 'customer-decision')) : outcome.effects));
    if (noted?.locked) {
      later.push(pinLockAlert(ctx, account, { ...noted, locked: noted.locked }, outcome.order, req.carrier.email));
      result.pinLocks.push({ accountId: account.id, carrier: noted.locked.carrier });
    }
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
