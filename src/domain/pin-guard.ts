/**
 * PIN guessing (SPEC §10): three wrong port-out PINs for an account from one carrier within 24
 * hours lock the account against new requests from that carrier until support clears the lock,
 * and an order whose account saw a wrong PIN around its time is never approved by auto-match.
 *
 * A carrier is its mail domain, as its order records it (the address the desk answers). Keying on
 * the domain, not the address, means a guesser cannot start afresh from another mailbox of the
 * same domain; a guesser with many domains gets three tries on each, which is why auto-match
 * also refuses an order made near any wrong PIN, whoever gave it: the customer, or nobody, decides.
 *
 * Everything here is pure: the PIN check itself is the Pins port's (a salted hash compared in
 * constant time), the state lives in the account (Account.pinGuard), so it survives restarts.
 */
import { domainOf } from './free-mail.js';
import { normalizePin } from './normalize.js';
import type { Account, PinGuard, PinLock, Provided } from './records.js';
import type { PinCheck } from '../ports/pins.js';

/** Wrong PINs from one carrier, within PIN_WINDOW_MS, that lock the account against it (MAX_WRONG_PINS). */
export const PIN_LOCK_AFTER = 3;
export const PIN_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Wrong PINs kept per account at most (the newest): a flood from many domains cannot grow the record. */
const MAX_KEPT = 50;

/** Who a PIN lock is against: the carrier's mail domain. */
export function pinCarrierOf(carrierEmail: string): string {
  return domainOf(carrierEmail) || carrierEmail.trim().toLowerCase();
}

/** Whether a request carries a PIN: one with nothing in it (" ", "--") counts as none. */
export function isPinGiven(given: string | undefined): given is string {
  return given !== undefined && normalizePin(given) !== '';
}

/**
 * What the order keeps of a carrier's PIN: whether one was given and, when the account has a
 * PIN, whether it was that one.
 */
export function checkCarrierPin(pins: PinCheck, given: string | undefined, account: Account): Pick<Provided, 'pinGiven' | 'pinMatched'> {
  if (!isPinGiven(given)) return {};
  if (account.portOutPin === undefined) return { pinGiven: true };
  return { pinGiven: true, pinMatched: pins.matches(given, account.portOutPin) };
}

/** The lock against this carrier, if one is set. */
export function pinLockAgainst(account: Account, carrier: string): PinLock | undefined {
  return account.pinGuard?.locks.find((l) => l.carrier === carrier);
}

export interface WrongPinNoted {
  account: Account;
  /** Set when this wrong PIN locked the account against the carrier. */
  locked?: PinLock;
  /** Wrong PINs from this carrier within the window, this one included. */
  fromCarrier: number;
}

/** Records one wrong PIN; the third from one carrier within the window locks the account against it. */
export function noteWrongPin(account: Account, carrier: string, now: Date, orderId?: string, lockAfter = PIN_LOCK_AFTER): WrongPinNoted {
  const guard: PinGuard = account.pinGuard ?? { wrong: [], locks: [] };
  const since = now.getTime() - PIN_WINDOW_MS;
  const at = now.toISOString();
  const wrong = [...guard.wrong.filter((w) => Date.parse(w.at) > since), { at, carrier, ...(orderId ? { orderId } : {}) }].slice(-MAX_KEPT);
  const fromCarrier = wrong.filter((w) => w.carrier === carrier).length;
  const already = guard.locks.some((l) => l.carrier === carrier);
  const locked = !already && fromCarrier >= lockAfter ? { carrier, at, wrongPins: fromCarrier } : undefined;
  const next: PinGuard = { wrong, lastWrongAt: at, locks: locked ? [...guard.locks, locked] : guard.locks };
  return { account: { ...account, pinGuard: next }, ...(locked ? { locked } : {}), fromCarrier };
}

/** Whether the account saw a wrong PIN at or after `since` (the newest is always kept). */
export function sawWrongPinSince(account: Account, since: Date): boolean {
  const last = account.pinGuard?.lastWrongAt;
  return last !== undefined && Date.parse(last) >= since.getTime();
}

/**
 * Auto-match's rule: an order made within the window after a wrong PIN, or one that saw a wrong
 * PIN while it waited, is left to the customer; with no answer it is rejected (PIN_ATTEMPTS).
 */
export function wrongPinNear(account: Account, orderCreatedAt: string): boolean {
  return sawWrongPinSince(account, new Date(Date.parse(orderCreatedAt) - PIN_WINDOW_MS));
}

/** Support clears the lock against one carrier, or every lock when none is named. */
export function clearPinLocks(account: Account, carrier?: string): { account: Account; cleared: PinLock[] } {
  const guard = account.pinGuard;
  if (!guard) return { account, cleared: [] };
  const key = carrier === undefined ? undefined : pinCarrierOf(carrier.includes('@') ? carrier : `@${carrier}`);
  const cleared = guard.locks.filter((l) => key === undefined || l.carrier === key);
  if (cleared.length === 0) return { account, cleared };
  const gone = new Set(cleared.map((l) => l.carrier));
  // The wrong PINs that set a lock go with it: a cleared carrier starts again with three tries.
  // lastWrongAt stays, so auto-match still leaves orders made near them to the customer.
  return {
    account: { ...account, pinGuard: { ...guard, wrong: guard.wrong.filter((w) => !gone.has(w.carrier)), locks: guard.locks.filter((l) => !gone.has(l.carrier)) } },
    cleared,
  };
}

/** Whether the PIN on file changed after `at` (an order made then was checked against another). */
export function pinChangedSince(account: Account, at: string): boolean {
  const changed = account.portOutPinChangedAt;
  return changed !== undefined && Date.parse(changed) > Date.parse(at);
}
