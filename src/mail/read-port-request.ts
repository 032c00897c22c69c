/**
 * A carrier's port-out request as fields: labelled text in its many variants (plain, LSR codes,
 * HTML tables, definition lists), numbers from the body and from CSV or text attachments, and the
 * forwarded original when support passed the carrier's mail on.
 *
 * Everything is read as written (SPEC §2: "provided … as the carrier wrote them"); only the date
 * becomes ISO and the BTN E.164, because those are compared as values, not as text.
 *
 * This file puts a request together; how text is read (quotes, forwards, labels, dates,
 * addresses, CSV) is in text/, shared with the other readers, and the request's label
 * vocabulary is read-port-labels.ts.
 */
import { toE164 } from '../domain/phone.js';
import { extractNumbers } from './extract-numbers.js';
import { MAX_NUMBERS } from './limits.js';
import { countPortFields, findInlinePon, readPortLabels, readPortLabelsLoose, type PortKey } from './read-port-labels.js';
import { readCsvNumbers } from './text/csv-numbers.js';
import { parseRequestedDate } from './text/dates.js';
import { findForwardedPart, findInlineForward, quotedOriginal, type ForwardedPart } from './text/forwards.js';
import { htmlToText } from './text/html-to-text.js';
import type { LabelledValue } from './text/labels.js';
import { cutQuotedAndSignature } from './text/quotes.js';
import { joinAddressLines, readStateCode, splitAddress, splitCityStateZip } from './text/us-address.js';
import { asciiTableRows, bilingualLabels, labelsOnTheRight, looseValueFits, pairLabelRows } from './form-rows.js';
import { mergeFields, type MergedField, type SourcedFields } from './merge-fields.js';
import { readProse, type ProseFields } from './read-prose.js';
import type { InboundAttachment, InboundMessage, Mailbox, PortRequestFields, PortRequestReading } from './types.js';

type Entries = LabelledValue<PortKey>[];

