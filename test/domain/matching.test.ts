import { describe, expect, it } from 'vitest';
import { matchAccount } from '../../src/domain/matching.js';
import { MATCH_PRESETS, type MatchField } from '../../src/domain/match-fields.js';
import type { ReasonCode } from '../../src/domain/reason-codes.js';
import { MatchReportSchema, type Account, type Provided } from '../../src/domain/records.js';
import { PIN, buildAccount, pinOf, withAddress } from './match-fixtures.js';
import { testPins } from '../support/test-pins.js';

type Expected = 'match' | 'mismatch';

interface Row {
  name: string;
  field: MatchField;
  provided: Provided;
  account: Account;
  expected: Expected;
  /** The code a mismatch must carry. */
  code?: ReasonCode;
}

const ADDRESS = { city: 'Tacoma', state: 'WA', zip: '98402' };

function street(name: string, given: string, onFile: string, unit: string | undefined, expected: Expected): Row {
  const address = unit === undefined ? { ...ADDRESS, street: onFile } : { ...ADDRESS, street: onFile, unit };
  return { name, field: 'street', provided: { street: given }, account: withAddress(address), expected, code: 'ADDRESS_MISMATCH' };
}

function person(name: string, given: string, onFile: string, expected: Expected): Row {
  return { name, field: 'name', provided: { name: given }, account: buildAccount({ name: onFile }), expected, code: 'NAME_MISMATCH' };
}

function company(name: string, given: string, onFile: string, expected: Expected): Row {
  return {
    name,
    field: 'company',
    provided: { company: given },
    account: buildAccount({ company: onFile }),
    expected,
    code: 'COMPANY_MISMATCH',
  };
}

function zip(name: string, given: string, onFile: string, expected: Expected): Row {
  return { name, field: 'zip', provided: { zip: given }, account: withAddress({ ...ADDRESS, street: '1 Main St', zip: onFile }), expected, code: 'ZIP_MISMATCH' };
}

function place(name: string, field: 'city' | 'state', given: string, onFile: string, expected: Expected): Row {
  return {
    name,
    field,
    provided: { [field]: given },
    account: withAddress({ ...ADDRESS, street: '1 Main St', [field]: onFile }),
    expected,
    code: 'ADDRESS_MISMATCH',
  };
}

function accountNumber(name: string, given: string, onFile: string, expected: Expected): Row {
  return {
    name,
    field: 'accountNumber',
    provided: { accountNumber: given },
    account: buildAccount({ accountNumber: onFile }),
    expected,
    code: 'ACCOUNT_NUMBER_MISMATCH',
  };
}

/** The PIN is checked against the stored hash when the request comes; the report reads the outcome. */
function pin(name: string, given: string, onFile: string, expected: Expected): Row {
  const account = buildAccount({ portOutPin: testPins.hash(onFile) });
  return { name, field: 'pin', provided: pinOf(given, account), account, expected, code: 'PIN_INVALID' };
}

function btn(name: string, given: string, expected: Expected): Row {
  return { name, field: 'btn', provided: { btn: given }, account: buildAccount(), expected, code: 'TN_NOT_FOUND' };
}

function nameOrCompany(name: string, provided: Provided, onFile: Partial<Account>, expected: Expected, code?: ReasonCode): Row {
  return { name, field: 'nameOrCompany', provided, account: buildAccount(onFile), expected, code };
}

