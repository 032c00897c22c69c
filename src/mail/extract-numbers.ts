/**
 * Telephone numbers in free text: every common US form, and ranges, to de-duplicated E.164.
 *
 * Carriers write numbers as `+1 206 555 0100`, `(206) 555-0100`, `206.555.0100`, `2065550100`,
 * `1-206-555-0100`, and ranges as `206-555-0100 thru 0109`, `206-555-0100 - 0109`,
 * `2065550100-2065550109` or `206-555-0100 to 206-555-0109`. The pattern insists on the 3-3-4
 * shape, so dates (12/01/2026, 2026-12-01), ZIP+4 (98101-1234) and short PINs never fit it; lines
 * labelled as an account number, PIN, PON, ZIP, date or a contact's phone are skipped, because a
 * ten-digit account number or the sender's own callback number looks exactly like a DID.
 */
import { toE164 } from '../domain/phone.js';
import { cutText, formatCount, MAX_LINE_CHARS, MAX_NUMBER_CANDIDATES, MAX_NUMBERS, MAX_TEXT_CHARS } from './limits.js';

export interface ExtractedNumbers {
  /** Valid numbers in E.164, in order of first appearance. */
  dids: string[];
  /** Number-like text that is not a valid US number, and ranges that are reversed or too large. */
  invalid: string[];
  /** Set when reading stopped at a cap before the end of the text: why, in words. */
  stopped?: string;
}

export interface ExtractOptions {
  /**
   * Stop once this many distinct valid numbers are found (default MAX_NUMBERS). The classifier
   * asks for 1: it only needs to know whether there is any.
   */
  maxNumbers?: number;
}

/** A range longer than this is a typo or an attack, not a port request. */
export const MAX_RANGE_SIZE = 1000;

const SEP = String.raw`(?:[ \t]*[.\-–][ \t]*|[ \t]+)?`;
const NUMBER = String.raw`(?:\+?1${SEP})?(?:\([ \t]*\d{3}[ \t]*\)|\d{3})${SEP}\d{3}${SEP}\d{4}`;
const RANGE_WORD = String.raw`(?:-|–|—|to|thru|through)`;
const NUMBER_RE = new RegExp(
  String.raw`(?<![\w+.\/-])(${NUMBER})(?:[ \t]*${RANGE_WORD}[ \t]*(?:(${NUMBER})|-?(\d{2,4})))?(?![\w]|[.\/-]\d)`,
  'gi',
);

/**
 * Labels whose value is never a number to port. Matched at the start of a line (after a bullet);
 * `an` and `st` style two-letter codes need a real separator so prose is not mistaken for a label.
 */
const SKIPPED_LABEL_RE = new RegExp(
  String.raw`^[ \t]*(?:[-*•>][ \t]*)?(?:` +
    [
      String.raw`account[ \t]*(?:number|num|no\.?|#)`,
      String.raw`acct\.?[ \t]*(?:number|num|no\.?|#)?`,
      'an',
      String.raw`(?:port[- ]?out[ \t]*)?pin`,
      'passcode',
      String.raw`security[ \t]*code`,
      'pon',
      String.raw`purchase[ \t]*order(?:[ \t]*(?:number|no\.?|#))?`,
      String.raw`ref(?:erence)?(?:[ \t]*(?:number|no\.?|#))?`,
      String.raw`zip(?:[ \t]*code)?`,
      String.raw`postal[ \t]*code`,
      'spid',
      'nnsp',
      'ccna',
      'ver',
      String.raw`(?:desired[ \t]*)?due[ \t]*date`,
      'ddd',
      String.raw`(?:requested|port)[ \t]*(?:due[ \t]*)?date`,
      'date',
      String.raw`(?:order|ticket|case)[ \t]*(?:id|number|no\.?|#)`,
      String.raw`contact(?:[ \t]+[a-z]+){0,2}`,
      String.raw`(?:direct|office|mobile|cell|fax|callback|call[ \t]*back|support)(?:[ \t]*(?:phone|line|number|no\.?|#))?`,
    ].join('|') +
    String.raw`)[ \t]*(?:[:=#\t]|[ \t]-[ \t])`,
  'i',
);

