/**
 * A carrier's port-out request as fields: labelled text in its many variants (plain, LSR codes,
 * HTML tables, definition lists), numbers from the body and from CSV or text attachments, and the
 * forwarded original when support passed the carrier's mail on.
 *
 * Everything is read as written (SPEC §2: "provided … as the carrier wrote them"); only the date
 * becomes ISO and the BTN E.164, because those are compared as values, not as text.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { extractNumbers } from './extract-numbers.js';
import { htmlToText } from './parse-message.js';
import type { InboundAttachment, InboundMessage, Mailbox, PortRequestFields, PortRequestReading } from './types.js';
import { toE164 } from '../domain/phone.js';

/* ------------------------------------------------------------------ labelled fields */

export interface LabelSpec<K extends string = string> {
  key: K;
  /** Regular-expression source for the label, matched case-insensitively as a whole. */
  pattern: string;
}

export interface LabelledValue<K extends string = string> {
  key: K;
  label: string;
  value: string;
  /** Index of the line in the text it was read from. */
  line: number;
  /** Where the label starts and the value ends on that line. */
  start: number;
  end: number;
}

export type LabelReader<K extends string> = (text: string) => LabelledValue<K>[];

const BULLET = String.raw`^[ \t]*(?:[-*•>#]+[ \t]*|\d{1,2}[.)][ \t]+)?(?:\*\*|__)?`;
const AFTER_LABEL = String.raw`(?:\*\*|__)?(?:[ \t]*\([^)\n]{0,40}\))?(?:\*\*|__)?`;
const SEPARATOR = String.raw`(?:[ \t]*[:=]+-?[ \t]*|[ \t]+-[ \t]*|[ \t]*-[ \t]+|\t[ \t]*|(?<=#)[ \t]*)`;
const PLACEHOLDER = /^(?:n\/?a|none|null|nil|-+|tbd|unknown|\?+|_+|\.+)$/i;

/**
 * Compiles label variants into a reader. A line may carry several fields ("PON: X   VER: 01" or
 * the tab-separated cells of an HTML row); a label alone on its line takes the next line's value.
 */
export function compileLabelReader<K extends string>(specs: readonly LabelSpec<K>[]): LabelReader<K> {
  const ordered = [...specs].sort((a, b) => b.pattern.length - a.pattern.length);
  const alternation = ordered.map((spec) => spec.pattern).join('|');
  const lineRe = new RegExp(`${BULLET}(${alternation})${AFTER_LABEL}${SEPARATOR}`, 'i');
  const bareLabelRe = new RegExp(`${BULLET}(${alternation})${AFTER_LABEL}[ \\t]*[:=]?[ \\t]*$`, 'i');
  // The next field on the same line: a known label, or any short "WORD:" after a wide gap (LSR forms
  // carry fields such as VER or ACT that are not read but must still end the value before them).
  // It starts only where a run of blanks starts, so a long run is not retried from every blank.
  const nextFieldRe = new RegExp(
    `(?<![ \\t])(?:[ \\t]{2,}|\\t|[ \\t]*[|;][ \\t]*)(?=(?:${alternation})${AFTER_LABEL}(?:[ \\t]*[:=]|\\t)|[A-Za-z][A-Za-z0-9 #./-]{0,25}[ \\t]*[:=])`,
    'i',
  );
  const wholeRes = ordered.map((spec) => ({ key: spec.key, re: new RegExp(`^(?:${spec.pattern})$`, 'i') }));
  const keyOf = (label: string): K | undefined => wholeRes.find((entry) => entry.re.test(label.trim()))?.key;

  return (text: string): LabelledValue<K>[] => {
    const lines = text.split(/\r?\n/);
    const found: LabelledValue<K>[] = [];
    lines.forEach((line, index) => {
      let offset = 0;
      let rest = line;
      let first = true;
      let read = false;
      for (;;) {
        const match = lineRe.exec(rest);
        if (!match) {
          // A field that is not read (VER: 01): skip to the one after it.
          const skip = first ? null : nextFieldRe.exec(rest.slice(1));
          if (!skip) break;
          const consumed = 1 + skip.index + skip[0].length;
          offset += consumed;
          rest = rest.slice(consumed);
          continue;
        }
        const label = match[1] ?? '';
        const key = keyOf(label);
        const valueStart = match.index + match[0].length;
        const tail = rest.slice(valueStart);
        const next = nextFieldRe.exec(tail);
        const rawValue = next ? tail.slice(0, next.index) : tail;
        const value = cleanValue(rawValue);
        if (key && value) {
          found.push({ key, label: label.trim(), value, line: index, start: offset + match.index, end: offset + valueStart + rawValue.length });
          read = true;
        }
        if (!next) break;
        const consumed = valueStart + next.index + next[0].length;
        offset += consumed;
        rest = rest.slice(consumed);
        first = false;
      }
      if (!read) {
        // "Account Name:" alone, its value on the next non-empty line.
        const bare = bareLabelRe.exec(line);
        const key = bare ? keyOf(bare[1] ?? '') : undefined;
        if (bare && key) {
          let nextIndex = index + 1;
          while (nextIndex < lines.length && (lines[nextIndex] ?? '').trim() === '') nextIndex += 1;
          if (nextIndex >= lines.length) nextIndex = -1;
          const nextLine = nextIndex >= 0 ? (lines[nextIndex] ?? '') : '';
          const value = cleanValue(nextLine);
          if (value && !lineRe.test(nextLine) && !bareLabelRe.test(nextLine)) {
            found.push({ key, label: (bare[1] ?? '').trim(), value, line: nextIndex, start: 0, end: nextLine.length });
          }
        }
      }
    });
    return found;
  };
}