const ROWS: Row[] = [
  // Street: the same place written differently.
  street('abbreviations, dots and the unit in the street line', '123 N. Main St., Ste 5', '123 North Main Street', 'Suite 5', 'match'),
  street('words on the carrier side, abbreviations on file', '123 North Main Street Suite 5', '123 N Main St', 'Ste 5', 'match'),
  street('"#5" stands for any kind of unit', '123 Main St #5', '123 Main St', 'Suite 5', 'match'),
  street('"Suite #5" against "#5" on file', '123 Main St, Suite #5', '123 Main St', '#5', 'match'),
  street('a bare unit number on file', '123 Main St Unit 7', '123 Main St', '7', 'match'),
  street('a unit only on file still matches', '123 Main St', '123 Main St', 'Ste 5', 'match'),
  street('"1st Ave" is "First Avenue"', '88 1st Ave', '88 First Avenue', undefined, 'match'),
  street('"Twenty-First" is "21st"', '500 W Twenty-First St', '500 West 21st Street', undefined, 'match'),
  street('"Tenth" is "10th"', '12 Tenth St', '12 10th St', undefined, 'match'),
  street('"PO Box" is "P.O. Box"', 'PO Box 12', 'P.O. Box 12', undefined, 'match'),
  street('"Post Office Box" is "PO Box"', 'Post Office Box 12', 'PO Box 12', undefined, 'match'),
  street('"PO Box #12" is "P O Box 12"', 'PO Box #12', 'P O Box 12', undefined, 'match'),
  street('case', '123 main street', '123 MAIN ST', undefined, 'match'),
  street('extra white space', '  123   Main\tSt ', '123 Main St', undefined, 'match'),
  street('post-directional word and abbreviation', '123 Main St NE', '123 Main Street Northeast', undefined, 'match'),
  street('post-directional with dots', '40 Harbor Dr. S.', '40 Harbor Drive South', undefined, 'match'),
  street('Boulevard', '456 Elm Blvd', '456 Elm Boulevard', undefined, 'match'),
  street('Parkway', '77 Sunset Pkwy', '77 Sunset Parkway', undefined, 'match'),
  street('Court', '9 Oak Ct', '9 Oak Court', undefined, 'match'),
  street('Square', '8 Market Sq', '8 Market Square', undefined, 'match'),
  street('Trail', '31 Ridge Trl', '31 Ridge Trail', undefined, 'match'),
  street('Crossing', '2 Mill Xing', '2 Mill Crossing', undefined, 'match'),
  street('Highway with a route number', '5 Hwy 99', '5 Highway 99', undefined, 'match'),
  street('Terrace and Place', '6 Vista Ter', '6 Vista Terrace', undefined, 'match'),
  street('"St." as Saint', '12 St. Charles Ave', '12 Saint Charles Avenue', undefined, 'match'),
  street('hyphenated unit', '10 Pine Ln Apt 4-B', '10 Pine Lane', 'Apt 4B', 'match'),
  street('unit written before the street', 'Suite 200, 123 Main St', '123 Main St', 'Ste 200', 'match'),
  street('"3rd Floor" is "Floor 3"', '123 Main St 3rd Floor', '123 Main St', 'Floor 3', 'match'),
  street('hyphenated house number', '12-34 56th Ave', '1234 56th Ave', undefined, 'match'),
  street('the account keeps the unit in its street line', '1420 N Harbor Blvd Ste 210', '1420 North Harbor Boulevard, Suite 210', undefined, 'match'),
  // Street: near misses.
  street('transposed house number', '123 Main St', '132 Main St', undefined, 'mismatch'),
  street('house number with a letter', '123A Main St', '123 Main St', undefined, 'mismatch'),
  street('North is not South', '123 N Main St', '123 S Main St', undefined, 'mismatch'),
  street('Street is not Avenue', '123 Main St', '123 Main Ave', undefined, 'mismatch'),
  street('another suite', '123 Main St Ste 5', '123 Main St', 'Ste 6', 'mismatch'),
  street('a unit the account does not have', '123 Main St Ste 5', '123 Main St', undefined, 'mismatch'),
  street('an apartment is not a suite', '123 Main St Apt 5', '123 Main St', 'Ste 5', 'mismatch'),
  street('pre- and post-directional are different streets', '123 N Main St', '123 Main St N', undefined, 'mismatch'),
  street('a missing directional', '123 Main St', '123 N Main St', undefined, 'mismatch'),
  street('"East St" is not "E St"', '10 East St', '10 E St', undefined, 'mismatch'),
  street('another PO box', 'PO Box 12', 'PO Box 21', undefined, 'mismatch'),
  street('another numbered avenue', '88 1st Ave', '88 3rd Ave', undefined, 'mismatch'),
  street('a one-letter typo', '123 Maine St', '123 Main St', undefined, 'mismatch'),
  street('a building more than on file', '123 Main St Bldg 2 Ste 300', '123 Main St', 'Ste 300', 'mismatch'),
  street('a street that is only a unit', 'Suite 5', '123 Main St', 'Suite 5', 'mismatch'),

  // Person names.
  person('"Last, First M."', 'Smith, John A.', 'John Smith', 'match'),
  person('upper case', 'JOHN SMITH', 'John Smith', 'match'),
  person('honorific and suffix', 'Mr. John Smith Jr.', 'John Smith', 'match'),
  person('middle initial without a dot', 'John Q Smith', 'John Smith', 'match'),
  person('middle initial on file only', 'Smith, John', 'John Q. Smith', 'match'),
  person('apostrophe', "O'Brien, Mary", 'Mary OBrien', 'match'),
  person('accents', 'José García', 'Jose Garcia', 'match'),
  person('hyphenated first name', 'Mary-Kate Olsen', 'Mary Kate Olsen', 'match'),
  person('Dr. and a suffix after a comma', 'Dr. Jane Roe, III', 'Jane Roe', 'match'),
  person('"Jon" is not "John"', 'Jon Smith', 'John Smith', 'mismatch'),
  person('an initial is not a first name', 'J. Smith', 'John Smith', 'mismatch'),
  person('another surname', 'John Smyth', 'John Smith', 'mismatch'),
  person('word order without a comma', 'Smith John', 'John Smith', 'mismatch'),
  person('another first name', 'Jane Smith', 'John Smith', 'mismatch'),
  person('a surname alone', 'Smith', 'John Smith', 'mismatch'),

  // Companies.
  company('"Acme, Inc." is "ACME INC"', 'Acme, Inc.', 'ACME INC', 'match'),
  company('Incorporated is Inc', 'Acme Incorporated', 'Acme Inc.', 'match'),
  company('leading "The" and Company', 'The Acme Company', 'Acme Co', 'match'),
  company('"&" is "and", L.L.C. is LLC', 'Smith & Sons LLC', 'Smith and Sons, L.L.C.', 'match'),
  company('initials with dots', 'A.B.C. Corp.', 'ABC Corporation', 'match'),
  company('Limited is Ltd', 'Acme Widgets Ltd', 'Acme Widgets Limited', 'match'),
  company('PLLC against no suffix', 'Roe Dental PLLC', 'Roe Dental', 'match'),
  company('"Holdings" is a different company', 'Acme Inc', 'Acme Holdings Inc', 'mismatch'),
  company('a regional company', 'Acme West LLC', 'Acme LLC', 'mismatch'),
  company('a one-letter typo in the company', 'Acne Inc', 'Acme Inc', 'mismatch'),

  // ZIP codes.
  zip('ZIP+4 against ZIP', '98101-1234', '98101', 'match'),
  zip('ZIP+4 with a space against another +4', '98101 1234', '98101-5678', 'match'),
  zip('ZIP against ZIP+4 on file', '98101', '98101-0000', 'match'),
  zip('another ZIP', '98102', '98101', 'mismatch'),
  zip('a ZIP with a digit missing', '9810', '98101', 'mismatch'),
  zip('not a ZIP', 'WA 98101', '98101', 'mismatch'),

  // City and state.
  place('"St." is "Saint"', 'city', 'St. Louis', 'Saint Louis', 'match'),
  place('city case and hyphen', 'city', 'WINSTON SALEM', 'Winston-Salem', 'match'),
  place('another city', 'city', 'Seattle', 'Tacoma', 'mismatch'),
  place('state name is its code', 'state', 'Washington', 'WA', 'match'),
  place('another state', 'state', 'OR', 'WA', 'mismatch'),

  // Account numbers and PINs.
  accountNumber('dashes and case', 'qts-0042-7781', 'QTS00427781', 'match'),
  accountNumber('dots and spaces', 'QTS 0042.7781', 'QTS-0042-7781', 'match'),
  accountNumber('leading zeros of a numeric account', '0012345', '12345', 'match'),
  accountNumber('transposed digits', '12345', '12354', 'mismatch'),
  pin('dashes in a PIN', '73-91-46', PIN, 'match'),
  pin('leading zeros count in a PIN', '42', '0042', 'mismatch'),
  pin('a wrong PIN', '739164', PIN, 'mismatch'),

  // Billing telephone number.
  btn('BTN in national format', '(253) 555-0100', 'match'),
  btn('BTN with dots and +1', '+1 253.555.0101', 'match'),
  btn('BTN not on the account', '253-555-0199', 'mismatch'),
  btn('BTN that is not a number', 'see attached', 'mismatch'),

  // Name or company.
  nameOrCompany('the name matches', { name: 'Quintero, Marisol' }, {}, 'match'),
  nameOrCompany('the name given is the company', { name: 'QUINTERO TILE AND STONE' }, {}, 'match'),
  nameOrCompany('the company matches', { company: 'Quintero Tile & Stone L.L.C.' }, {}, 'match'),
  nameOrCompany('a wrong name with the right company', { name: 'Ana Quintero', company: 'Quintero Tile & Stone' }, {}, 'match'),
  nameOrCompany('only a wrong company', { company: 'Quintero Stone Inc' }, {}, 'mismatch', 'COMPANY_MISMATCH'),
  nameOrCompany('a wrong name and a wrong company', { name: 'Ana Quintero', company: 'Quintero Stone' }, {}, 'mismatch', 'NAME_MISMATCH'),
  nameOrCompany('a company given as the name when none is on file', { name: 'Quintero Tile' }, { company: undefined }, 'mismatch', 'NAME_MISMATCH'),
];

