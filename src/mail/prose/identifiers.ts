/**
 * Identifiers in prose: the account number ("account number is 88812", "acct # 88-812"), the PIN
 * ("her PIN is 4412", "passcode 4412"), the PON ("PON ABC-991", "our order ABC-991") and the BTN
 * ("billing number is (503) 555-0100").
 *
 * Each is the first word after its cue once a few filler words are passed ("number", "is", "#",
 * ":"), so a cue never reaches across the sentence to a value that belongs to something else. A
 * telephone number is never taken for an account number or a PIN: carriers write the customer's
 * numbers in the same sentences, and a PIN is a secret that must match exactly.
 */
import { toE164 } from '../../domain/phone.js';
import { parseRequestedDate } from '../text/dates.js';
import { quote, type ProseSink } from './finding.js';

/** Filler between a cue and its value; at most MAX_FILLERS of them. */
const FILLERS: ReadonlySet<string> = new Set(['number', 'num', 'nbr', 'no', 'id', 'code', 'is', 'was', 'will', 'be', 'of', 'set', 'to', '#', ':', '=', '-', '–']);
const MAX_FILLERS = 4;
const MAX_TOKEN_CHARS = 40;

const ACCOUNT_RE = /\b(?:account|acct|a\/c)(?=[\s#:.]|$)\.?/gi;
const PIN_RE = /\b(?:pin|passcode|pass code|security code)\b/gi;
const PON_RE = /\bpon\b/gi;
const ORDER_RE =
  /\b(?:(?:our|purchase|port|porting|carrier) order(?: (?:reference|ref\.?))?|order (?:number|no\.?|#|id|reference|ref\.?)|(?:port|porting|pon) (?:reference|ref\.?))(?=[\s#:.]|$)/gi;
const REFERENCE_RE = /\b(?:reference|ref\.?)(?: (?:number|no\.?|#))?(?=[\s#:]|$)/gi;
/** What makes a bare reference an order reference, within a few words of it. */
const ORDER_WORDS_RE = /\b(?:order|pon|port request|port-out request|porting request|this port|the port|our port)\b/i;
// Not "main line": in a sentence it names a line to port ("their main line 206-…"), not the BTN.
const BTN_RE = /\b(?:btn|billing (?:telephone |phone )?(?:number|tn|no\.?)|billing telephone|account telephone number)(?=[\s#:.,]|$)/gi;

/** A telephone number as written: 503-555-0123, (503) 555-0123, 503.555.0123, +1 503 555 0123. */
const PHONE_AT_RE = /(?:\+?1[ .-]{0,2})?(?:\(\d{3}\)|\d{3})[ .-]{0,2}\d{3}[ .-]{0,2}\d{4}(?!\d)/y;
const SEPARATED_PHONE_RE = /^(?:\+?1[ .-]{0,2})?(?:\(\d{3}\)|\d{3})(?:[ .-]{1,2}|(?<=\)))\d{3}[ .-]{1,2}\d{4}$/;

interface Token {
  text: string;
  start: number;
}

export function readIdentifiers(sentence: string, sink: ProseSink): void {
  readValues(sentence, ACCOUNT_RE, (value, start, evidence, cueStart) => {
    if (!isIdentifier(value, 3) || isDate(value)) return;
    const phoneEnd = phoneAt(sentence, start);
    if (phoneEnd !== undefined || isPlainPhone(value)) {
      const written = phoneEnd !== undefined ? sentence.slice(cueStart, phoneEnd) : evidence;
      sink.note(`${quote(written)} looks like a telephone number: not read as the account number`);
      return;
    }
    sink.found({ field: 'accountNumber', value, evidence, strength: 2 });
  });

  readValues(sentence, PIN_RE, (value, start, evidence) => {
    const hidden = evidence.slice(0, evidence.length - value.length) + '****';
    if (!/^[A-Za-z0-9]{4,15}$/.test(value) || !/\d/.test(value)) return;
    if (phoneAt(sentence, start) !== undefined || isPlainPhone(value)) {
      sink.note(`${quote(hidden)} looks like a telephone number: not read as the PIN`);
      return;
    }
    sink.found({ field: 'pin', value, evidence: hidden, strength: 2 });
  });

  readValues(sentence, PON_RE, (value, _start, evidence) => {
    if (isIdentifier(value, 2)) sink.found({ field: 'pon', value, evidence, strength: 3 });
  });

  readValues(sentence, ORDER_RE, (value, start, evidence) => {
    if (!isIdentifier(value, 2) || isDate(value) || phoneAt(sentence, start) !== undefined) return;
    sink.found({ field: 'pon', value, evidence, strength: 2 });
  });

  readValues(sentence, REFERENCE_RE, (value, start, evidence, cueStart) => {
    if (!isIdentifier(value, 2) || isDate(value) || phoneAt(sentence, start) !== undefined) return;
    if (/\b(?:order|port|porting|pon)\s{0,3}$/i.test(sentence.slice(Math.max(0, cueStart - 12), cueStart))) return;
    const around = sentence.slice(Math.max(0, cueStart - 40), start + value.length + 40);
    if (!ORDER_WORDS_RE.test(around)) {
      sink.note(`${quote(evidence)} is not said to be an order reference: not read as the PON`);
      return;
    }
    sink.found({ field: 'pon', value, evidence, strength: 1 });
  });

  BTN_RE.lastIndex = 0;
  for (const match of sentence.matchAll(BTN_RE)) {
    const cueEnd = match.index + match[0].length;
    const start = valueStart(sentence, cueEnd);
    if (start === undefined) continue;
    PHONE_AT_RE.lastIndex = start;
    const phone = PHONE_AT_RE.exec(sentence);
    if (phone) sink.found({ field: 'btn', value: phone[0], evidence: sentence.slice(match.index, start + phone[0].length), strength: 2 });
  }
}

type Accept = (value: string, start: number, evidence: string, cueStart: number) => void;

function readValues(sentence: string, cue: RegExp, accept: Accept): void {
  cue.lastIndex = 0;
  for (const match of sentence.matchAll(cue)) {
    const start = valueStart(sentence, match.index + match[0].length);
    if (start === undefined) continue;
    const token = tokenAt(sentence, start);
    if (!token) continue;
    const value = cleanValue(token.text);
    if (!value) continue;
    // `start` is where the word starts as written, so "(503) 555-0187" is seen whole as a phone.
    const offset = token.text.indexOf(value);
    accept(value, token.start, sentence.slice(match.index, token.start + offset + value.length), match.index);
  }
}

/** Where the value after a cue starts: past up to MAX_FILLERS filler words. */
function valueStart(sentence: string, cueEnd: number): number | undefined {
  let pos = cueEnd;
  for (let fillers = 0; fillers <= MAX_FILLERS; fillers += 1) {
    const token = tokenAt(sentence, pos);
    if (!token) return undefined;
    const key = token.text.toLowerCase().replace(/[:.#=]+$/, '');
    if (!FILLERS.has(key) && !FILLERS.has(token.text) && key !== '') return token.start;
    pos = token.start + token.text.length;
  }
  return undefined;
}

/** The next blank-separated word from `pos`, at most a few blanks away and MAX_TOKEN_CHARS long. */
function tokenAt(sentence: string, pos: number): Token | undefined {
  let start = pos;
  while (start < sentence.length && start - pos < 3 && sentence[start] === ' ') start += 1;
  if (start >= sentence.length || sentence[start] === ' ') return undefined;
  let end = start;
  while (end < sentence.length && sentence[end] !== ' ' && end - start <= MAX_TOKEN_CHARS) end += 1;
  if (end - start > MAX_TOKEN_CHARS) return undefined;
  return { text: sentence.slice(start, end), start };
}

/** "#88812," → "88812": marks before, punctuation after. */
function cleanValue(token: string): string {
  return token.replace(/^[#:=("'“‘]+/, '').replace(/[.,;:!?)"'”’\]]+$/, '');
}

/** Letters, digits and dashes, with a digit, at least `min` long: "88812", "88-812", "ABC-991". */
function isIdentifier(value: string, min: number): boolean {
  return value.length >= min && value.length <= 30 && /^[A-Za-z0-9][A-Za-z0-9/_-]*$/.test(value) && /\d/.test(value);
}

function isDate(value: string): boolean {
  return /[-/.]/.test(value) && parseRequestedDate(value) !== undefined;
}

/** Where a telephone number written at `start` ends (with separators, or split by blanks). */
function phoneAt(sentence: string, start: number): number | undefined {
  PHONE_AT_RE.lastIndex = start;
  const match = PHONE_AT_RE.exec(sentence);
  if (!match || !(SEPARATED_PHONE_RE.test(match[0]) || isPlainPhone(match[0]))) return undefined;
  return start + match[0].length;
}

/** Ten digits (eleven with the 1) that make a valid US number: 5035550123. */
function isPlainPhone(value: string): boolean {
  return /^1?\d{10}$/.test(value) && toE164(value) !== undefined;
}

