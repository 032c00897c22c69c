/** Accounts for the matching tests: invented people, 555-01XX numbers, example.test mail. */
import { checkCarrierPin } from '../../src/domain/pin-guard.js';
import { AccountSchema, type Account, type Provided } from '../../src/domain/records.js';
import { testPins } from '../support/test-pins.js';

export const PIN = '739146';
/** The account's PIN as the store keeps it. */
export const PIN_HASH = testPins.hash(PIN);

/** What an order keeps of the PIN a carrier gave: given, and matched — checked as intake checks it. */
export function pinOf(given: string | undefined, account: Account = buildAccount()): Pick<Provided, 'pinGiven' | 'pinMatched'> {
  return checkCarrierPin(testPins, given, account);
}

/** A business account with a suite and a port-out PIN; `patch` replaces top-level fields. */
export function buildAccount(patch: Partial<Account> = {}): Account {
  return AccountSchema.parse({
    id: 'acct-1',
    name: 'Marisol Quintero',
    company: 'Quintero Tile & Stone, LLC',
    email: 'marisol@example.test',
    techPrefix: '4417',
    accountNumber: 'QTS-0042-7781',
    address: { street: '1420 North Harbor Boulevard', unit: 'Suite 210', city: 'Tacoma', state: 'WA', zip: '98402-1187' },
    dids: [
      { number: '+12535550100', status: 'active' },
      { number: '+12535550101', status: 'active' },
      { number: '+12535550102', status: 'ported-out', portedOutAt: '2026-01-15T17:00:00.000Z', portOrderId: 'PO-ABC123' },
      { number: '+12535550103', status: 'disconnected' },
    ],
    portOutPin: PIN_HASH,
    portOutLock: false,
    status: 'open',
    ...patch,
  });
}

/** The same account with a different address (street, unit, city, state, zip as given). */
export function withAddress(address: Account['address'], patch: Partial<Account> = {}): Account {
  return buildAccount({ ...patch, address });
}
