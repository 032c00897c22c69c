import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchAccount } from '../../src/domain/matching.js';
import { MATCH_PRESETS, type MatchField } from '../../src/domain/match-fields.js';
import {
  normalizeAccountNumber,
  normalizeCity,
  normalizeCompany,
  normalizePersonName,
  normalizePin,
  normalizeState,
  normalizeStreet,
  normalizeUnit,
  normalizeZip,
  splitStreet,
} from '../../src/domain/normalize.js';
import type { ReasonCode } from '../../src/domain/reason-codes.js';
import { checkCarrierPin } from '../../src/domain/pin-guard.js';
import { AccountSchema, type Account, type Provided } from '../../src/domain/records.js';
import { testPins } from '../support/test-pins.js';

const RUNS = { numRuns: 300 };

// ---------------------------------------------------------------------------------------------
// Generators of realistic input

/** Each entry: the ways one word is written; a generator picks any of them. */
const SUFFIX_SPELLINGS = [
  ['Street', 'St', 'St.', 'STREET', 'Str'],
  ['Avenue', 'Ave', 'Av.', 'AVE'],
  ['Boulevard', 'Blvd', 'Blvd.'],
  ['Road', 'Rd', 'Rd.'],
  ['Drive', 'Dr', 'Dr.'],
  ['Lane', 'Ln'],
  ['Court', 'Ct'],
  ['Place', 'Pl'],
  ['Terrace', 'Ter', 'Terr'],
  ['Parkway', 'Pkwy', 'Pky'],
  ['Highway', 'Hwy'],
  ['Circle', 'Cir'],
  ['Way', 'Wy'],
  ['Square', 'Sq'],
  ['Trail', 'Trl'],
  ['Expressway', 'Expy'],
  ['Freeway', 'Fwy'],
  ['Plaza', 'Plz'],
  ['Loop'],
  ['Alley', 'Aly'],
  ['Crossing', 'Xing'],
];
const DIRECTION_SPELLINGS = [
  ['North', 'N', 'N.'],
  ['South', 'S', 'S.'],
  ['East', 'E', 'E.'],
  ['West', 'W', 'W.'],
  ['Northeast', 'NE', 'N.E.'],
  ['Northwest', 'NW', 'N.W.'],
  ['Southeast', 'SE', 'S.E.'],
  ['Southwest', 'SW', 'S.W.'],
];
const UNIT_SPELLINGS = [
  ['Suite', 'Ste', 'Ste.', 'STE'],
  ['Apartment', 'Apt', 'Apt.'],
  ['Unit'],
  ['Floor', 'Fl', 'Flr'],
  ['Room', 'Rm'],
  ['Building', 'Bldg'],
  ['Department', 'Dept'],
];
const STREET_NAMES = ['Main', 'Harbor', 'Cedar', 'Maple Ridge', 'Lakeview', 'Juniper', 'Old Mill', 'Quarry', 'Ash', 'Yakima'];
const ORDINAL_SPELLINGS = [
  ['First', '1st'],
  ['Second', '2nd'],
  ['Third', '3rd'],
  ['Fifth', '5th'],
  ['Twelfth', '12th'],
  ['Twentieth', '20th'],
  ['Twenty-First', '21st'],
  ['Thirty-Third', '33rd'],
];
const FIRST_NAMES = ['Marisol', 'Dmitri', 'Aisha', 'Tobias', 'Renée', 'Kwame', 'Ingrid', 'Haruto', 'Beatriz', 'Colm'];
const LAST_NAMES = ['Quintero', 'Okafor', 'Lindqvist', "O'Hara", 'Nakamura-Bell', 'Petrov', 'Adeyemi', 'Vasquez', 'Brandt'];
const COMPANY_WORDS = ['Harbor', 'Cedar', 'Tile', 'Stone', 'Data', 'Works', 'Dental', 'Bakery', 'Northwind', 'Signal', 'Bros'];
const COMPANY_SUFFIXES = ['Inc', 'Inc.', 'Incorporated', 'LLC', 'L.L.C.', 'Corp', 'Corporation', 'Ltd', 'Limited', 'Co', 'Company', 'LLP', 'PLLC', 'PC'];