export function readPortRequest(msg: InboundMessage): PortRequestReading {
  const notes: string[] = [];
  const source = selectSource(msg);
  if (source.forwarded) notes.push(`read from the forwarded message (${source.forwarded})`);

  const entries: Entries = [];
  const numberTexts: string[] = [];
  const unlabelled: string[] = [];
  for (const given of source.texts) {
    const text = pairLabelRows(asciiTableRows(labelsOnTheRight(bilingualLabels(given))));
    const found = readPortLabels(text);
    joinAddressContinuation(text, found);
    entries.push(...found);
    numberTexts.push(blankOut(text, found.filter((entry) => entry.key === 'btn')));
    // Sentences are read around the labelled fields: a line may hold both ("… Requested due date:
    // 04/06/2027. Authorized by …"), so only each label and its value are blanked.
    unlabelled.push(blankOut(text, found));
  }
  const body: SourcedFields = { fields: buildFields(entries, notes), where: 'the message', source: 'label' };

  const fromAttachments: SourcedFields[] = [];
  const unreadable: string[] = [];
  for (const attachment of source.attachments) {
    const name = attachment.filename ?? attachment.contentType;
    const read = attachment.reading;
    if (read?.unreadable) {
      unreadable.push(read.unreadable);
      continue;
    }
    if (read) {
      notes.push(...read.notes);
      if (!read.text.trim()) continue;
      const text = pairLabelRows(labelsOnTheRight(bilingualLabels(read.text)));
      const found = readPortLabels(text);
      // A PDF's fields typed on rules without a colon: read loosely, only where nothing else was
      // read, and only from short lines (a sentence is no field).
      if (read.kind === 'pdf') {
        const have = new Set(found.map((entry) => entry.key));
        const lines = text.split(/\r?\n/);
        for (const entry of readPortLabelsLoose(text)) {
          const line = lines[entry.line] ?? '';
          if (have.has(entry.key) || entry.value.length > 60 || line.split(/\s+/).length > 12 || !looseValueFits(entry)) continue;
          found.push(entry);
          have.add(entry.key);
        }
      }
      joinAddressContinuation(text, found);
      // A letter (an LOA written as one) states its fields in sentences.
      if (read.source === 'text') unlabelled.push(blankOut(text, found));
      fromAttachments.push({ fields: buildFields(found, notes), where: name, source: read.source === 'text' ? 'attachment' : read.source });
      numberTexts.push(blankOut(text, found.filter((entry) => entry.key === 'btn')));
      notes.push(`attachment ${name} read (${read.kind}, ${read.source})`);
      continue;
    }
    // Not read when the message was parsed (a message built by hand): CSV and text as they are.
    const kind = attachmentKind(attachment);
    if (!kind) continue;
    const content = attachment.content.toString('utf8');
    if (kind === 'csv') {
      const csv = readCsvNumbers(content);
      notes.push(...csv.notes);
      numberTexts.push(csv.text);
      notes.push(`numbers read from attachment ${name}`);
    } else {
      const found = readPortLabels(content);
      fromAttachments.push({ fields: buildFields(found, notes), where: name, source: 'attachment' });
      numberTexts.push(blankOut(content, found.filter((entry) => entry.key === 'btn')));
      notes.push(`attachment ${name} read as text`);
    }
  }

  // Sentences fill only what no label, table or form gave.
  const prose = readProse(joinAddressLines(unlabelled.join('\n\n')), msg.date ? { today: msg.date } : {});
  const merged = mergeFields(body, fromAttachments, proseFields(prose.fields), notes);
  if (Object.values(merged.sources).includes('prose')) notes.push(...prose.notes);
  const fields = merged.fields;
  // "Please port … for Delgado Insurance Agency": a business named as the customer, with no person
  // beside it, is the name on the account (matching compares a name with the company on file too).
  if (merged.sources.company === 'prose' && fields.name === undefined && fields.company !== undefined) {
    fields.name = fields.company;
    delete fields.company;
    merged.sources.name = 'prose';
    delete merged.sources.company;
  }
  // A PON written in a sentence or only in the subject ("Port request - PON SF-270211").
  if (fields.pon === undefined) {
    const inText = findInlinePon(unlabelled.join('\n'));
    const inline = inText ?? findInlinePon(source.subject);
    if (inline) {
      fields.pon = inline;
      merged.sources.pon = 'label';
      notes.push(`PON ${inline} read from ${inText ? 'the text' : 'the subject'}`);
    }
  }

  const found = new Set<string>();
  const invalidFound = new Set<string>();
  for (const text of numberTexts) {
    const extracted = extractNumbers(text, { maxNumbers: MAX_NUMBERS - found.size });
    for (const did of extracted.dids) found.add(did);
    for (const bad of extracted.invalid) invalidFound.add(bad);
    if (extracted.stopped && !notes.includes(extracted.stopped)) notes.push(extracted.stopped);
    if (found.size >= MAX_NUMBERS) break;
  }
  const dids = [...found];
  const invalid = [...invalidFound];
  // A BTN stated in a sentence ("the billing number is …") is no number to port either, unless
  // another line lists it among the numbers.
  const btn = fields.btn ? toE164(fields.btn) : undefined;
  if (btn && merged.sources.btn === 'prose' && dids.includes(btn) && dids.length > 1 && onlyBesideBtnCue(numberTexts, btn)) dids.splice(dids.indexOf(btn), 1);
  if (dids.length === 0 && fields.btn) {
    // A BTN says which account, not which numbers should leave: porting it on a guess could
    // take a customer's main line. The carrier is asked for the numbers instead.
    notes.push('only a billing telephone number was given; it is not taken as a number to port');
  }
  fields.dids = dids;
  if (invalid.length > 0) notes.push(`not valid US numbers: ${invalid.slice(0, 10).join(', ')}${invalid.length > 10 ? ' …' : ''}`);

  if (source.from) {
    fields.carrierEmail = source.from.address;
    if (!fields.carrierName && source.from.name) {
      fields.carrierName = source.from.name;
      notes.push(`carrier name taken from the sender's name (${source.from.name})`);
    }
  }

  const missing: string[] = [];
  if (dids.length === 0) missing.push('telephone numbers');
  if (dids.length > 0) notes.push(`${dids.length} number${dids.length === 1 ? '' : 's'} found`);
  return { fields, sources: merged.sources, conflicts: merged.conflicts, unreadable, missing, invalidNumbers: invalid, notes };
}

