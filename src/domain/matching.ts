/**
 * Compares what a carrier provided with the account on file (SPEC §5), field by field, for the
 * automatic decision when a verification window runs out.
 *
 * Values are compared only after normalisation (normalize.ts); there is no fuzzy matching beyond
 * it. An approval that should not have happened is a fraudulent port-out, so every rule here
 * errs toward "mismatch": a value that normalises to nothing is missing, a unit the account does
 * not have is a mismatch, and a report with no fields never approves.
 */
import { formatNumber, toE164 } from './phone.js';
import type { MatchField } from './match-fields.js';
import type { ReasonCode } from './reason-codes.js';
import type { Account, MatchFieldReport, MatchReport, Provided } from './records.js';
import {
  isSameUnit,
  normalizeAccountNumber,
  normalizeCity,
  normalizeCompany,
  normalizePersonName,
  normalizeState,
  normalizeUnit,
  normalizeZip,
  splitStreet,
} from './normalize.js';

export interface MatchInput {
  /** The account facts as the carrier wrote them; of the PIN, whether it was given and matched at intake. */
  provided: Provided;
  /** The numbers the request names for this account (E.164, or any US form). */
  dids: string[];
}

/** Shown instead of PIN values, which never enter a report (reports are stored and e-mailed). */
const PIN_GIVEN = '(given)';
const PIN_ON_FILE = '(on file)';

/** One field's outcome; a field may carry more than one code (numbers both unknown and inactive). */
interface FieldOutcome {
  report: MatchFieldReport;
  codes: ReasonCode[];
}

/**
 * Matches `input` against `account` on the required `fields` (MATCH_FIELDS). The report has one
 * entry per field, in the order given; `matched` is true only when every field matched, and
 * `reasonCodes` lists the distinct codes of the failed fields in field order.
 *
 * Throws a RangeError when `fields` is empty: an empty policy would approve every request, and the
 * configuration schema already refuses it, so reaching here with none is a programming error.
 */
export function matchAccount(input: MatchInput, account: Account, fields: readonly MatchField[]): MatchReport {
  const unique = [...new Set(fields)];
  if (unique.length === 0) throw new RangeError('matchAccount needs at least one field to match');

  const outcomes = unique.map((field) => matchField(field, input, account));
  const reasonCodes = [...new Set(outcomes.flatMap((o) => o.codes))];
  return {
    matched: outcomes.every((o) => o.report.result === 'match'),
    fields: outcomes.map((o) => o.report),
    reasonCodes,
  };
}

function matchField(field: MatchField, input: MatchInput, account: Account): FieldOutcome {
  const { provided } = input;
  switch (field) {
    case 'nameOrCompany':
      return matchNameOrCompany(provided, account);
    case 'name':
      return compareText({
        field,
        label: 'name',
        provided: provided.name,
        onFile: account.name,
        normalize: normalizePersonName,
        code: 'NAME_MISMATCH',
      });
    case 'company':
      return compareText({
        field,
        label: 'company',
        provided: provided.company,
        onFile: account.company,
        normalize: normalizeCompany,
        code: 'COMPANY_MISMATCH',
      });
    case 'street':
      return matchStreet(provided.street, account);
    case 'city':
      return compareText({
        field,
        label: 'city',
        provided: provided.city,
        onFile: account.address.city,
        normalize: normalizeCity,
        code: 'ADDRESS_MISMATCH',
      });
    case 'state':
      return compareText({
        field,
        label: 'state',
        provided: provided.state,
        onFile: account.address.state,
        normalize: normalizeState,
        code: 'ADDRESS_MISMATCH',
      });
    case 'zip':
      return compareText({
        field,
        label: 'ZIP code',
        provided: provided.zip,
        onFile: account.address.zip,
        normalize: normalizeZip,
        code: 'ZIP_MISMATCH',
        unreadable: 'is not a US ZIP code',
      });
    case 'accountNumber':
      return compareText({
        field,
        label: 'account number',
        provided: provided.accountNumber,
        onFile: account.accountNumber,
        normalize: normalizeAccountNumber,
        code: 'ACCOUNT_NUMBER_MISMATCH',
      });
    case 'pin':
      return matchPin(provided, account);
    case 'dids':
      return matchDids(input.dids, account);
    case 'btn':
      return matchBtn(provided.btn, account);
  }
}