/** The same labels just before a number in running text ("…, PON 2065550199, …"). */
const LABEL_BEFORE_RE =
  /(?:account\s*(?:number|num|no\.?|#)|acct\.?\s*(?:number|num|no\.?|#)?|\bpin|passcode|\bpon|purchase\s*order(?:\s*(?:number|no\.?|#))?|\bref(?:erence)?(?:\s*(?:number|no\.?|#))?|\bzip(?:\s*code)?|(?:order|ticket|case)\s*(?:id|number|no\.?|#)|\bspid)\s*[:=#-]?\s*$/i;

/** A line that offers a way to reach someone: a signature, a letterhead, a contact line. */
const CONTACT_LINE_RE =
  /\b(?:ext\.?\s*\d|extension|(?:fax|cell(?:ular)?|mobile)(?=\s*(?:[:#(+]|\d|number|phone|line|is\b))|direct\s+line|help\s*line|support\s+line|call\s*back|contact\s+(?:number|phone)|daytime|reach\s+(?:me|us|her|him|them))\b|(?:^|[\s|•·])[pftmco]\.?\s*[:.]\s*\(?\d{3}|\b(?:account\s+executive|manager|coordinator|specialist|representative|director|analyst|technician|customer\s+support|lnp\s+(?:desk|team))\b/i;
/** Longer than this, a line is a paragraph, not a signature's or letterhead's contact line. */
const MAX_CONTACT_LINE_CHARS = 120;
/** A letterhead or footer: parts between "·" or "|" with a phone cue ("Porting Desk · Phone …"). */
const FOOTER_LINE_RE = /·[^\n]{0,120}\b(?:phone|tel|telephone|support|help(?:\s*desk)?|questions)\b|\b(?:phone|tel|telephone|support|help(?:\s*desk)?|questions)\b[^\n]{0,120}·|\|[^|\n]{0,80}\|[^\n]{0,120}\b(?:phone|tel|telephone)\b/i;
/** A sentence that says its numbers stay ("Please do not port …", "will stay", "KEEP"). */
const KEEP_RE = /\be\.g\.|\b(?:do\s+not|don'?t|not\s+to|should\s+not|must\s+not|will\s+not|won'?t|never)\s+(?:be\s+)?(?:port(?:ed)?|transfer(?:red)?|mov(?:e|ed))\b|\bkeep(?:ing)?\b|\b(?:stays?|remains?)\s+(?:with|on|at)\b/i;
/** Words that list numbers to port: a line with them is a request line, whatever else it says. */
const PORT_LINE_RE =
  /\b(?:tns?|dids?|numbers?\s+to\s+(?:port|move|transfer)|to\s+(?:be\s+)?port(?:ed)?|port(?:ing)?\s+(?:the|their|our|my|these|this|all|both|numbers?|lines?|tns?|\(?\d)|port(?:ing)?\s+\w+\s+(?:\w+\s+)?(?:lines?|numbers?|tns?|dids?))\b|\b(?:tele)?phone\s+numbers?\s*[:=]/i;

/**
 * The line without what is not to be ported: a sentence that says its numbers stay is blanked,
 * and a line that offers a way to reach someone (a signature, a letterhead) gives nothing,
 * unless it also lists numbers to port.
 */
function portableText(line: string): string {
  if (line.length > MAX_LINE_CHARS) return line;
  let text = line;
  if (KEEP_RE.test(text)) {
    // Sentence by sentence: "Please port 0120 and 0124. Please do not port 0125."
    text = text.split(/(?<=[.!?;])\s+/).map((sentence) => (KEEP_RE.test(sentence) ? ' '.repeat(sentence.length) : sentence)).join(' ');
  }
  // A row of a table (cells between TABs) is data: a "Fax" line type is still a number to port.
  if (text.includes('\t')) return text;
  // A contact line is short (a signature, a letterhead); a long line is a paragraph, whose "fax"
  // or "mobile" may be a line to port ("All three numbers go: the main line …, and the fax …").
  const contact = (text.length <= MAX_CONTACT_LINE_CHARS && CONTACT_LINE_RE.test(text)) || FOOTER_LINE_RE.test(text);
  return contact && !PORT_LINE_RE.test(text) ? '' : text;
}

/** A number offered as a way to reach the sender ("Questions? Call our desk at …") is not a DID. */
const CALL_US_BEFORE_RE = /\b(?:call|contact|reach|questions?|dial|phone us|text us)\b[^,;]{0,30}$/i;

/**
 * Where the next labelled field starts on the same line ("PIN: 1234   TN: 206-555-0100"). Each
 * blank run is taken whole (`(?![ \t])`), so a long run is tried once, not once per way of
 * splitting it: the scan stays linear in the length of the line.
 */
const NEXT_FIELD_RE = /(?<![ \t])(?:[ \t]*[|;][ \t]*|[ \t]{2,}|\t[ \t]*)(?![ \t])[A-Za-z][\w #./-]{0,30}[:=]/;

/**
 * The numbers in `text`, in one pass over its lines. Validating a number is the costly step, so
 * the pass stops after MAX_NUMBER_CANDIDATES number-like strings (range members included) or
 * `maxNumbers` valid ones, and says so in `stopped`: a list that long is a project port, and
 * reading the rest would decide nothing more.
 */
export function extractNumbers(text: string, options: ExtractOptions = {}): ExtractedNumbers {
  const maxNumbers = options.maxNumbers ?? MAX_NUMBERS;
  const cutNotes: string[] = [];
  const readable = cutText(text, MAX_TEXT_CHARS, 'the text', cutNotes);
  const seen = new Set<string>();
  const dids: string[] = [];
  const invalidSeen = new Set<string>();
  const invalid: string[] = [];
  let candidates = 0;
  let stopped: string | undefined;
  const full = (): boolean => {
    if (stopped) return true;
    if (dids.length >= maxNumbers) stopped = `stopped reading numbers after ${formatCount(maxNumbers)}`;
    else if (candidates >= MAX_NUMBER_CANDIDATES) stopped = `stopped reading numbers after ${formatCount(MAX_NUMBER_CANDIDATES)} number-like strings`;
    return stopped !== undefined;
  };
  const sink: RangeSink = {
    add: (e164) => {
      candidates += 1;
      if (seen.has(e164)) return;
      seen.add(e164);
      dids.push(e164);
    },
    reject: (raw) => {
      candidates += 1;
      const trimmed = raw.trim();
      if (invalidSeen.has(trimmed)) return;
      invalidSeen.add(trimmed);
      invalid.push(trimmed);
    },
    full,
  };

  lines: for (const whole of readable.split(/\r?\n/)) {
    if (!/\d{3}/.test(whole)) continue;
    const line = portableText(whole);
    const scanned = dropSkippedLabel(line);
    if (!/\d{3}/.test(scanned)) continue;
    NUMBER_RE.lastIndex = 0;
    for (const match of scanned.matchAll(NUMBER_RE)) {
      if (full()) break lines;
      const [whole, first, fullEnd, shortEnd] = match;
      const before = scanned.slice(Math.max(0, match.index - 40), match.index);
      if (LABEL_BEFORE_RE.test(before) || CALL_US_BEFORE_RE.test(before)) continue;
      const start = tenDigits(first ?? '');
      if (!start) continue;
      if (fullEnd === undefined && shortEnd === undefined) {
        const e164 = validate(start);
        if (e164) sink.add(e164);
        else sink.reject(whole);
        continue;
      }
      const end = fullEnd !== undefined ? tenDigits(fullEnd) : start.slice(0, 10 - (shortEnd ?? '').length) + (shortEnd ?? '');
      expandRange(whole, start, end, sink);
    }
  }
  const reason = stopped ?? cutNotes[0];
  return reason ? { dids, invalid, stopped: reason } : { dids, invalid };
}

/** Whether `text` names at least one valid number: the first one found ends the pass. */
export function hasNumbers(text: string): boolean {
  return extractNumbers(text, { maxNumbers: 1 }).dids.length > 0;
}

interface RangeSink {
  add(e164: string): void;
  reject(raw: string): void;
  /** True once a cap is reached: a range stops expanding there. */
  full(): boolean;
}

function dropSkippedLabel(line: string): string {
  const label = SKIPPED_LABEL_RE.exec(line);
  if (!label) return line;
  const rest = line.slice(label[0].length);
  const next = NEXT_FIELD_RE.exec(rest);
  return next ? rest.slice(next.index) : '';
}

function expandRange(whole: string, start: string, end: string | undefined, { add, reject, full }: RangeSink): void {
  if (!end) {
    reject(whole);
    return;
  }
  const first = Number(start);
  const last = Number(end);
  const size = last - first + 1;
  const startE164 = validate(start);
  const endE164 = validate(end);
  if (!startE164 || !endE164 || size < 1 || size > MAX_RANGE_SIZE) {
    reject(whole);
    return;
  }
  const samePrefix = start.slice(0, 6) === end.slice(0, 6);
  for (let n = first; n <= last && !full(); n += 1) {
    const digits = String(n);
    // Inside one NPA-NXX every line number is valid once both ends are; across exchanges check each.
    const e164 = samePrefix ? `+1${digits}` : validate(digits);
    if (e164) add(e164);
  }
}

function tenDigits(text: string): string | undefined {
  const digits = text.replace(/\D/g, '');
  if (digits.length === 10) return digits;
  if (digits.length === 11 && digits.startsWith('1')) return digits.slice(1);
  return undefined;
}

function validate(digits: string): string | undefined {
  return toE164(digits);
}