const BTN_CUE = /\b(?:btn|billing|account (?:telephone|phone))\b/i;

/**
 * Whether `e164` is named only as the billing number: every line with it says so, and names it
 * once ("Please port 0155 and 0156 (BTN 0155)" lists it and names it: a number to port).
 */
function onlyBesideBtnCue(texts: readonly string[], e164: string): boolean {
  const digits = e164.slice(2);
  const lines = texts.flatMap((text) => text.split(/\r?\n/)).filter((line) => /\d{3}/.test(line) && extractNumbers(line, { maxNumbers: 50 }).dids.includes(e164));
  const times = (line: string) => [...line.matchAll(/\(?\d{3}\)?[\s.-]{0,3}\d{3}[\s.-]{0,3}\d{4}/g)].filter((m) => m[0].replace(/\D/g, '') === digits).length;
  return lines.length > 0 && lines.every((line) => BTN_CUE.test(line) && times(line) <= 1);
}

/** The prose reader's fields in the request's form: a BTN in E.164 when it is a number. */
function proseFields(found: ProseFields): Partial<Record<MergedField, string>> {
  const out: Partial<Record<MergedField, string>> = { ...found };
  if (found.btn) out.btn = toE164(found.btn) ?? found.btn;
  return out;
}

interface RequestSource {
  texts: string[];
  /** The subject (the forwarded original's when there is one): a PON is often only there. */
  subject: string;
  attachments: InboundAttachment[];
  from?: Mailbox;
  forwarded?: ForwardedPart['style'];
}

/**
 * The texts to read: the forwarded original's (its text part, and its HTML or the forward found in
 * the outer HTML) or the message's own, each without quoted history and signature.
 */
function selectSource(msg: InboundMessage): RequestSource {
  const source = selectOwnSource(msg);
  // A forward of a forward often quotes the carrier's request with "> " under a note that says
  // nothing of it: then the quoted original is the request.
  if (source.texts.some((text) => countPortFields(text) >= 2)) return source;
  const raw = findForwardedPart(msg)?.text ?? msg.text;
  const original = quotedOriginal(raw);
  if (original && countPortFields(original) >= 2) return { ...source, texts: [cutQuotedAndSignature(original)] };
  return source;
}

function selectOwnSource(msg: InboundMessage): RequestSource {
  const forwarded = findForwardedPart(msg);
  if (forwarded) {
    const texts = [cutQuotedAndSignature(forwarded.text)];
    if (forwarded.html) texts.push(cutQuotedAndSignature(htmlToText(forwarded.html)));
    else if (msg.html && forwarded.style !== 'attached') {
      const inHtml = findInlineForward(htmlToText(msg.html), true);
      if (inHtml) texts.push(cutQuotedAndSignature(inHtml.text));
    }
    const attachments = forwarded.style === 'attached' ? [...forwarded.attachments, ...msg.attachments] : msg.attachments;
    return {
      texts,
      subject: [forwarded.subject, msg.subject].filter(Boolean).join('\n'),
      attachments,
      ...(forwarded.from ? { from: forwarded.from } : msg.from ? { from: msg.from } : {}),
      forwarded: forwarded.style,
    };
  }
  const texts = [cutQuotedAndSignature(msg.text)];
  if (msg.html) {
    const fromHtml = cutQuotedAndSignature(htmlToText(msg.html));
    if (fromHtml.trim() !== texts[0]?.trim()) texts.push(fromHtml);
  }
  return { texts, subject: msg.subject, attachments: msg.attachments, ...(msg.from ? { from: msg.from } : {}) };
}