function isBlank(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

function outcome(report: MatchFieldReport, codes: ReasonCode[] = []): FieldOutcome {
  const code = codes[0];
  return { report: code ? { ...report, code } : report, codes };
}

interface TextComparison {
  field: MatchField;
  /** How the field is named in a reason, e.g. "account number". */
  label: string;
  provided: string | undefined;
  onFile: string | undefined;
  normalize: (text: string) => string;
  code: ReasonCode;
  /** Said of a provided value whose normal form is empty; default: "has nothing to compare". */
  unreadable?: string;
}

/** Equal normal forms match; an empty normal form never does (".", "n/a" prove nothing). */
function compareText(c: TextComparison): FieldOutcome {
  const base = { field: c.field, provided: c.provided, onFile: c.onFile };
  if (isBlank(c.provided)) {
    return outcome({ ...base, result: 'missing', reason: `The request gives no ${c.label}.` }, [c.code]);
  }
  const given = c.normalize(c.provided);
  if (given === '') {
    const why = c.unreadable ?? 'has nothing to compare';
    return outcome({ ...base, result: 'mismatch', reason: `The ${c.label} on the request ${why}.` }, [c.code]);
  }
  const stored = c.onFile === undefined ? '' : c.normalize(c.onFile);
  if (stored === '') {
    return outcome({ ...base, result: 'mismatch', reason: `The account has no ${c.label} on file to compare with.` }, [
      c.code,
    ]);
  }
  if (given === stored) {
    return outcome({ ...base, result: 'match', reason: `The ${c.label} matches the account.` });
  }
  return outcome(
    {
      ...base,
      result: 'mismatch',
      reason: `The ${c.label} does not match: the request reads "${given}", the account has "${stored}" (compared after normalising).`,
    },
    [c.code],
  );
}

/**
 * Either proof of identity will do: the person's name as the account's name or company, or the
 * company as the account's company. The code follows what was offered: only a company →
 * COMPANY_MISMATCH, otherwise NAME_MISMATCH.
 */
function matchNameOrCompany(provided: Provided, account: Account): FieldOutcome {
  const field: MatchField = 'nameOrCompany';
  const shown = [provided.name, provided.company].filter((v): v is string => !isBlank(v)).join(' / ') || undefined;
  const onFile = [account.name, account.company].filter((v): v is string => !isBlank(v)).join(' / ');
  const base = { field, provided: shown, onFile };
  const hasName = !isBlank(provided.name);
  const hasCompany = !isBlank(provided.company);
  if (!hasName && !hasCompany) {
    return outcome({ ...base, result: 'missing', reason: 'The request gives neither a name nor a company.' }, [
      'NAME_MISMATCH',
    ]);
  }

  const equal = (a: string, b: string | undefined) => a !== '' && b !== undefined && a === b;
  const accountName = normalizePersonName(account.name);
  const accountCompany = account.company === undefined ? undefined : normalizeCompany(account.company);
  if (hasName && equal(normalizePersonName(provided.name as string), accountName)) {
    return outcome({ ...base, result: 'match', reason: 'The name matches the name on the account.' });
  }
  if (hasName && equal(normalizeCompany(provided.name as string), accountCompany)) {
    return outcome({ ...base, result: 'match', reason: 'The name given matches the company on the account.' });
  }
  if (hasCompany && equal(normalizeCompany(provided.company as string), accountCompany)) {
    return outcome({ ...base, result: 'match', reason: 'The company matches the company on the account.' });
  }

  const code: ReasonCode = hasName ? 'NAME_MISMATCH' : 'COMPANY_MISMATCH';
  const offered = hasName && hasCompany ? 'Neither the name nor the company' : hasName ? 'The name' : 'The company';
  const against = account.company ? 'the name or company on the account' : 'the name on the account (no company on file)';
  return outcome({ ...base, result: 'mismatch', reason: `${offered} matches ${against}.` }, [code]);
}

/**
 * The carrier's street line may carry the unit ("123 Main St Ste 5"); the account keeps it apart.
 * The street must match. Units must match when both sides give one; a unit only on file still
 * matches (carriers often leave it off), but a unit the account does not have does not.
 */
function matchStreet(providedStreet: string | undefined, account: Account): FieldOutcome {
  const field: MatchField = 'street';
  const { street, unit } = account.address;
  const onFile = unit ? `${street}, ${unit}` : street;
  const base = { field, provided: providedStreet, onFile };
  const code: ReasonCode = 'ADDRESS_MISMATCH';
  if (isBlank(providedStreet)) {
    return outcome({ ...base, result: 'missing', reason: 'The request gives no street address.' }, [code]);
  }

  const given = splitStreet(providedStreet);
  const stored = splitStreet(street);
  const storedUnit = [stored.unit, unit ? normalizeUnit(unit) : ''].filter(Boolean).join(' ');
  if (given.street === '') {
    return outcome({ ...base, result: 'mismatch', reason: 'The street on the request has nothing to compare.' }, [code]);
  }
  if (given.street !== stored.street) {
    return outcome(
      {
        ...base,
        result: 'mismatch',
        reason: `The street does not match: the request reads "${given.street}", the account has "${stored.street}" (compared after normalising).`,
      },
      [code],
    );
  }
  if (given.unit !== '' && storedUnit !== '') {
    if (isSameUnit(given.unit, storedUnit)) {
      return outcome({ ...base, result: 'match', reason: 'The street and unit match the account.' });
    }
    return outcome(
      {
        ...base,
        result: 'mismatch',
        reason: `The street matches but the unit does not: the request reads "${given.unit}", the account has "${storedUnit}".`,
      },
      [code],
    );
  }
  if (given.unit !== '') {
    return outcome(
      {
        ...base,
        result: 'mismatch',
        reason: `The street matches but the request names unit "${given.unit}" and the account has no unit on file.`,
      },
      [code],
    );
  }
  if (storedUnit !== '') {
    return outcome({
      ...base,
      result: 'match',
      reason: `The street matches; the request gives no unit, the account's unit is "${storedUnit}".`,
    });
  }
  return outcome({ ...base, result: 'match', reason: 'The street matches the account.' });
}

/**
 * The PIN was checked when the request came (intake, against the stored hash); the order keeps
 * only the outcome, so that is what is compared. PIN values never enter the report.
 */
function matchPin(provided: Provided, account: Account): FieldOutcome {
  const field: MatchField = 'pin';
  const given = provided.pinGiven ? PIN_GIVEN : undefined;
  if (account.portOutPin === undefined) {
    return outcome({ field, provided: given, result: 'match', reason: 'The account has no port-out PIN.' });
  }
  const base = { field, provided: given, onFile: PIN_ON_FILE };
  if (!provided.pinGiven) {
    return outcome({ ...base, result: 'missing', reason: 'The account has a port-out PIN and the request gives none.' }, [
      'PIN_MISSING',
    ]);
  }
  if (provided.pinMatched === true) {
    return outcome({ ...base, result: 'match', reason: 'The port-out PIN is correct.' });
  }
  return outcome({ ...base, result: 'mismatch', reason: 'The port-out PIN is not correct.' }, ['PIN_INVALID']);
}

/** Every number named must be an active number of this account. */
function matchDids(dids: readonly string[], account: Account): FieldOutcome {
  const field: MatchField = 'dids';
  const statusOf = new Map(account.dids.map((d) => [d.number, d.status]));
  const named = [...new Set(dids.map((d) => toE164(d) ?? d.trim()).filter((d) => d !== ''))];
  if (named.length === 0) {
    return outcome({ field, result: 'missing', reason: 'The request names no telephone numbers.' }, ['TN_NOT_FOUND']);
  }

  const notFound = named.filter((d) => !statusOf.has(d));
  const inactive = named.filter((d) => statusOf.has(d) && statusOf.get(d) !== 'active');
  const show = (d: string) => (d.startsWith('+') ? formatNumber(d) : d);
  const provided = named.map(show).join(', ');
  const onFile = named.map((d) => `${show(d)}: ${statusOf.get(d) ?? 'not on this account'}`).join('; ');
  const base = { field, provided, onFile };

  const problems: string[] = [];
  const codes: ReasonCode[] = [];
  if (notFound.length > 0) {
    problems.push(`not on this account: ${notFound.map(show).join(', ')}`);
    codes.push('TN_NOT_FOUND');
  }
  if (inactive.length > 0) {
    problems.push(`on this account but not active: ${inactive.map(show).join(', ')}`);
    codes.push('TN_NOT_ACTIVE');
  }
  if (codes.length > 0) {
    return outcome({ ...base, result: 'mismatch', reason: `Numbers ${problems.join('; ')}.` }, codes);
  }
  const which = named.length === 1 ? 'The number is' : `All ${named.length} numbers are`;
  return outcome({ ...base, result: 'match', reason: `${which} active on this account.` });
}

/** The billing number identifies the account: it must be one of its numbers, whatever its status. */
function matchBtn(providedBtn: string | undefined, account: Account): FieldOutcome {
  const field: MatchField = 'btn';
  const code: ReasonCode = 'TN_NOT_FOUND';
  if (isBlank(providedBtn)) {
    return outcome({ field, result: 'missing', reason: 'The request gives no billing telephone number.' }, [code]);
  }
  const btn = toE164(providedBtn);
  if (btn === undefined) {
    return outcome(
      { field, provided: providedBtn, result: 'mismatch', reason: 'The billing telephone number is not a valid number.' },
      [code],
    );
  }
  const did = account.dids.find((d) => d.number === btn);
  if (!did) {
    return outcome(
      {
        field,
        provided: providedBtn,
        onFile: 'not on this account',
        result: 'mismatch',
        reason: `The billing telephone number ${formatNumber(btn)} is not a number on this account.`,
      },
      [code],
    );
  }
  return outcome({
    field,
    provided: providedBtn,
    onFile: `${formatNumber(btn)}: ${did.status}`,
    result: 'match',
    reason: 'The billing telephone number is a number on this account.',
  });
}