describe('matching after normalisation', () => {
  it('has a table of real-world variants and near misses', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(ROWS.map((r) => r.name)).size).toBe(ROWS.length);
    expect(ROWS.filter((r) => r.expected === 'mismatch').length).toBeGreaterThanOrEqual(25);
  });

  it.each(ROWS)('$field: $name → $expected', (row) => {
    const report = matchAccount({ provided: row.provided, dids: [] }, row.account, [row.field]);
    const [field] = report.fields;
    expect(field?.field).toBe(row.field);
    expect(field?.result, field?.reason).toBe(row.expected);
    expect(report.matched).toBe(row.expected === 'match');
    if (row.expected === 'match') {
      expect(field?.code).toBeUndefined();
      expect(report.reasonCodes).toEqual([]);
    } else {
      expect(field?.code).toBe(row.code);
      expect(report.reasonCodes).toEqual([row.code]);
    }
  });
});

const ACCOUNT_INFO = MATCH_PRESETS['account-info'];
const SIMPLE_PORT = MATCH_PRESETS['simple-port'];

/** What a careful carrier sends for buildAccount(), written the way carriers write it. */
const GOOD: Provided = {
  name: 'QUINTERO, MARISOL',
  company: 'Quintero Tile and Stone LLC',
  street: '1420 N. Harbor Blvd., Ste. 210',
  city: 'Tacoma',
  state: 'Washington',
  zip: '98402',
  accountNumber: 'qts 0042 7781',
  btn: '253-555-0100',
  ...pinOf('739146'),
};
const GOOD_DIDS = ['(253) 555-0100', '+12535550101'];