function attachmentKind(attachment: InboundAttachment): 'csv' | 'text' | undefined {
  if (attachment.dropped) return undefined;
  const type = attachment.contentType.toLowerCase();
  const name = (attachment.filename ?? '').toLowerCase();
  if (type === 'text/csv' || type === 'application/csv' || name.endsWith('.csv') || type === 'text/tab-separated-values' || name.endsWith('.tsv')) {
    return 'csv';
  }
  if (type === 'text/plain' || name.endsWith('.txt')) return 'text';
  return undefined;
}

/** "Service Address: 123 Main St" with "Seattle, WA 98101" on the next line, unlabelled. */
function joinAddressContinuation(text: string, found: Entries): void {
  const lines = text.split(/\r?\n/);
  for (const entry of found) {
    if (entry.key !== 'street' || /\b\d{5}(?:-?\d{4})?\s*$/.test(entry.value)) continue;
    const next = lines[entry.line + 1]?.trim() ?? '';
    if (next && splitCityStateZip(next) && !found.some((other) => other.line === entry.line + 1)) {
      entry.value = `${entry.value}, ${next}`;
    }
  }
}

/** Replaces labelled values (the BTN) by spaces so they are not counted as numbers to port. */
function blankOut(text: string, entries: Entries): string {
  if (entries.length === 0) return text;
  const lines = text.split(/\r?\n/);
  for (const entry of entries) {
    const line = lines[entry.line];
    if (line === undefined) continue;
    lines[entry.line] = line.slice(0, entry.start) + ' '.repeat(Math.max(0, entry.end - entry.start)) + line.slice(entry.end);
  }
  return lines.join('\n');
}