function cleanValue(raw: string): string | undefined {
  const value = raw
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:\*\*|__|["'“”‘’])+|(?:\*\*|__|["'“”‘’])+$/g, '')
    .trim();
  if (!value || PLACEHOLDER.test(value)) return undefined;
  return value;
}

/* ------------------------------------------------------------------ the port request labels */

type PortKey =
  | 'name' | 'company' | 'btn' | 'accountNumber' | 'street' | 'sapr' | 'sano' | 'sasf' | 'sasd' | 'sasn'
  | 'sath' | 'sass' | 'unit' | 'ld1' | 'lv1' | 'ld2' | 'lv2' | 'ld3' | 'lv3' | 'city' | 'state' | 'zip'
  | 'cityStateZip' | 'pon' | 'requestedDate' | 'pin' | 'authorizedName' | 'carrierName' | 'ccna' | 'spid';

const S = String.raw`[ \t]*`;
const NO = String.raw`(?:number|num|no\.?|#)`;

const PORT_LABELS: LabelSpec<PortKey>[] = [
  ...[
    `account${S}name`, `name${S}on${S}(?:the${S})?account`, `account${S}holder(?:${S}name)?`, `end[ \\t-]*user(?:${S}name)?`,
    `customer${S}name`, `eu${S}name`, `subscriber${S}name`, 'name',
  ].map((pattern) => ({ key: 'name' as const, pattern })),
  ...[`company(?:${S}name)?`, `business(?:${S}name)?`].map((pattern) => ({ key: 'company' as const, pattern })),
  ...[
    `billing${S}tele?phone(?:${S}${NO})?`, `billing${S}(?:number|tn)`, 'btn', 'atn', `account${S}telephone(?:${S}${NO})?`,
    `main${S}(?:number|tn|line|telephone${S}number)`,
  ].map((pattern) => ({ key: 'btn' as const, pattern })),
  ...[`account${S}${NO}`, `acct\\.?(?:${S}${NO})?`, 'an', `account${S}code`, `customer${S}account(?:${S}${NO})?`].map(
    (pattern) => ({ key: 'accountNumber' as const, pattern }),
  ),
  ...[`service${S}address`, `service${S}street`, `street${S}address`, 'address', 'street', `end${S}user${S}address`].map(
    (pattern) => ({ key: 'street' as const, pattern }),
  ),
  { key: 'sapr', pattern: 'sapr' },
  { key: 'sano', pattern: 'sano' },
  { key: 'sasf', pattern: 'sasf' },
  { key: 'sasd', pattern: 'sasd' },
  { key: 'sasn', pattern: 'sasn' },
  { key: 'sath', pattern: 'sath' },
  { key: 'sass', pattern: 'sass' },
  ...['unit', 'suite', 'ste', 'apt', 'apartment', 'floor', 'room', 'bldg', 'building'].map((pattern) => ({
    key: 'unit' as const,
    pattern,
  })),
  { key: 'ld1', pattern: 'ld1' },
  { key: 'lv1', pattern: 'lv1' },
  { key: 'ld2', pattern: 'ld2' },
  { key: 'lv2', pattern: 'lv2' },
  { key: 'ld3', pattern: 'ld3' },
  { key: 'lv3', pattern: 'lv3' },
  ...['city', `service${S}city`, 'town'].map((pattern) => ({ key: 'city' as const, pattern })),
  ...['state', 'st', `service${S}state`, 'province'].map((pattern) => ({ key: 'state' as const, pattern })),
  ...[`zip(?:${S}code)?`, 'zip\\+4', `postal${S}code`, `service${S}zip`].map((pattern) => ({ key: 'zip' as const, pattern })),
  { key: 'cityStateZip', pattern: `city${S}[,/]${S}state(?:${S}[,/]?${S}zip(?:${S}code)?)?` },
  ...[
    'pon', `purchase${S}order(?:${S}${NO})?`, `reference(?:${S}${NO})?`, `ref\\.?(?:${S}${NO})?`, `carrier${S}reference`,
    `order${S}reference`,
  ].map((pattern) => ({ key: 'pon' as const, pattern })),
  ...[
    `desired${S}due${S}date`, 'ddd', `due${S}date`, `requested${S}(?:due${S}|port${S})?date`, `port${S}date`,
    `desired${S}(?:port${S})?date`, `requested${S}foc(?:${S}date)?`,
  ].map((pattern) => ({ key: 'requestedDate' as const, pattern })),
  ...[
    `port[ \\t-]*out${S}pin`, `pin(?:${S}code)?`, 'passcode', `security${S}code`, `account${S}pin`, `account${S}passcode`,
    `port${S}pin`,
  ].map((pattern) => ({ key: 'pin' as const, pattern })),
  ...[`authori[sz]ed${S}name`, 'authnm', `authori[sz]ed${S}by`, `authori[sz]ing${S}(?:name|party)`, `authori[sz]ed${S}signer`].map(
    (pattern) => ({ key: 'authorizedName' as const, pattern }),
  ),
  ...[
    `carrier(?:${S}name)?`, `new${S}carrier`, `requesting${S}carrier`, `gaining${S}carrier`, `winning${S}carrier`,
    `new${S}provider`, `requesting${S}provider`,
  ].map((pattern) => ({ key: 'carrierName' as const, pattern })),
  { key: 'ccna', pattern: 'ccna' },
  ...['spid', 'nnsp', `new${S}spid`].map((pattern) => ({ key: 'spid' as const, pattern })),
];

export const readPortLabels = compileLabelReader(PORT_LABELS);

/** How many different port-request fields a text carries; the classifier uses it. */
export function countPortFields(text: string): number {
  return new Set(readPortLabels(text).map((entry) => entry.key)).size;
}

/* ------------------------------------------------------------------ forwarded originals */

export interface ForwardedPart {
  style: 'gmail' | 'apple' | 'outlook' | 'original-message' | 'attached';
  from?: Mailbox;
  subject?: string;
  text: string;
  html?: string;
  attachments: InboundAttachment[];
}

const FORWARD_SUBJECT_RE = /^\s*(?:(?:fwd?|fw|tr|wg|rv|enc|vs|doorst|i)\s*:\s*)/i;

/** A reply's quoted history also starts with Outlook's block; it is not a forward there. */
const REPLY_PREFIX_RE = /^\s*(?:re|aw|sv|antw|réf|ref|rif|odp|r)\s*(?:\[\d+\])?\s*:/i;

export function hasForwardSubject(subject: string): boolean {
  return FORWARD_SUBJECT_RE.test(subject);
}

/**
 * The forwarded original inside a message: an attached message/rfc822, or an inline block after
 * a Gmail/Apple marker. Outlook's "From:/Sent:" block and "-----Original Message-----" also start
 * quoted replies, so they count as a forward only under a forward subject or when nothing of
 * substance (no number) comes before them.
 */
export function findForwardedPart(msg: InboundMessage): ForwardedPart | undefined {
  const attached = msg.embedded?.[0];
  if (attached) {
    return {
      style: 'attached',
      ...(attached.from ? { from: attached.from } : {}),
      subject: attached.subject,
      text: attached.text,
      ...(attached.html ? { html: attached.html } : {}),
      attachments: attached.attachments,
    };
  }
  const reply = !hasForwardSubject(msg.subject) && (REPLY_PREFIX_RE.test(msg.subject) || msg.inReplyTo !== undefined || msg.references.length > 0);
  const inline = findInlineForward(msg.text, hasForwardSubject(msg.subject), reply);
  if (!inline) return undefined;
  return { ...inline, attachments: msg.attachments };
}

const GMAIL_MARKER = /^[ \t>]*-{5,}[ \t]*forwarded message[ \t]*-{3,}[ \t]*$/im;
const APPLE_MARKER = /^[ \t>]*begin forwarded message:[ \t]*$/im;
const ORIGINAL_MARKER = /^[ \t>]*-{3,}[ \t]*original message[ \t]*-{3,}[ \t]*$/im;
const OUTLOOK_BLOCK = /^[ \t>]*(?:\*\*|_)?from:(?:\*\*|_)?[ \t]+\S.*\r?\n[ \t>]*(?:\*\*|_)?(?:sent|date):(?:\*\*|_)?[ \t]+\S/im;

function findInlineForward(
  text: string,
  forwardSubject: boolean,
  reply = false,
): Omit<ForwardedPart, 'attachments'> | undefined {
  const strong: Array<[ForwardedPart['style'], RegExp]> = [
    ['gmail', GMAIL_MARKER],
    ['apple', APPLE_MARKER],
  ];
  for (const [style, re] of strong) {
    const match = re.exec(text);
    if (match) return readForwardBlock(style, text.slice(match.index + match[0].length));
  }
  const weak: Array<[ForwardedPart['style'], RegExp, boolean]> = [
    ['original-message', ORIGINAL_MARKER, true],
    ['outlook', OUTLOOK_BLOCK, false],
  ];
  for (const [style, re, skipMarker] of weak) {
    const match = re.exec(text);
    if (!match) continue;
    const before = text.slice(0, match.index);
    if (!forwardSubject && (reply || extractNumbers(before).dids.length > 0)) continue;
    return readForwardBlock(style, text.slice(skipMarker ? match.index + match[0].length : match.index));
  }
  return undefined;
}

/** Reads the "From: / Date: / Subject: / To:" lines of a forwarded block, then its body. */
function readForwardBlock(style: ForwardedPart['style'], block: string): Omit<ForwardedPart, 'attachments'> {
  const lines = dequote(block).split(/\r?\n/);
  let index = 0;
  while (index < lines.length && (lines[index] ?? '').trim() === '') index += 1;
  const headers: Record<string, string> = {};
  const headerRe = /^[ \t]*(?:\*\*|_)?(from|sent|date|to|cc|subject|reply-to)(?:\*\*|_)?:(?:\*\*|_)?[ \t]*(.*)$/i;
  for (; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const header = headerRe.exec(line);
    if (header) {
      const name = (header[1] ?? '').toLowerCase();
      if (headers[name] === undefined) headers[name] = (header[2] ?? '').trim();
      continue;
    }
    if (line.trim() === '' && Object.keys(headers).length > 0) {
      index += 1;
      break;
    }
    // A header value wrapped onto the next line (long To: lists).
    if (/^[ \t]+\S/.test(line) && Object.keys(headers).length > 0) continue;
    break;
  }
  const from = headers.from ? parseMailbox(headers.from) : undefined;
  return {
    style,
    ...(from ? { from } : {}),
    ...(headers.subject !== undefined ? { subject: headers.subject } : {}),
    text: lines.slice(index).join('\n'),
  };
}

/** A forwarded block quoted with "> " on every line is read without the quote marks. */
function dequote(block: string): string {
  const lines = block.split(/\r?\n/);
  const content = lines.filter((line) => line.trim() !== '');
  if (content.length === 0 || !content.every((line) => /^[ \t]*>/.test(line))) return block;
  return lines.map((line) => line.replace(/^[ \t]*> ?/, '')).join('\n');
}

/** `Name <a@b>`, `Name [mailto:a@b]`, `"Name" a@b`, or a bare address. */
export function parseMailbox(text: string): Mailbox | undefined {
  const address = /[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+/.exec(text)?.[0];
  if (!address) return undefined;
  const name = text
    .replace(/<[^>]*>|\[mailto:[^\]]*\]|\(mailto:[^)]*\)/gi, '')
    .replace(address, '')
    .replace(/["']/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return name ? { address: address.toLowerCase(), name } : { address: address.toLowerCase() };
}

/* ------------------------------------------------------------------ text to read */

/** Quoted history (Outlook block, "On … wrote:") and the signature are not part of the request. */
export function cutQuotedAndSignature(text: string): string {
  const lines = text.split(/\r?\n/);
  const signature = lines.findIndex((line) => /^-- ?$/.test(line));
  let kept = signature >= 0 ? lines.slice(0, signature) : lines;
  const quoteStart = kept.findIndex(
    (line, i) =>
      ORIGINAL_MARKER.test(line) ||
      /^On .{4,200} wrote:\s*$/i.test(line) ||
      (/^[ \t]*from:[ \t]+\S/i.test(line) && /^[ \t]*(?:sent|date):[ \t]+\S/i.test(kept[i + 1] ?? '')),
  );
  if (quoteStart > 0) kept = kept.slice(0, quoteStart);
  const unquoted = kept.filter((line) => !/^[ \t]*>/.test(line));
  if (unquoted.some((line) => line.trim() !== '')) kept = unquoted;
  // A closing ("Thanks,") near the end starts the sender's signature: contact numbers are not DIDs.
  const closing = kept.findIndex(
    (line, i) => i >= kept.length - 12 && /^[ \t]*(?:thanks|thank you|regards|best regards|kind regards|sincerely|cheers|best)[ \t]*[,.!]?[ \t]*$/i.test(line),
  );
  if (closing > 0) kept = kept.slice(0, closing);
  return kept.join('\n');
}

interface RequestSource {
  texts: string[];
  attachments: InboundAttachment[];
  from?: Mailbox;
  forwarded?: ForwardedPart['style'];
}

function selectSource(msg: InboundMessage): RequestSource {
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
  return { texts, attachments: msg.attachments, ...(msg.from ? { from: msg.from } : {}) };
}

/* ------------------------------------------------------------------ attachments */

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

/** Columns whose header names something that is not a number to port. */
const NON_NUMBER_COLUMN = /account|acct|pin|passcode|zip|postal|pon|order|date|ref|spid|contact|fax|btn|billing/i;

/** Numbers from every column of a CSV that holds them, skipping columns headed as something else. */
function readCsvNumbers(content: string): { text: string; notes: string[] } {
  let rows: string[][];
  try {
    rows = parseCsv(content, {
      delimiter: [',', ';', '\t', '|'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
      trim: true,
    }) as string[][];
  } catch (error) {
    return { text: content, notes: [`CSV could not be parsed (${error instanceof Error ? error.message : 'error'}); read as text`] };
  }
  const header = rows[0] ?? [];
  const headed = header.length > 0 && header.every((cell) => extractNumbers(cell).dids.length === 0) && header.some((cell) => /[a-z]/i.test(cell));
  const skipped = new Set<number>();
  if (headed) {
    header.forEach((cell, index) => {
      const numberish = /\b(?:tn|tns|did|dids|number|numbers|phone|telephone)\b/i.test(cell) && !/account|acct|order/i.test(cell);
      if (!numberish && NON_NUMBER_COLUMN.test(cell)) skipped.add(index);
    });
  }
  const cells: string[] = [];
  for (const row of headed ? rows.slice(1) : rows) {
    row.forEach((cell, index) => {
      if (!skipped.has(index)) cells.push(cell);
    });
  }
  return { text: cells.join('\n'), notes: [] };
}

/* ------------------------------------------------------------------ values */

const MONTH_NAMES = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
];

/** 12/01/2026, 12-1-26, 2026-12-01, 20261201, Dec 1 2026, December 1, 2026, 1 Dec 2026 → 2026-12-01. */
export function parseRequestedDate(value: string): string | undefined {
  const text = value.trim().replace(/^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+/i, '');
  let year: number | undefined;
  let month: number | undefined;
  let day: number | undefined;
  let match: RegExpExecArray | null;
  if ((match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b/.exec(text))) {
    [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b/.exec(text))) {
    const y = Number(match[3]);
    [month, day, year] = [Number(match[1]), Number(match[2]), y < 100 ? 2000 + y : y];
  } else if ((match = /^(20\d{2})(\d{2})(\d{2})$/.exec(text))) {
    [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/i.exec(text))) {
    [month, day, year] = [monthNumber(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\.?,?\s+(\d{4})\b/i.exec(text))) {
    [day, month, year] = [Number(match[1]), monthNumber(match[2]), Number(match[3])];
  }
  if (year === undefined || month === undefined || day === undefined) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function monthNumber(name: string | undefined): number | undefined {
  const lower = (name ?? '').toLowerCase();
  if (lower.length < 3) return undefined;
  const index = MONTH_NAMES.findIndex((month) => month.startsWith(lower) || (lower === 'sept' && month === 'september'));
  return index >= 0 ? index + 1 : undefined;
}

const STATES: Record<string, string> = {
  alabama: 'AL', alaska: 'AK', arizona: 'AZ', arkansas: 'AR', california: 'CA', colorado: 'CO', connecticut: 'CT',
  delaware: 'DE', 'district of columbia': 'DC', florida: 'FL', georgia: 'GA', hawaii: 'HI', idaho: 'ID', illinois: 'IL',
  indiana: 'IN', iowa: 'IA', kansas: 'KS', kentucky: 'KY', louisiana: 'LA', maine: 'ME', maryland: 'MD',
  massachusetts: 'MA', michigan: 'MI', minnesota: 'MN', mississippi: 'MS', missouri: 'MO', montana: 'MT',
  nebraska: 'NE', nevada: 'NV', 'new hampshire': 'NH', 'new jersey': 'NJ', 'new mexico': 'NM', 'new york': 'NY',
  'north carolina': 'NC', 'north dakota': 'ND', ohio: 'OH', oklahoma: 'OK', oregon: 'OR', pennsylvania: 'PA',
  'rhode island': 'RI', 'south carolina': 'SC', 'south dakota': 'SD', tennessee: 'TN', texas: 'TX', utah: 'UT',
  vermont: 'VT', virginia: 'VA', washington: 'WA', 'west virginia': 'WV', wisconsin: 'WI', wyoming: 'WY',
  'puerto rico': 'PR',
};

/** Two-letter codes in capitals; full state names to their code. Anything else as written. */
function normaliseState(value: string): string {
  const trimmed = value.trim().replace(/\.$/, '');
  if (/^[a-z]{2}$/i.test(trimmed)) return trimmed.toUpperCase();
  return STATES[trimmed.toLowerCase()] ?? trimmed;
}

const CITY_STATE_ZIP_RE = /^(.+?),?\s+([A-Za-z]{2}|[A-Za-z]+(?:\s[A-Za-z]+)?)\.?,?\s+(\d{5}(?:-?\d{4})?)\s*$/;

function splitCityStateZip(value: string): { city: string; state: string; zip: string } | undefined {
  const match = CITY_STATE_ZIP_RE.exec(value.replace(/,\s*$/, ''));
  if (!match) return undefined;
  const [, city = '', state = '', zip = ''] = match;
  const stateCode = normaliseState(state);
  if (!/^[A-Z]{2}$/.test(stateCode)) return undefined;
  return { city: city.replace(/,\s*$/, '').trim(), state: stateCode, zip };
}

/** "123 Main St, Suite 200, Seattle, WA 98101" → street, city, state and ZIP. */
function splitAddress(value: string): { street: string; city?: string; state?: string; zip?: string } {
  const parts = value.split(',').map((part) => part.trim());
  for (let cut = parts.length - 1; cut >= 1; cut -= 1) {
    const tail = splitCityStateZip(parts.slice(cut).join(', '));
    if (tail && !/\d/.test(tail.city)) return { street: parts.slice(0, cut).join(', '), ...tail };
  }
  return { street: value };
}

/* ------------------------------------------------------------------ the reading */

type Entries = LabelledValue<PortKey>[];

export function readPortRequest(msg: InboundMessage): PortRequestReading {
  const notes: string[] = [];
  const source = selectSource(msg);
  if (source.forwarded) notes.push(`read from the forwarded message (${source.forwarded})`);

  const entries: Entries = [];
  const numberTexts: string[] = [];
  for (const text of source.texts) {
    const found = readPortLabels(text);
    joinAddressContinuation(text, found);
    entries.push(...found);
    numberTexts.push(blankOut(text, found.filter((entry) => entry.key === 'btn')));
  }

  for (const attachment of source.attachments) {
    const kind = attachmentKind(attachment);
    if (!kind) continue;
    const content = attachment.content.toString('utf8');
    const name = attachment.filename ?? attachment.contentType;
    if (kind === 'csv') {
      const csv = readCsvNumbers(content);
      notes.push(...csv.notes);
      numberTexts.push(csv.text);
      notes.push(`numbers read from attachment ${name}`);
    } else {
      const found = readPortLabels(content);
      entries.push(...found);
      numberTexts.push(blankOut(content, found.filter((entry) => entry.key === 'btn')));
      notes.push(`attachment ${name} read as text`);
    }
  }

  const fields = buildFields(entries, notes);

  const dids: string[] = [];
  const invalid: string[] = [];
  for (const text of numberTexts) {
    const extracted = extractNumbers(text);
    for (const did of extracted.dids) if (!dids.includes(did)) dids.push(did);
    for (const bad of extracted.invalid) if (!invalid.includes(bad)) invalid.push(bad);
  }
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
  return { fields, missing, invalidNumbers: invalid, notes };
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
  assign('accountNumber', value('accountNumber'));
  assign('pin', value('pin')?.replace(/\s+/g, ''));
  assign('authorizedName', value('authorizedName'));
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
  const unit = readUnit(first);
  if (street && unit && !street.toLowerCase().includes(unit.toLowerCase())) street = `${street} ${unit}`;
  else if (!street && unit) notes.push(`unit "${unit}" given without a street`);
  assign('street', street);

  assign('city', value('city') ?? cityStateZip.city);
  const state = value('state') ?? cityStateZip.state;
  if (state) fields.state = normaliseState(state);
  const zip = value('zip') ?? cityStateZip.zip;
  if (zip) {
    const digits = /\d{5}(?:-?\d{4})?/.exec(zip)?.[0];
    fields.zip = digits ?? zip;
    if (!digits) notes.push(`ZIP "${zip}" is not a US ZIP code`);
  }
  return fields;
}

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
