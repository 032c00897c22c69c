/**
 * One request's fields from its several sources (SPEC §15): the message's own labelled text, its
 * attachments (a PDF form's fields, a spreadsheet's or CSV's rows, a PDF's running text) and,
 * last, sentences. The body wins over an attachment; an attachment that says something else than
 * the body, or than another attachment, is a conflict for a person (CONFLICTING_FIELDS) — the
 * desk does not choose between two statements of the same request. Sentences only fill what
 * nothing else gave, and never conflict: a sentence read wrongly must not hold a request up.
 *
 * Each field says where it came from, so `inspect` can show it and the rules can weigh it: a
 * field read only from sentences never approves an auto-match on its own (SPEC §15).
 */
import { normalizeAccountNumber, normalizePin } from '../domain/normalize/account-codes.js';
import { normalizeCity, normalizeZip } from '../domain/normalize/city-state-zip.js';
import { normalizeCompany } from '../domain/normalize/company.js';
import { normalizePersonName } from '../domain/normalize/person-name.js';
import { normalizeStreet } from '../domain/normalize/street.js';
import type { PortRequestFields } from './types.js';

/** Where a field was read: labelled text, a table, a PDF form, an attachment's text, sentences. */
export type FieldSource = 'label' | 'table' | 'form' | 'attachment' | 'prose';

export const MERGED_FIELDS = [
  'name', 'company', 'street', 'city', 'state', 'zip', 'accountNumber', 'btn', 'pin', 'authorizedName', 'pon', 'requestedDate',
] as const;
export type MergedField = (typeof MERGED_FIELDS)[number];

export interface FieldConflict {
  field: MergedField;
  /** In words, each value beside where it was read; a PIN's values are never written. */
  detail: string;
}

export interface SourcedFields {
  fields: PortRequestFields;
  /** "the message", "loa.pdf"… */
  where: string;
  source: FieldSource;
}

export interface MergedFields {
  fields: PortRequestFields;
  sources: Partial<Record<MergedField, FieldSource>>;
  conflicts: FieldConflict[];
}

const WORDS: Record<MergedField, string> = {
  name: 'name', company: 'company', street: 'street', city: 'city', state: 'state', zip: 'ZIP', accountNumber: 'account number',
  btn: 'BTN', pin: 'PIN', authorizedName: 'authorized name', pon: 'PON', requestedDate: 'requested date',
};

/** How two values of a field are compared: as the matcher compares them with the account. */
const SAME_AS: Record<MergedField, (text: string) => string> = {
  name: normalizePersonName,
  company: normalizeCompany,
  street: normalizeStreet,
  city: normalizeCity,
  state: (t) => t.trim().toUpperCase(),
  zip: normalizeZip,
  accountNumber: normalizeAccountNumber,
  btn: (t) => t.replace(/\D/g, '').slice(-10),
  pin: normalizePin,
  authorizedName: normalizePersonName,
  pon: (t) => t.toUpperCase().replace(/[^A-Z0-9]/g, ''),
  requestedDate: (t) => t,
};

/**
 * `first` is the message's own reading; `others` the attachments' in the order they came; `prose`
 * what sentences said. Numbers (dids) are not merged here: every source's numbers count.
 */
export function mergeFields(first: SourcedFields, others: readonly SourcedFields[], prose: Partial<Record<MergedField, string>>, notes: string[]): MergedFields {
  const fields: PortRequestFields = { ...first.fields };
  const sources: Partial<Record<MergedField, FieldSource>> = {};
  const where: Partial<Record<MergedField, string>> = {};
  for (const key of MERGED_FIELDS) {
    if (first.fields[key] !== undefined) {
      sources[key] = first.source;
      where[key] = first.where;
    }
  }
  const conflicts: FieldConflict[] = [];
  for (const other of others) {
    for (const key of MERGED_FIELDS) {
      const value = other.fields[key];
      if (value === undefined || value === '') continue;
      const kept = fields[key];
      if (kept === undefined) {
        fields[key] = value;
        sources[key] = other.source;
        where[key] = other.where;
        continue;
      }
      if (SAME_AS[key](kept) === SAME_AS[key](value)) continue;
      if (conflicts.some((c) => c.field === key)) continue;
      const detail =
        key === 'pin'
          ? `two different PINs: one in ${where[key]}, another in ${other.where}`
          : `${WORDS[key]} "${kept}" in ${where[key]}, "${value}" in ${other.where}`;
      conflicts.push({ field: key, detail });
    }
  }
  for (const key of MERGED_FIELDS) {
    const value = prose[key];
    if (value === undefined || value === '' || fields[key] !== undefined) continue;
    fields[key] = value;
    sources[key] = 'prose';
  }
  const fromProse = MERGED_FIELDS.filter((key) => sources[key] === 'prose');
  if (fromProse.length) notes.push(`read from sentences only: ${fromProse.map((k) => WORDS[k]).join(', ')}`);
  const fromAttachments = MERGED_FIELDS.filter((key) => sources[key] && sources[key] !== 'prose' && where[key] !== first.where);
  if (fromAttachments.length) notes.push(`read from attachments: ${fromAttachments.map((k) => `${WORDS[k]} (${where[k]}, ${sources[k]})`).join(', ')}`);
  return { fields, sources, conflicts };
}