function buildFields(entries: Entries, notes: string[]): PortRequestFields {
  const first = new Map<PortKey, LabelledValue<PortKey>>();
  for (const entry of entries) {
    const kept = first.get(entry.key);
    if (!kept) first.set(entry.key, entry);
    else if (normalise(kept.value) !== normalise(entry.value) && entry.key !== 'street') {
      const note = `${kept.label} given twice ("${redact(entry.key, kept.value)}", "${redact(entry.key, entry.value)}"): the first is used`;
      if (!notes.includes(note)) notes.push(note);
    }
  }
  const value = (key: PortKey): string | undefined => first.get(key)?.value;
  const fields: PortRequestFields = { dids: [] };

  const assign = <F extends Exclude<keyof PortRequestFields, 'dids'>>(field: F, text: string | undefined): void => {
    if (text !== undefined && text !== '') fields[field] = text;
  };

  assign('name', value('name'));
  assign('company', value('company'));
  // An account number is a code, not a sentence ("… on the account: (802) 555-0161, which is …").
  const account = value('accountNumber');
  if (account && account.length <= 30 && account.split(/\s+/).length <= 4 && /\d/.test(account)) assign('accountNumber', account);
  else if (account) notes.push(`"${account.slice(0, 40)}" after an account label is no account number`);
  assign('pin', value('pin')?.replace(/\s+/g, ''));
  // "Teodoro Villaseñor, General Manager": the signer's title is not their name.
  assign('authorizedName', value('authorizedName')?.replace(TITLE_AFTER_NAME, ''));
  assign('pon', value('pon'));
  assign('spid', value('spid'));
  assign('carrierName', value('carrierName') ?? value('ccna'));

  const btn = value('btn');
  if (btn) {
    const e164 = toE164(btn);
    fields.btn = e164 ?? btn;
    if (!e164) notes.push(`BTN "${btn}" is not a valid US number`);
  }

  const date = value('requestedDate');
  if (date) {
    const iso = parseRequestedDate(date);
    if (iso) fields.requestedDate = iso;
    else notes.push(`requested date "${date}" could not be read`);
  }

  // Address: a labelled street (maybe with city, state and ZIP on the same line or the next),
  // or the LSR pieces SAPR+SANO+SASF SASD SASN SATH SASS.
  const streetEntry = first.get('street');
  let street: string | undefined;
  let cityStateZip: { city?: string; state?: string; zip?: string } = {};
  if (streetEntry) {
    const split = splitAddress(streetEntry.value);
    street = split.street;
    cityStateZip = split;
  } else if (value('sano') || value('sasn')) {
    const number = [value('sapr'), value('sano'), value('sasf')].filter(Boolean).join('');
    street = [number, value('sasd'), value('sasn'), value('sath'), value('sass')].filter(Boolean).join(' ');
    notes.push('service address put together from the LSR fields');
  }
  const labelledCsz = value('cityStateZip');
  if (labelledCsz) cityStateZip = { ...(splitCityStateZip(labelledCsz) ?? {}), ...dropUndefined(cityStateZip) };
  // "Address 2: New York, NY 10001" is the city line, not a unit.
  const unitEntry = first.get('unit');
  const unitAsCsz = unitEntry ? splitCityStateZip(unitEntry.value) : undefined;
  if (unitEntry && unitAsCsz) {
    cityStateZip = { ...unitAsCsz, ...dropUndefined(cityStateZip) };
    first.delete('unit');
  }
  const unit = readUnit(first);
  if (street && unit && !street.toLowerCase().includes(unit.toLowerCase())) street = `${street} ${unit}`;
  else if (!street && unit) notes.push(`unit "${unit}" given without a street`);
  assign('street', street);

  // "State / ZIP: TN 37212"
  const stateZip = /^\s*([A-Za-z][A-Za-z .]{1,20}?)[\s,]+(\d{5}(?:-?\d{4})?)\s*$/.exec(value('stateZip') ?? '');
  if (stateZip) cityStateZip = { ...cityStateZip, ...(cityStateZip.state ? {} : { state: stateZip[1]! }), ...(cityStateZip.zip ? {} : { zip: stateZip[2]! }) };
  assign('city', value('city') ?? cityStateZip.city);
  const state = value('state') ?? cityStateZip.state;
  if (state) fields.state = readStateCode(state);
  const zip = value('zip') ?? cityStateZip.zip;
  if (zip) {
    // A ZIP+4 is compared as its ZIP: the account's records hold five digits.
    const digits = /\d{5}(?:-?\d{4})?/.exec(zip)?.[0];
    fields.zip = digits ? digits.slice(0, 5) : zip;
    if (!digits) notes.push(`ZIP "${zip}" is not a US ZIP code`);
  }
  return fields;
}

const TITLE_AFTER_NAME =
  /,\s*(?:(?:general|office|operations|managing|assistant|regional|it|the)\s+)?(?:owner|co-owner|manager|president|vice president|director|partner|ceo|cfo|coo|cto|principal|administrator|secretary|treasurer|officer|member|proprietor|controller|supervisor)\b[^,]{0,30}$/i;

function readUnit(first: Map<PortKey, LabelledValue<PortKey>>): string | undefined {
  const unit = first.get('unit');
  if (unit) {
    const designator = unit.label.replace(/\s+/g, ' ');
    return /^[a-z]/i.test(unit.value) && !/^\d/.test(unit.value) ? unit.value : `${capitalise(designator)} ${unit.value}`;
  }
  const pairs = (['1', '2', '3'] as const)
    .map((n) => [first.get(`ld${n}`)?.value, first.get(`lv${n}`)?.value] as const)
    .filter(([designator, value]) => designator || value)
    .map(([designator, value]) => [designator, value].filter(Boolean).join(' '));
  return pairs.length > 0 ? pairs.join(' ') : undefined;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
}

function dropUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function normalise(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** PINs never appear in notes (SPEC §10: secrets never in logs or e-mails). */
function redact(key: PortKey, value: string): string {
  return key === 'pin' ? '****' : value;
}