/** One spelling group, and a generator of any spelling in it. */
const spellingOf = (groups: string[][]) =>
  fc.constantFrom(...groups).chain((group) => fc.record({ canonical: fc.constant(group[0] as string), written: fc.constantFrom(...group) }));

const houseNumber = fc.integer({ min: 1, max: 99999 }).map(String);
const unitId = fc.oneof(fc.integer({ min: 1, max: 999 }).map(String), fc.constantFrom('A', 'B', '4B', '12C'));
const caseOf = (text: string) => fc.constantFrom(text, text.toUpperCase(), text.toLowerCase());
const separator = fc.constantFrom(' ', '  ', ', ', ' ,', '\t');

interface StreetParts {
  number: string;
  predir?: string[];
  name: string | string[];
  suffix: string[];
  postdir?: string[];
  unit?: { designator: string[]; id: string };
}

const streetPartsArb: fc.Arbitrary<StreetParts> = fc.record(
  {
    number: houseNumber,
    predir: fc.constantFrom(...DIRECTION_SPELLINGS),
    name: fc.oneof(fc.constantFrom(...STREET_NAMES), fc.constantFrom(...ORDINAL_SPELLINGS)),
    suffix: fc.constantFrom(...SUFFIX_SPELLINGS),
    postdir: fc.constantFrom(...DIRECTION_SPELLINGS),
    unit: fc.record({ designator: fc.constantFrom(...UNIT_SPELLINGS), id: unitId }),
  },
  { requiredKeys: ['number', 'name', 'suffix'] },
);

/** Writes street parts one way, picking a spelling for every word. */
const writeStreet = (parts: StreetParts, withUnit = true) =>
  fc
    .tuple(
      fc.constantFrom(...(parts.predir ?? [''])),
      Array.isArray(parts.name) ? fc.constantFrom(...parts.name) : fc.constant(parts.name),
      fc.constantFrom(...parts.suffix),
      fc.constantFrom(...(parts.postdir ?? [''])),
      fc.constantFrom(...(parts.unit?.designator ?? [''])),
      fc.constantFrom('', '#'),
      separator,
    )
    .chain(([pre, name, suffix, post, designator, hash, sep]) => {
      const street = [parts.number, pre, name, suffix, post].filter(Boolean).join(' ');
      const unit = withUnit && parts.unit ? `${designator} ${hash}${parts.unit.id}` : '';
      return caseOf(unit ? `${street}${sep}${unit}` : street);
    });

const realisticStreet = streetPartsArb.chain((parts) => writeStreet(parts));

/** Words of the street vocabulary in any order, to reach the corners of the street parser. */
const STREET_VOCABULARY = [
  ...SUFFIX_SPELLINGS.flat(),
  ...DIRECTION_SPELLINGS.flat(),
  ...UNIT_SPELLINGS.flat(),
  ...ORDINAL_SPELLINGS.flat(),
  ...STREET_NAMES,
  '#',
  'PO',
  'P.O.',
  'P',
  'O',
  'Box',
  'Post',
  'Office',
  'No.',
  'Twenty',
  'Saint',
  'the',
  '&',
  'B',
  'A',
  '5',
  '12',
  '4-B',
  '12-34',
  '1/2',
];
const streetSoup = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...STREET_VOCABULARY), houseNumber), fc.constantFrom(' ', ', ', '.', '-', '#', '')), {
    maxLength: 12,
  })
  .map((words) => words.map(([word, sep]) => word + sep).join(''));

interface NameParts {
  first: string;
  middle?: string;
  last: string;
  prefix?: string;
  suffix?: string;
}

const namePartsArb: fc.Arbitrary<NameParts> = fc.record(
  {
    first: fc.constantFrom(...FIRST_NAMES),
    middle: fc.constantFrom('A', 'Q.', 'J', 'M.'),
    last: fc.constantFrom(...LAST_NAMES),
    prefix: fc.constantFrom('Mr.', 'Mrs', 'Ms.', 'Dr.'),
    suffix: fc.constantFrom('Jr.', 'Sr', 'II', 'III'),
  },
  { requiredKeys: ['first', 'last'] },
);

