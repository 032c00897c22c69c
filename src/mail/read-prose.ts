/**
 * A port-out request written as sentences, with no labels: "Please port 503-555-0123 for Jane
 * Doe, account 88812, service address 12 Oak St, Portland OR 97201. Her PIN is 4412." The label
 * reader (read-port-labels.ts) reads none of that; this reader takes what such a sentence states
 * and says, in its notes, which words it read each field from, so Review can check the reading.
 *
 * Only words that introduce a value are read ("for", "customer", "account number is", "PIN",
 * "PON", "authorized by", "on March 14, 2027"); a value standing alone is left alone. Everything
 * is kept as written but the state (its two-letter code), the ZIP (five digits) and the date
 * (ISO). Numbers to port are read by extract-numbers.ts, not here, and a telephone number is never
 * taken for an account number or a PIN.
 *
 * The first reading of a field is kept unless a stronger cue gives another ("customer name is"
 * over "for"); a different second value is noted. "He signed the LOA" makes the customer the
 * authorized name when the customer read is a person. Reading stops at the sender's sign-off.
 *
 * Linear in the text: it is cut at MAX_TEXT_CHARS, read sentence by sentence (at most
 * MAX_PROSE_SENTENCES, each at most MAX_LINE_CHARS), every pattern is a fixed phrase with bounded
 * repeats, and addresser is tried at most MAX_ADDRESS_TRIES times on a short candidate. It never
 * throws: a text it cannot read gives no fields.
 */
import { cutText, formatCount, MAX_LINE_CHARS, MAX_TEXT_CHARS } from './limits.js';
import { readAddress } from './prose/address.js';
import { isoDay, readDates } from './prose/dates.js';
import { quote, type Finding, type ProseField, type ProseFields, type ProseSink } from './prose/finding.js';
import { readIdentifiers } from './prose/identifiers.js';
import { readNames } from './prose/names.js';
import { splitSentences } from './prose/sentences.js';

export type { ProseFields } from './prose/finding.js';

export interface ProseReading {
  fields: ProseFields;
  notes: string[];
}

export interface ProseOptions {
  /** The day a year-less date ("on March 14") is counted from; now when not given. */
  today?: Date;
}

/** A request is a few dozen sentences; a text with more is a list or an attack. */
export const MAX_PROSE_SENTENCES = 2_000;
/** addresser calls in one reading: each costs up to milliseconds on its short candidate. */
export const MAX_ADDRESS_TRIES = 6;
/** Notes in one reading: a hostile text could otherwise earn one per sentence. */
export const MAX_PROSE_NOTES = 50;

const FIELD_ORDER: readonly ProseField[] = [
  'name', 'company', 'accountNumber', 'btn', 'pin', 'pon', 'street', 'city', 'state', 'zip', 'authorizedName', 'requestedDate',
];
const LABELS: Record<ProseField, string> = {
  name: 'name', company: 'company', accountNumber: 'account number', btn: 'BTN', pin: 'PIN', pon: 'PON', street: 'street',
  city: 'city', state: 'state', zip: 'ZIP', authorizedName: 'authorized name', requestedDate: 'requested date',
};
/** Read together from one address; a second address is noted once, on the street. */
const ADDRESS_PARTS: ReadonlySet<ProseField> = new Set(['city', 'state', 'zip']);

export function readProse(text: string, options: ProseOptions = {}): ProseReading {
  const notes: string[] = [];
  try {
    return read(typeof text === 'string' ? text : '', options, notes);
  } catch (error) {
    // A fault here must not cost the request: its labelled fields are read all the same.
    const reason = error instanceof Error ? error.message : String(error);
    return { fields: {}, notes: [...notes.slice(0, MAX_PROSE_NOTES - 1), `prose not read: ${reason.slice(0, 200)}`] };
  }
}