function resultOf(report: ReturnType<typeof matchAccount>, field: MatchField) {
  return report.fields.find((f) => f.field === field);
}

describe('matchAccount with the account-info preset', () => {
  const account = buildAccount();

  it('approves when name, street, ZIP and numbers match', () => {
    const report = matchAccount({ provided: GOOD, dids: GOOD_DIDS }, account, ACCOUNT_INFO);
    expect(report.matched).toBe(true);
    expect(report.reasonCodes).toEqual([]);
    expect(report.fields.map((f) => [f.field, f.result])).toEqual([
      ['nameOrCompany', 'match'],
      ['street', 'match'],
      ['zip', 'match'],
      ['dids', 'match'],
    ]);
    expect(MatchReportSchema.parse(report)).toEqual(report);
  });

  it('shows what was provided and what is on file for each field', () => {
    const report = matchAccount({ provided: GOOD, dids: GOOD_DIDS }, account, ACCOUNT_INFO);
    expect(resultOf(report, 'street')).toMatchObject({
      provided: '1420 N. Harbor Blvd., Ste. 210',
      onFile: '1420 North Harbor Boulevard, Suite 210',
    });
    expect(resultOf(report, 'zip')).toMatchObject({ provided: '98402', onFile: '98402-1187' });
    expect(resultOf(report, 'dids')).toMatchObject({ provided: '(253) 555-0100, (253) 555-0101' });
    for (const f of report.fields) expect(f.reason).not.toBe('');
  });

  const failures: Array<[string, Provided, string[], ReasonCode]> = [
    ['a wrong name', { ...GOOD, name: 'Marisol Quintana', company: undefined }, GOOD_DIDS, 'NAME_MISMATCH'],
    ['a wrong company only', { ...GOOD, name: undefined, company: 'Quintana Tile LLC' }, GOOD_DIDS, 'COMPANY_MISMATCH'],
    ['a wrong street', { ...GOOD, street: '1402 N Harbor Blvd Ste 210' }, GOOD_DIDS, 'ADDRESS_MISMATCH'],
    ['a wrong suite', { ...GOOD, street: '1420 N Harbor Blvd Ste 201' }, GOOD_DIDS, 'ADDRESS_MISMATCH'],
    ['a wrong ZIP', { ...GOOD, zip: '98403-1187' }, GOOD_DIDS, 'ZIP_MISMATCH'],
    ['a number on no account of this customer', GOOD, [...GOOD_DIDS, '253-555-0177'], 'TN_NOT_FOUND'],
    ['a number already ported out', GOOD, [...GOOD_DIDS, '253-555-0102'], 'TN_NOT_ACTIVE'],
  ];

  it.each(failures)('rejects %s with exactly its code', (_name, provided, dids, code) => {
    const report = matchAccount({ provided, dids }, account, ACCOUNT_INFO);
    expect(report.matched).toBe(false);
    expect(report.reasonCodes).toEqual([code]);
    const failed = report.fields.filter((f) => f.result !== 'match');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.code).toBe(code);
  });

  it('reports missing fields as missing, with their codes in field order', () => {
    const report = matchAccount({ provided: { city: 'Tacoma' }, dids: [] }, account, ACCOUNT_INFO);
    expect(report.matched).toBe(false);
    expect(report.fields.map((f) => [f.field, f.result, f.code])).toEqual([
      ['nameOrCompany', 'missing', 'NAME_MISMATCH'],
      ['street', 'missing', 'ADDRESS_MISMATCH'],
      ['zip', 'missing', 'ZIP_MISMATCH'],
      ['dids', 'missing', 'TN_NOT_FOUND'],
    ]);
    expect(report.reasonCodes).toEqual(['NAME_MISMATCH', 'ADDRESS_MISMATCH', 'ZIP_MISMATCH', 'TN_NOT_FOUND']);
  });

  it('treats a value with nothing to compare as no match, never as equal to another empty value', () => {
    const report = matchAccount({ provided: { ...GOOD, name: '.', company: '--' }, dids: GOOD_DIDS }, account, ACCOUNT_INFO);
    expect(report.matched).toBe(false);
    expect(report.reasonCodes).toEqual(['NAME_MISMATCH']);
  });

  it('says so when the account has a unit the request left out', () => {
    const report = matchAccount({ provided: { ...GOOD, street: '1420 North Harbor Blvd' }, dids: GOOD_DIDS }, account, ACCOUNT_INFO);
    expect(report.matched).toBe(true);
    expect(resultOf(report, 'street')?.reason).toMatch(/no unit.*ste 210/);
  });
});

