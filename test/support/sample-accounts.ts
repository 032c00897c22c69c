/**
 * A few invented accounts, built in code so each test can take a fresh copy and change it. Every
 * number is in the 555-01XX range; every address is under example.test.
 */
import type { Account, CarrierProvided } from '../../src/domain/records.js';
import { testPins } from './test-pins.js';

/** The port-out PIN of pinAccount(); the account keeps only its hash, as the store does. */
export const SAMPLE_PIN = '8421';
const SAMPLE_PIN_HASH = testPins.hash(SAMPLE_PIN);

function active(...numbers: string[]): Account['dids'] {
  return numbers.map((number) => ({ number, status: 'active' as const }));
}

/** Two numbers, a company, no PIN, no lock. */
export function bakeryAccount(): Account {
  return {
    id: 'acct-bakery',
    name: 'Dana Whitfield',
    company: 'Harbor Lane Bakery LLC',
    email: 'dana@harborlane.example.test',
    techPrefix: '4471',
    accountNumber: '100200',
    address: { street: '1200 Market Street', unit: 'Suite 4', city: 'Seattle', state: 'WA', zip: '98101' },
    dids: active('+12065550100', '+12065550101'),
    portOutLock: false,
    status: 'open',
  };
}

/** One number, protected by a port-out PIN. */
export function pinAccount(): Account {
  return {
    id: 'acct-pin',
    name: 'Marco Ellison',
    email: 'marco@ellison.example.test',
    techPrefix: '5520',
    accountNumber: '100300',
    address: { street: '48 North Birch Avenue', city: 'Portland', state: 'OR', zip: '97205' },
    dids: active('+15035550110'),
    portOutPin: SAMPLE_PIN_HASH,
    portOutLock: false,
    status: 'open',
  };
}

/** Locked against all port-outs. */
export function lockedAccount(): Account {
  return {
    id: 'acct-locked',
    name: 'Priya Castell',
    company: 'Castell Design Co',
    email: 'priya@castell.example.test',
    techPrefix: '6613',
    accountNumber: '100400',
    address: { street: '9 Elm Court', city: 'Boise', state: 'ID', zip: '83702' },
    dids: active('+12085550120'),
    portOutLock: true,
    status: 'open',
  };
}

/** One active number only: porting it leaves the account without numbers. */
export function singleNumberAccount(): Account {
  return {
    id: 'acct-single',
    name: 'Leah Okafor',
    email: 'leah@okafor.example.test',
    techPrefix: '7702',
    accountNumber: '100500',
    address: { street: '310 Lakeview Drive', city: 'Madison', state: 'WI', zip: '53703' },
    dids: active('+16085550130'),
    portOutLock: false,
    status: 'open',
  };
}

export function sampleAccounts(): Account[] {
  return [bakeryAccount(), pinAccount(), lockedAccount(), singleNumberAccount()];
}

/** What a careful carrier writes for this account: everything matching what is on file, the PIN included. */
export function matchingProvided(account: Account): CarrierProvided {
  return {
    name: account.name,
    ...(account.company ? { company: account.company } : {}),
    street: account.address.street,
    city: account.address.city,
    state: account.address.state,
    zip: account.address.zip,
    accountNumber: account.accountNumber,
    ...(account.portOutPin ? { pin: SAMPLE_PIN } : {}),
    authorizedName: account.name,
  };
}