const writeName = (p: NameParts) =>
  fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()).chain(([lastFirst, keepMiddle, keepAffixes]) => {
    const middle = keepMiddle && p.middle ? ` ${p.middle}` : '';
    const prefix = keepAffixes && p.prefix ? `${p.prefix} ` : '';
    const suffix = keepAffixes && p.suffix ? ` ${p.suffix}` : '';
    const text = lastFirst ? `${p.last}${suffix}, ${prefix}${p.first}${middle}` : `${prefix}${p.first}${middle} ${p.last}${suffix}`;
    return caseOf(text);
  });

const realisticName = namePartsArb.chain(writeName);

const companyWordsArb = fc.array(fc.constantFrom(...COMPANY_WORDS), { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));
const writeCompany = (words: string) =>
  fc
    .tuple(fc.boolean(), fc.option(fc.constantFrom(...COMPANY_SUFFIXES), { nil: undefined }), fc.constantFrom(' ', ', '), fc.boolean())
    .chain(([the, suffix, sep, ampersand]) => {
      const body = ampersand ? words.replace(' ', ' & ') : words.replace(' ', ' and ');
      return caseOf(`${the ? 'The ' : ''}${body}${suffix ? sep + suffix : ''}`);
    });
const realisticCompany = companyWordsArb.chain(writeCompany);

// ---------------------------------------------------------------------------------------------
// Idempotence

const NORMALISERS: Array<[string, (text: string) => string]> = [
  ['normalizePersonName', normalizePersonName],
  ['normalizeCompany', normalizeCompany],
  ['normalizeStreet', normalizeStreet],
  ['normalizeUnit', normalizeUnit],
  ['normalizeCity', normalizeCity],
  ['normalizeState', normalizeState],
  ['normalizeZip', normalizeZip],
  ['normalizeAccountNumber', normalizeAccountNumber],
  ['normalizePin', normalizePin],
];

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  streetSoup,
  realisticStreet,
  realisticName,
  realisticCompany,
);