describe('matchAccount with the simple-port preset', () => {
  const account = buildAccount();

  it('approves on account number, ZIP, PIN and numbers', () => {
    const provided: Provided = { accountNumber: 'QTS-0042-7781', zip: '98402-1187', ...pinOf(PIN) };
    const report = matchAccount({ provided, dids: GOOD_DIDS }, account, SIMPLE_PORT);
    expect(report.matched).toBe(true);
    expect(report.fields.map((f) => f.field)).toEqual(['accountNumber', 'zip', 'pin', 'dids']);
  });

  const ids: Provided = { accountNumber: 'QTS-0042-7781', zip: '98402' };
  const base: Provided = { ...ids, ...pinOf(PIN) };
  const failures: Array<[string, Provided, string[], ReasonCode[]]> = [
    ['a wrong account number', { ...base, accountNumber: 'QTS-0042-7718' }, GOOD_DIDS, ['ACCOUNT_NUMBER_MISMATCH']],
    ['a wrong ZIP', { ...base, zip: '98042' }, GOOD_DIDS, ['ZIP_MISMATCH']],
    ['no PIN', { ...ids, ...pinOf(undefined) }, GOOD_DIDS, ['PIN_MISSING']],
    ['a blank PIN', { ...ids, ...pinOf('  ') }, GOOD_DIDS, ['PIN_MISSING']],
    ['a PIN of only dashes', { ...ids, ...pinOf('--') }, GOOD_DIDS, ['PIN_MISSING']],
    ['a wrong PIN', { ...ids, ...pinOf('739164') }, GOOD_DIDS, ['PIN_INVALID']],
    ['a number not on the account', base, ['253-555-0100', '253-555-0150'], ['TN_NOT_FOUND']],
    ['a disconnected number', base, ['253-555-0100', '253-555-0103'], ['TN_NOT_ACTIVE']],
    ['unknown and inactive numbers', base, ['253-555-0150', '253-555-0103'], ['TN_NOT_FOUND', 'TN_NOT_ACTIVE']],
    [
      'everything wrong',
      { accountNumber: 'X1', zip: '10001', ...pinOf('1') },
      ['253-555-0150'],
      ['ACCOUNT_NUMBER_MISMATCH', 'ZIP_MISMATCH', 'PIN_INVALID', 'TN_NOT_FOUND'],
    ],
  ];

  it.each(failures)('rejects %s with its codes', (_name, provided, dids, codes) => {
    const report = matchAccount({ provided, dids }, account, SIMPLE_PORT);
    expect(report.matched).toBe(false);
    expect(report.reasonCodes).toEqual(codes);
  });

  it('names each problem number in the reason', () => {
    const report = matchAccount({ provided: base, dids: ['253-555-0150', '253-555-0102'] }, account, SIMPLE_PORT);
    const dids = resultOf(report, 'dids');
    expect(dids?.result).toBe('mismatch');
    expect(dids?.code).toBe('TN_NOT_FOUND');
    expect(dids?.reason).toContain('not on this account: (253) 555-0150');
    expect(dids?.reason).toContain('not active: (253) 555-0102');
    expect(dids?.onFile).toBe('(253) 555-0150: not on this account; (253) 555-0102: ported-out');
  });

  it('passes the PIN field when the account has no PIN, given or not', () => {
    const noPin = buildAccount({ portOutPin: undefined });
    for (const given of [undefined, '1234']) {
      const report = matchAccount({ provided: { ...ids, ...pinOf(given, noPin) }, dids: GOOD_DIDS }, noPin, SIMPLE_PORT);
      expect(report.matched).toBe(true);
      expect(resultOf(report, 'pin')).toMatchObject({ result: 'match', reason: 'The account has no port-out PIN.' });
    }
  });

  it.each([
    ['right', PIN],
    ['wrong', '739164'],
    ['missing', undefined],
  ])('never puts a PIN into the report (%s PIN)', (_kind, given) => {
    const report = matchAccount({ provided: { ...ids, ...pinOf(given) }, dids: GOOD_DIDS }, account, [...SIMPLE_PORT, 'btn']);
    const text = JSON.stringify(report);
    expect(text).not.toContain(PIN);
    expect(text).not.toContain('739164');
    expect(resultOf(report, 'pin')?.onFile).toBe('(on file)');
    expect(resultOf(report, 'pin')?.provided).toBe(given === undefined ? undefined : '(given)');
  });
});