function read(text: string, options: ProseOptions, notes: string[]): ProseReading {
  const readable = cutText(text, MAX_TEXT_CHARS, 'the text', notes);
  const today = options.today instanceof Date && !Number.isNaN(options.today.getTime()) ? options.today : new Date();
  const split = splitSentences(readable, MAX_PROSE_SENTENCES, MAX_LINE_CHARS);
  notes.push(...split.notes);

  const chosen = new Map<ProseField, Finding>();
  const noted = new Set<ProseField>();
  const later: string[] = [];
  let signedByCustomer: string | undefined;
  const note = (line: string): void => {
    if (later.length < MAX_PROSE_NOTES && !later.includes(line)) later.push(line);
  };
  const sink: ProseSink = {
    found: (finding) => {
      const kept = chosen.get(finding.field);
      if (!kept || (finding.strength > kept.strength && sameValue(kept.value, finding.value))) {
        chosen.set(finding.field, finding);
        return;
      }
      if (sameValue(kept.value, finding.value)) return;
      const label = LABELS[finding.field];
      const quiet = ADDRESS_PARTS.has(finding.field) || noted.has(finding.field);
      if (finding.strength > kept.strength) {
        chosen.set(finding.field, finding);
        if (!quiet) note(`${label} ${quote(finding.evidence)} preferred to ${quote(kept.evidence)}`);
      } else if (!quiet) {
        note(`${label} also read as ${quote(finding.evidence)}: the first, ${quote(kept.evidence)}, is used`);
      }
      noted.add(finding.field);
    },
    note,
    signedByCustomer: (evidence) => {
      signedByCustomer ??= evidence;
    },
  };

  const budget = { tries: MAX_ADDRESS_TRIES };
  let soon: string | undefined;
  for (const sentence of split.sentences) {
    readNames(sentence, sink);
    readIdentifiers(sentence, sink);
    readAddress(sentence, sink, budget);
    soon ??= readDates(sentence, today, sink).soon;
  }

  const customer = chosen.get('name');
  if (signedByCustomer && customer && !chosen.has('authorizedName') && !noted.has('name')) {
    const how = `the customer, read from ${quote(customer.evidence)}`;
    chosen.set('authorizedName', { field: 'authorizedName', value: customer.value, evidence: signedByCustomer, strength: 1, how });
  }

  const fields: ProseFields = {};
  for (const field of FIELD_ORDER) {
    const finding = chosen.get(field);
    if (finding) fields[field] = finding.value;
  }
  notes.push(...readNotes(chosen));
  if (fields.requestedDate && fields.requestedDate < isoDay(today)) {
    notes.push(`requested date ${fields.requestedDate} is before today`);
  } else if (!fields.requestedDate && soon) {
    notes.push(`the port is asked for ${quote(soon)}: no requested date read`);
  }
  notes.push(...later);
  if (notes.length > MAX_PROSE_NOTES) {
    const dropped = notes.length - MAX_PROSE_NOTES + 1;
    notes.splice(MAX_PROSE_NOTES - 1, dropped, `${formatCount(dropped)} more notes left out`);
  }
  return { fields, notes };
}

/** "name read from prose: 'for Jane Doe'"; fields read from the same words share a note. */
function readNotes(chosen: Map<ProseField, Finding>): string[] {
  const groups = new Map<string, { labels: string[]; finding: Finding }>();
  for (const field of FIELD_ORDER) {
    const finding = chosen.get(field);
    if (!finding) continue;
    const key = `${finding.evidence}\u0000${finding.how ?? ''}`;
    const group = groups.get(key);
    if (group) group.labels.push(LABELS[field]);
    else groups.set(key, { labels: [LABELS[field]], finding });
  }
  return [...groups.values()].map(({ labels, finding }) => {
    const what = labels.length === 1 ? labels[0] : `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
    return `${what} read from prose: ${quote(finding.evidence)}${finding.how ? ` (${finding.how})` : ''}`;
  });
}

function sameValue(a: string, b: string): boolean {
  return a.toLowerCase().replace(/[^a-z0-9]/g, '') === b.toLowerCase().replace(/[^a-z0-9]/g, '');
}