describe('every normaliser is idempotent', () => {
  it.each(NORMALISERS)('%s over arbitrary and realistic text', (_name, normalize) => {
    fc.assert(
      fc.property(anyText, (text) => {
        const once = normalize(text);
        expect(normalize(once)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('normalizeStreet over word soup of the street vocabulary', () => {
    fc.assert(
      fc.property(streetSoup, (text) => {
        const once = normalizeStreet(text);
        expect(normalizeStreet(once)).toBe(once);
        // The split of a normal form is the split of the original: units stay units.
        expect(splitStreet(once)).toEqual(splitStreet(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('splitStreet parts are themselves normal forms', () => {
    fc.assert(
      fc.property(fc.oneof(streetSoup, realisticStreet), (text) => {
        const { street, unit } = splitStreet(text);
        expect(normalizeStreet(street)).toBe(street);
        expect(normalizeUnit(unit)).toBe(unit);
      }),
      RUNS,
    );
  });
});

describe('realistic spellings of the same thing normalise the same', () => {
  it('street addresses', () => {
    fc.assert(
      fc.property(
        streetPartsArb.chain((parts) => fc.tuple(writeStreet(parts), writeStreet(parts))),
        ([a, b]) => {
          expect(splitStreet(a).street).toBe(splitStreet(b).street);
        },
      ),
      RUNS,
    );
  });

  it('person names', () => {
    fc.assert(
      fc.property(
        namePartsArb.chain((parts) => fc.tuple(writeName(parts), writeName(parts))),
        ([a, b]) => {
          expect(normalizePersonName(a)).toBe(normalizePersonName(b));
        },
      ),
      RUNS,
    );
  });

  it('company names', () => {
    fc.assert(
      fc.property(
        companyWordsArb.chain((words) => fc.tuple(writeCompany(words), writeCompany(words))),
        ([a, b]) => {
          expect(normalizeCompany(a)).toBe(normalizeCompany(b));
        },
      ),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A mismatch never approves

interface Scenario {
  account: Account;
  provided: Provided;
  dids: string[];
}

const NUMBERS = Array.from({ length: 100 }, (_, i) => `+1253555${String(100 + i).padStart(4, '0')}`);

const formatUs = (e164: string) =>
  fc.constantFrom(
    e164,
    `(${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`,
    `${e164.slice(2, 5)}.${e164.slice(5, 8)}.${e164.slice(8)}`,
    `1-${e164.slice(2, 5)}-${e164.slice(5, 8)}-${e164.slice(8)}`,
  );

/** An account and a request for some of its numbers that matches it on every field. */
const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    name: namePartsArb,
    companyWords: fc.option(companyWordsArb, { nil: undefined }),
    street: streetPartsArb,
    zip: fc.integer({ min: 1001, max: 99950 }).map((z) => String(z).padStart(5, '0')),
    plus4: fc.option(fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')), { nil: undefined }),
    accountNumber: fc.stringMatching(/^[A-Z]{2,3}[0-9]{4,8}$/),
    pin: fc.option(fc.stringMatching(/^[0-9]{4,8}$/), { nil: undefined }),
    numbers: fc.uniqueArray(fc.constantFrom(...NUMBERS), { minLength: 1, maxLength: 6 }),
  })
  .chain((a) => {
    const onFileStreet = [a.street.number, a.street.predir?.[0], a.street.name, a.street.suffix[0], a.street.postdir?.[0]]
      .map((w) => (Array.isArray(w) ? w[0] : w))
      .filter(Boolean)
      .join(' ');
    const account = AccountSchema.parse({
      id: 'acct-p',
      name: [a.name.first, a.name.middle, a.name.last].filter(Boolean).join(' '),
      company: a.companyWords ? `${a.companyWords} LLC` : undefined,
      email: 'holder@example.test',
      techPrefix: '7001',
      accountNumber: a.accountNumber,
      address: {
        street: onFileStreet,
        unit: a.street.unit ? `${a.street.unit.designator[0]} ${a.street.unit.id}` : undefined,
        city: 'Tacoma',
        state: 'WA',
        zip: a.plus4 ? `${a.zip}-${a.plus4}` : a.zip,
      },
      dids: a.numbers.map((number) => ({ number, status: 'active' })),
      // Stored as the desk stores it; the carrier's PIN is checked against the hash (checkCarrierPin).
      portOutPin: a.pin === undefined ? undefined : testPins.hash(a.pin),
    });
    return fc
      .record({
        name: writeName(a.name),
        street: fc.boolean().chain((withUnit) => writeStreet(a.street, withUnit)),
        zip: fc.constantFrom(a.zip, `${a.zip}-0001`, `${a.zip} 4321`),
        accountNumber: fc.constantFrom(a.accountNumber, a.accountNumber.toLowerCase(), a.accountNumber.replace(/(\d{2})/, '$1-')),
        pin: fc.constant(a.pin === undefined ? undefined : a.pin.replace(/^(\d{2})/, '$1 ')),
        dids: fc.subarray(a.numbers, { minLength: 1 }).chain((ns) => fc.tuple(...ns.map(formatUs))),
      })
      .map((p) => ({
        account,
        provided: { name: p.name, street: p.street, zip: p.zip, accountNumber: p.accountNumber, ...checkCarrierPin(testPins, p.pin, account) },
        dids: p.dids,
      }));
  });

const PRESETS = Object.entries(MATCH_PRESETS) as Array<[string, readonly MatchField[]]>;

/** A value for the field whose normal form differs from the account's, and the code it must give. */
type Mutation = (s: Scenario, noise: string) => { input: { provided: Provided; dids: string[] }; account: Account; code: ReasonCode } | null;

const MUTATIONS: Partial<Record<MatchField, Mutation>> = {
  nameOrCompany: (s, noise) => {
    const company = s.account.company ? normalizeCompany(s.account.company) : undefined;
    if (normalizePersonName(noise) === normalizePersonName(s.account.name) || normalizeCompany(noise) === company) return null;
    return { input: { provided: { ...s.provided, name: noise, company: undefined }, dids: s.dids }, account: s.account, code: 'NAME_MISMATCH' };
  },
  street: (s, noise) => {
    if (splitStreet(noise).street === splitStreet(s.account.address.street).street) return null;
    return { input: { provided: { ...s.provided, street: noise }, dids: s.dids }, account: s.account, code: 'ADDRESS_MISMATCH' };
  },
  zip: (s, noise) => {
    if (normalizeZip(noise) === normalizeZip(s.account.address.zip)) return null;
    return { input: { provided: { ...s.provided, zip: noise }, dids: s.dids }, account: s.account, code: 'ZIP_MISMATCH' };
  },
  accountNumber: (s, noise) => {
    if (normalizeAccountNumber(noise) === normalizeAccountNumber(s.account.accountNumber)) return null;
    return {
      input: { provided: { ...s.provided, accountNumber: noise }, dids: s.dids },
      account: s.account,
      code: 'ACCOUNT_NUMBER_MISMATCH',
    };
  },
  pin: (s, noise) => {
    // Give the account a PIN (8080) so the field is in play, then quote a different one.
    if (normalizePin(noise) === '8080') return null;
    const account = { ...s.account, portOutPin: testPins.hash('8080') };
    const code: ReasonCode = normalizePin(noise) === '' ? 'PIN_MISSING' : 'PIN_INVALID';
    const { pinGiven: _given, pinMatched: _matched, ...fields } = s.provided;
    return { input: { provided: { ...fields, ...checkCarrierPin(testPins, noise, account) }, dids: s.dids }, account, code };
  },
  dids: (s, noise) => {
    const stranger = NUMBERS.find((n) => !s.account.dids.some((d) => d.number === n)) as string;
    if (noise.length % 2 === 0) {
      return { input: { provided: s.provided, dids: [...s.dids, stranger] }, account: s.account, code: 'TN_NOT_FOUND' };
    }
    // Mark one of the requested numbers as already ported out.
    const first = s.account.dids.find((d) => s.dids.some((given) => given.replace(/\D/g, '').endsWith(d.number.slice(2))));
    if (!first) return null;
    const account = {
      ...s.account,
      dids: s.account.dids.map((d) => (d === first ? { ...d, status: 'ported-out' as const } : d)),
    };
    return { input: { provided: s.provided, dids: s.dids }, account, code: 'TN_NOT_ACTIVE' };
  },
};

/** Replacement values: random text, and near misses that look like the real thing. */
const noiseArb = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  realisticName,
  realisticCompany,
  realisticStreet,
  fc.integer({ min: 0, max: 99999 }).map((z) => String(z).padStart(5, '0')),
  fc.stringMatching(/^[A-Z]{2,3}[0-9]{4,8}$/),
  fc.stringMatching(/^[0-9]{4,8}$/),
);

describe('a mismatch never approves', () => {
  it.each(PRESETS)('realistic matching requests approve under %s', (_preset, fields) => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const report = matchAccount({ provided: s.provided, dids: s.dids }, s.account, fields);
        expect(report.reasonCodes).toEqual([]);
        expect(report.matched).toBe(true);
      }),
      RUNS,
    );
  });

  for (const [preset, fields] of PRESETS) {
    it.each(fields.map((f) => [f]))(`${preset}: changing %s rejects with its code`, (field) => {
      const mutate = MUTATIONS[field] as Mutation;
      fc.assert(
        fc.property(scenarioArb, noiseArb, (s, noise) => {
          const changed = mutate(s, noise);
          fc.pre(changed !== null);
          if (!changed) return;
          const report = matchAccount(changed.input, changed.account, fields);
          expect(report.matched).toBe(false);
          expect(report.reasonCodes).toContain(changed.code);
          const failed = report.fields.filter((f) => f.result !== 'match').map((f) => f.field);
          expect(failed).toEqual([field]);
        }),
        RUNS,
      );
    });
  }
});