describe('matchAccount with a field list', () => {
  const account = buildAccount();

  it('checks city and state as part of the address', () => {
    const report = matchAccount(
      { provided: { ...GOOD, city: 'Seattle', state: 'OR' }, dids: GOOD_DIDS },
      account,
      ['name', 'company', 'street', 'city', 'state', 'zip'],
    );
    expect(report.fields.map((f) => [f.field, f.result])).toEqual([
      ['name', 'match'],
      ['company', 'match'],
      ['street', 'match'],
      ['city', 'mismatch'],
      ['state', 'mismatch'],
      ['zip', 'match'],
    ]);
    expect(report.reasonCodes).toEqual(['ADDRESS_MISMATCH']);
  });

  it('requires a BTN when btn is a field, and accepts any number of the account', () => {
    expect(matchAccount({ provided: { btn: '253 555 0102' }, dids: [] }, account, ['btn']).matched).toBe(true);
    const missing = matchAccount({ provided: {}, dids: [] }, account, ['btn']);
    expect(missing.fields[0]).toMatchObject({ result: 'missing', code: 'TN_NOT_FOUND' });
  });

  it('reports a field named twice once', () => {
    const report = matchAccount({ provided: GOOD, dids: GOOD_DIDS }, account, ['zip', 'zip', 'dids']);
    expect(report.fields.map((f) => f.field)).toEqual(['zip', 'dids']);
  });

  it('refuses an empty field list instead of approving everything', () => {
    expect(() => matchAccount({ provided: GOOD, dids: GOOD_DIDS }, account, [])).toThrow(RangeError);
  });
});
