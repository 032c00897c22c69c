/**
 * Identifiers in prose: the account number ("account number is 88812", "acct # 88-812"), the PIN
 * ("her PIN is 4412", "passcode 4412"), the PON ("PON ABC-991", "our order ABC-991") and the BTN
 * ("billing number is (503) 555-0100").
 *
 * Each is the first word after its cue once a few filler words are passed ("number", "is", "#",
 * ":", ","), so a cue never reaches across the sentence to a value that belongs to something else.
 * Where a few plain words stand between the cue and an "is" ("account number with you is 88812",
 * "the PIN on file is 4412", "the billing number on the account is …"), the value is the word
 * after that "is". An account number written in groups of digits ("2207 4419 0032") is read
 * whole. A telephone number is never taken for an account number or a PIN: carriers write the
 * customer's numbers in the same sentences, and a PIN is a secret that must match exactly.
 */
import { toE164 } from '../../domain/phone.js';
import { parseRequestedDate } from '../text/dates.js';
import { quote, type ProseSink } from './finding.js';

/** Filler between a cue and its value; at most MAX_FILLERS of them. */
const FILLERS: ReadonlySet<string> = new Set(['number', 'num', 'nbr', 'no', 'id', 'code', 'is', 'was', 'will', 'be', 'of', 'set', 'to', '#', ':', '=', '-', '–', ',']);
const MAX_FILLERS = 4;
const MAX_TOKEN_CHARS = 40;

/**
 * Plain words between a cue and its "is": "with you", "on file", "on their current bill", "they
 * gave us", "for this request". At most MAX_ASIDE_WORDS of them, none of them a cue of another
 * field or a conjunction ("account and PIN are …" gives neither).
 */
const ASIDE_WORD_RE = /^[A-Za-z][A-Za-z'’-]{0,19}$/;
const ASIDE_STOPS: ReadonlySet<string> = new Set([
  'pin', 'pins', 'passcode', 'password', 'pon', 'btn', 'and', 'or', 'but', 'not', 'no', 'yet',
]);
const ASIDE_VERBS: ReadonlySet<string> = new Set(['is', 'was', 'are', 'reads']);
const MAX_ASIDE_WORDS = 6;

/**
 * "the PIN on the account is 2417", "the PIN for the account with you is 2417": "account" names
 * what the PIN belongs to; its "is" is the PIN's. Only "for the account 88812" reads an account.
 */
const ACCOUNT_AS_OWNER_RE = /\b(?:on|for|of|under|with|to|from) (?:the|this|that|their|his|her|your|our|its|my) $/i;
/** Groups after the first of an account number written in groups ("2207 4419 0032"). */
const MAX_MORE_GROUPS = 4;
const FIRST_GROUP_RE = /^\d{2,6}$/;
const NEXT_GROUP_RE = /^\d{3,6}$/;

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
    const said = evidence.slice(0, evidence.length - value.length);
    if (ACCOUNT_AS_OWNER_RE.test(sentence.slice(Math.max(0, cueStart - 20), cueStart)) && /\b(?:is|was|are)\b/i.test(said)) return;
    const grouped = moreGroups(sentence, start, value);
    if (!isIdentifier(grouped?.replace(/ /g, '') ?? value, 3) || isDate(value)) return;
    const phoneEnd = phoneAt(sentence, start);
    if (phoneEnd !== undefined || isPlainPhone(value)) {
      const written = phoneEnd !== undefined ? sentence.slice(cueStart, phoneEnd) : evidence;
      sink.note(`${quote(written)} looks like a telephone number: not read as the account number`);
      return;
    }
    if (grouped) sink.found({ field: 'accountNumber', value: grouped, evidence: sentence.slice(cueStart, start + grouped.length), strength: 2 });
    else sink.found({ field: 'accountNumber', value, evidence, strength: 2 });
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
    for (const start of [valueStart(sentence, cueEnd), asideStart(sentence, cueEnd)]) {
      if (start === undefined) continue;
      PHONE_AT_RE.lastIndex = start;
      const phone = PHONE_AT_RE.exec(sentence);
      if (!phone) continue;
      sink.found({ field: 'btn', value: phone[0], evidence: sentence.slice(match.index, start + phone[0].length), strength: 2 });
      break;
    }
  }
}

type Accept = (value: string, start: number, evidence: string, cueStart: number) => void;

function readValues(sentence: string, cue: RegExp, accept: Accept): void {
  cue.lastIndex = 0;
  for (const match of sentence.matchAll(cue)) {
    const cueEnd = match.index + match[0].length;
    let start = valueStart(sentence, cueEnd);
    if (start === undefined) continue;
    let token = tokenAt(sentence, start);
    if (!token) continue;
    // A plain word where the value should be: perhaps an aside before an "is" ("PIN on file is").
    if (!/\d/.test(token.text)) {
      start = asideStart(sentence, cueEnd);
      token = start === undefined ? undefined : tokenAt(sentence, start);
      if (!token) continue;
    }
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

/**
 * Where the value starts after a few plain words and an "is": "account number with you is 88812",
 * "PIN they gave us is 4412". Undefined when no "is" comes within MAX_ASIDE_WORDS plain words.
 */
function asideStart(sentence: string, cueEnd: number): number | undefined {
  let pos = cueEnd;
  for (let words = 0; words <= MAX_ASIDE_WORDS; words += 1) {
    const token = tokenAt(sentence, pos);
    if (!token) return undefined;
    const key = token.text.toLowerCase();
    pos = token.start + token.text.length;
    if (ASIDE_VERBS.has(key)) return words === 0 ? undefined : valueStart(sentence, pos);
    if (words === MAX_ASIDE_WORDS) return undefined;
    if (key.endsWith(':') && ASIDE_WORD_RE.test(token.text.slice(0, -1)) && words > 0) return valueStart(sentence, pos);
    if (!ASIDE_WORD_RE.test(token.text) || ASIDE_STOPS.has(key)) return undefined;
  }
  return undefined;
}

/**
 * "2207 4419 0032": the groups of digits after the first one, joined as written with single
 * blanks; undefined when `value` is not such a group or none follows. A group that starts a
 * telephone number ("account 88812 503 555 0100") is not taken.
 */
function moreGroups(sentence: string, start: number, value: string): string | undefined {
  if (!FIRST_GROUP_RE.test(value) || sentence.slice(start, start + value.length) !== value) return undefined;
  let end = start + value.length;
  let groups = 0;
  while (groups < MAX_MORE_GROUPS && sentence[end] === ' ') {
    const token = tokenAt(sentence, end);
    if (!token || token.start !== end + 1) break;
    const group = cleanValue(token.text);
    if (!NEXT_GROUP_RE.test(group) || !token.text.startsWith(group) || phoneAt(sentence, token.start) !== undefined) break;
    end = token.start + group.length;
    groups += 1;
    if (group !== token.text) break;
  }
  return groups > 0 ? sentence.slice(start, end) : undefined;
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

