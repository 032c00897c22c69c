/**
 * Names in prose: the customer ("for Jane Doe", "customer Jane Doe", "end user: Jane Doe"), the
 * business ("on behalf of Acme Dental LLC", "business name is Acme"), and who authorised the port
 * ("authorized by Jane Doe", "Jane Doe signed the LOA").
 *
 * A name is read only after words that introduce one, never from a bare capitalised pair: mail is
 * full of them (greetings, closings, the sender's own name and title). A person's name is two or
 * three capitalised words, and not a month, a state, a city, a street or a carrier; a company is
 * a phrase with a business word in it (LLC, Inc, Dental…) or one introduced as a business.
 */
import { isKnownCity } from './addresser.js';
import { quote, type ProseSink } from './finding.js';
import { stateCodeOfName } from '../../domain/us-states.js';
import {
  CARRIER_WORDS, COMPANY_CONNECTORS, COMPANY_MARKERS, HONORIFICS, NAME_MONTHS, PARTICLES, STOP_WORDS, STREET_WORDS, wordKey,
} from './words.js';

interface Phrase {
  words: string[];
  start: number;
  end: number;
}

type Role = 'party' | 'company' | 'authorized';

interface Cue {
  re: RegExp;
  role: Role;
  strength: number;
}

/** Each cue is a fixed phrase with bounded optional words: one pass over the sentence each. */
const CUES: readonly Cue[] = [
  { re: /\bfor\b/gi, role: 'party', strength: 1 },
  { re: /\bon behalf of\b/gi, role: 'party', strength: 1 },
  {
    re: /\b(?:end[ -]?user|customer|subscriber|account ?holder)(?:['’]s)?(?: name)?(?: of record)?(?: is| was| will be)?\b/gi,
    role: 'party',
    strength: 2,
  },
  { re: /\b(?:in|under) the name of\b/gi, role: 'party', strength: 2 },
  { re: /\bname on the account(?: is)?\b/gi, role: 'party', strength: 2 },
  { re: /\baccount name(?: is)?\b/gi, role: 'party', strength: 2 },
  { re: /\baccount is (?:under|for)\b/gi, role: 'party', strength: 2 },
  { re: /\b(?:business|company)(?: name)?(?: is)?\b/gi, role: 'company', strength: 3 },
  { re: /\b(?:authori[sz]ed|signed|approved)(?: off)? by\b/gi, role: 'authorized', strength: 2 },
  { re: /\bauthori[sz](?:ed|ing) (?:signer|party|person|name|contact)(?: is)?\b/gi, role: 'authorized', strength: 2 },
];

/** "Jane Doe authorized this port", "Jane Doe signed the LOA": the name is the words before. */
const AUTHORIZED_AFTER_RE =
  /\b(?:has |have )?(?:authori[sz]ed|signed|approved)(?: (?:this|the|our|that|a))? (?:port(?:-out| out)?|porting|request|transfer|loa|letter of authori[sz]ation)\b/gi;

/** A word of a name: letters with apostrophes, hyphens, dots (initials, L.L.C.) and & (AT&T). */
const WORD_RE = /&|[A-Za-z][A-Za-z'’.&-]{0,30}/y;
const MAX_PHRASE_WORDS = 7;
/** Words kept with their period: initials and abbreviated company forms. */
const KEEPS_PERIOD = /^(?:[A-Z]|inc|co|corp|ltd|l\.l\.c|jr|sr)\.$/i;

export function readNames(sentence: string, sink: ProseSink): void {
  for (const cue of CUES) {
    cue.re.lastIndex = 0;
    for (const match of sentence.matchAll(cue.re)) {
      const phrase = readPhrase(sentence, match.index + match[0].length);
      if (phrase) take(sentence, match.index, phrase, cue, sink);
    }
  }
  AUTHORIZED_AFTER_RE.lastIndex = 0;
  for (const match of sentence.matchAll(AUTHORIZED_AFTER_RE)) {
    const name = nameBefore(sentence, match.index);
    if (name) {
      const evidence = sentence.slice(name.start, match.index + match[0].length);
      sink.found({ field: 'authorizedName', value: name.text, evidence, strength: 2 });
    }
  }
}

function take(sentence: string, cueStart: number, phrase: Phrase, cue: Cue, sink: ProseSink): void {
  const evidence = sentence.slice(cueStart, phrase.end);
  const text = sentence.slice(phrase.start, phrase.end);
  const keys = phrase.words.map(wordKey);
  if (keys.some((key) => CARRIER_WORDS.has(key))) {
    if (cue.role !== 'authorized') sink.note(`${quote(evidence)} names a carrier or telephone company: not read as the customer`);
    return;
  }
  const isCompany = cue.role === 'company' || (phrase.words.length >= 2 && keys.some((key) => COMPANY_MARKERS.has(key)));
  if (isCompany) {
    if (keys.every((key) => COMPANY_CONNECTORS.has(key))) return;
    if (cue.role !== 'authorized') sink.found({ field: 'company', value: text, evidence, strength: cue.strength });
    return;
  }
  const person = personName(sentence, phrase);
  if (!person) return;
  const field = cue.role === 'authorized' ? 'authorizedName' : 'name';
  sink.found({ field, value: person, evidence: sentence.slice(cueStart, phrase.start + person.length), strength: cue.strength });
}

/**
 * The capitalised phrase starting at `pos` (after a colon, dash or comma), honorific dropped, cut
 * at the first word that is not part of a name. Undefined when there is none.
 */
function readPhrase(sentence: string, pos: number): Phrase | undefined {
  let i = skipBlanks(sentence, pos);
  if (/[:,\-–—]/.test(sentence[i] ?? '')) i = skipBlanks(sentence, i + 1);
  if (/["“'‘]/.test(sentence[i] ?? '')) i += 1;
  const words: string[] = [];
  const ends: number[] = [];
  let start = i;
  for (let count = 0; count < MAX_PHRASE_WORDS + 1; count += 1) {
    WORD_RE.lastIndex = i;
    const match = WORD_RE.exec(sentence);
    // A word longer than WORD_RE reads is not a name; its first letters are not one either.
    if (!match || /[A-Za-z]/.test(sentence[i + match[0].length] ?? '')) break;
    let word = match[0];
    const possessive = /['’]s$/.test(word);
    if (possessive) word = word.slice(0, -2);
    word = word.replace(/['’-]+$/, '');
    if (word.endsWith('.') && !KEEPS_PERIOD.test(word)) word = word.replace(/\.+$/, '');
    if (!word) break;
    const key = wordKey(word);
    const capital = /^[A-Z]/.test(word);
    if (words.length === 0 && HONORIFICS.has(key) && !possessive) {
      i = skipBlanks(sentence, i + match[0].length);
      start = i;
      continue;
    }
    if (!capital && word !== '&' && !PARTICLES.has(key) && !COMPANY_CONNECTORS.has(key)) break;
    const givenName = NAME_MONTHS.has(key) && words.length === 0 && /^ [A-Z][a-z]/.test(sentence.slice(i + match[0].length, i + match[0].length + 3));
    if (capital && STOP_WORDS.has(key) && !COMPANY_MARKERS.has(key) && !givenName) break;
    if (words.length >= MAX_PHRASE_WORDS) return undefined;
    words.push(word);
    ends.push(i + word.length);
    i += match[0].length;
    if (possessive) break;
    if (sentence[i] === ' ') i += 1;
    else if (sentence.startsWith(', ', i) && COMPANY_MARKERS.has(wordKey(/^[A-Za-z.]{1,12}/.exec(sentence.slice(i + 2, i + 16))?.[0] ?? ''))) i += 2;
    else break;
  }
  // A phrase ends on a capitalised word: "Smith and" is "Smith".
  while (words.length > 0 && !/^[A-Z]/.test(words[words.length - 1] ?? '')) {
    words.pop();
    ends.pop();
  }
  const end = ends[ends.length - 1];
  if (words.length === 0 || end === undefined) return undefined;
  return { words, start, end };
}

/**
 * Two or three capitalised words (initials besides), up to the first connector: "Jane Doe",
 * "Jane Q. Doe", "Ludwig van Beethoven". Undefined for a place, a month, or one word alone.
 */
function personName(sentence: string, phrase: Phrase): string | undefined {
  const words: string[] = [];
  for (const word of phrase.words) {
    if (COMPANY_CONNECTORS.has(wordKey(word)) || word === '&') break;
    words.push(word);
  }
  const full = words.filter((word) => /^[A-Z]/.test(word) && !/^[A-Z]\.$/.test(word));
  if (full.length < 2 || full.length > 3 || words.length > 4) return undefined;
  if (/^[A-Z]\.$/.test(words[words.length - 1] ?? '')) return undefined;
  const keys = words.map(wordKey);
  if (STREET_WORDS.has(keys[keys.length - 1] ?? '')) return undefined;
  const text = words.join(' ');
  const lower = text.toLowerCase();
  if (stateCodeOfName(lower) !== undefined || isKnownCity(text)) return undefined;
  // As written: the words were read from the sentence at phrase.start, single-spaced.
  return sentence.slice(phrase.start, phrase.start + text.length) === text ? text : undefined;
}

/** The person's name just before `index` ("…, Jane Doe authorized…"), read backwards. */
function nameBefore(sentence: string, index: number): { text: string; start: number } | undefined {
  const from = Math.max(0, index - 80);
  const before = sentence.slice(from, index);
  const trimmed = before.trimEnd();
  const tokens = trimmed.split(' ');
  let count = 0;
  let length = 0;
  for (let t = tokens.length - 1; t >= 0 && count < 4; t -= 1) {
    const token = tokens[t] ?? '';
    const particle = PARTICLES.has(token);
    if (!particle && (!/^[A-Z][A-Za-z'’.-]{0,30}$/.test(token) || STOP_WORDS.has(wordKey(token)))) break;
    count += 1;
    length += token.length + (count > 1 ? 1 : 0);
  }
  if (count === 0) return undefined;
  const start = from + trimmed.length - length;
  const phrase = readPhrase(sentence, start);
  if (!phrase || phrase.start !== start) return undefined;
  const keys = phrase.words.map(wordKey);
  if (keys.some((key) => CARRIER_WORDS.has(key) || COMPANY_MARKERS.has(key))) return undefined;
  const text = personName(sentence, phrase);
  return text ? { text, start } : undefined;
}

function skipBlanks(text: string, pos: number): number {
  let i = pos;
  while (i < text.length && i - pos < 3 && text[i] === ' ') i += 1;
  return i;
}
