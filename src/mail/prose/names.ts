/**
 * Names in prose: the customer ("for Jane Doe", "customer Jane Doe", "end user: Jane Doe"), the
 * business ("on behalf of Acme Dental LLC", "business name is Acme", "owner of Acme Dental LLC"),
 * and who authorised the port ("authorized by Jane Doe", "Jane Doe signed the LOA", "signed by the
 * owner, Jane Doe", "The owner, Jane Doe, signed…", "Jane Doe, the owner, signed…", "I, Jane Doe,
 * authorize…"). "He signed the LOA" names no one: the reading says so (ProseSink.signedByCustomer)
 * and read-prose.ts takes the customer's name when that is a person's.
 *
 * A name is read only after words that introduce one, never from a bare capitalised pair: mail is
 * full of them (greetings, closings, the sender's own name and title). A person's name is two or
 * three capitalised words, and not a month, a state, a city, a street or a carrier; a company is
 * a phrase with a business word in it (LLC, Inc, Dental…), or names joined by "&" ("Chen & Park
 * CPAs"), or one introduced as a business.
 *
 * A sentence written all in lower case ("for our client marco bellini.") is read with its words
 * capitalised, by the cues that say outright that a name follows, and a name read so must end the
 * phrase and be made of no common word; it is kept in lower case, as written.
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

/** A 'business' cue ("owner of …") reads only a phrase that is a company by its words. */
type Role = 'party' | 'company' | 'business' | 'authorized';

interface Cue {
  re: RegExp;
  role: Role;
  strength: number;
  /** Read in a sentence written all in lower case: the cue says outright that a name follows. */
  lower?: boolean;
}

/** Who signs for a customer: "owner", "co-owner", "office manager", "account holder", "CEO". */
const ROLE = String.raw`(?:(?:co-?|vice |managing |general |office |practice |senior |account ?)?(?:owner|proprietor|president|founder|partner|principal|director|manager|administrator|holder|officer|controller|treasurer|member)|ceo|cfo|coo|subscriber|customer|client|end[ -]?user)`;
/** A role held in a business, before the business: "managing partner of", "the owner at". */
const BUSINESS_ROLE = String.raw`(?:(?:co-?|vice |managing |general |office |practice |senior )?(?:owner|proprietor|president|founder|partner|principal|director|manager|administrator|officer|controller|treasurer|member)|ceo|cfo|coo)`;
const DETERMINER = String.raw`(?:the|their|its|our|his|her|your|my)`;

/** Each cue is a fixed phrase with bounded optional words: one pass over the sentence each. */
const CUES: readonly Cue[] = [
  { re: /\bfor\b/gi, role: 'party', strength: 1 },
  { re: /\bon behalf of\b/gi, role: 'party', strength: 1 },
  {
    re: /\b(?:end[ -]?user|customer|client|subscriber|account ?holder)(?:['’]s)?(?: name)?(?: of record)?(?: is| was| will be)?\b/gi,
    role: 'party',
    strength: 2,
    lower: true,
  },
  { re: /\b(?:in|under) the name of\b/gi, role: 'party', strength: 2, lower: true },
  { re: /\bname on the account(?: is)?\b/gi, role: 'party', strength: 2, lower: true },
  { re: /\baccount name(?: is)?\b/gi, role: 'party', strength: 2, lower: true },
  { re: /\baccount is (?:under|for)\b/gi, role: 'party', strength: 2, lower: true },
  // "business name is", "company: …"; not a bare "business" ("X Business  Residential" on a form).
  { re: /\b(?:business|company)(?:(?: name)?(?: is)?\b(?=\s?[:–-])| name(?: is)?\b| is\b)/gi, role: 'company', strength: 3, lower: true },
  { re: new RegExp(String.raw`\b${BUSINESS_ROLE} (?:of|at)\b`, 'gi'), role: 'business', strength: 1 },
  {
    // "signed by the owner, Jane Doe", "authorized by their office manager Jane Doe"
    re: new RegExp(String.raw`\b(?:authori[sz]ed|signed|approved)(?: off)? by(?: ${DETERMINER} ${ROLE}(?: of (?:the|this|that) (?:business|company|account|practice|firm))?)?\b`, 'gi'),
    role: 'authorized',
    strength: 2,
    lower: true,
  },
  { re: /\bauthori[sz](?:ed|ing) (?:signer|party|person|name|contact)(?: is)?\b/gi, role: 'authorized', strength: 2, lower: true },
];

/** "Jane Doe authorized this port", "Jane Doe signed the LOA": the name is the words before. */
const AUTHORIZED_AFTER_RE =
  /\b(?:has |have )?(?:authori[sz]ed|signed|approved)(?: (?:this|the|our|that|a|an|his|her|their|its))? (?:port(?:-out| out)?|porting|request|transfer|loa|letter of authori[sz]ation|authori[sz]ation)\b/gi;
/** "Jane Doe, the owner, signed…": the role set off by commas just before the verb. */
const ROLE_BETWEEN_COMMAS_RE = new RegExp(String.raw`, ${DETERMINER} ${ROLE}(?: of [A-Za-z&'’. -]{1,40})?, $`, 'i');
/** "The owner, Jane Doe, signed…": the role just before the name's comma. */
const ROLE_BEFORE_RE = new RegExp(String.raw`\b${ROLE}, $`, 'i');
/** "He signed the LOA", "our customer signed…": the customer, not named in the sentence. */
const CUSTOMER_PRONOUN_RE = /(?:^|[ ,;(])(?:he|she|(?:the|our|their) (?:customer|client|subscriber|account ?holder|end[ -]?user))(?: also| then| has| had| already){0,2} $/i;
/** Words that end a signer's name read backwards ("client Mark Jones signed"): they say who signs. */
const ROLE_WORDS: ReadonlySet<string> = new Set(['client', 'clients', 'owner', 'co-owner', 'subscriber']);
/** In lower-case mail a signer's name stands after a role word ("owner", "client") or a comma. */
const LOWER_SIGNER_BEFORE_RE = new RegExp(String.raw`(?:[,;:(] ?|\b${ROLE} )$`, 'i');
/** "I, Jane Doe, [owner of Acme LLC,] hereby authorize…", the way a letter of authorization opens. */
const FIRST_PERSON_RE = /\bI, (?=[A-Z])/g;
const FIRST_PERSON_TAIL_RE = /^,(?: [^,]{1,100},)? (?:do )?(?:hereby )?authori[sz]e\b/i;

/**
 * Words that follow "customer" or "client" in lower-case mail and are no name ("our client needs
 * help", "customer moved here"): a lower-case name with one of them is not read.
 */
const NOT_NAME_WORDS: ReadonlySet<string> = new Set([
  'needs', 'need', 'wants', 'want', 'asked', 'asks', 'called', 'calls', 'moved', 'moves', 'moving', 'said', 'says',
  'signed', 'signs', 'just', 'also', 'still', 'now', 'here', 'there', 'already', 'recently', 'currently', 'had', 'gave',
  'gives', 'got', 'gets', 'left', 'leaves', 'leaving', 'owns', 'wrote', 'writes', 'sent', 'sends', 'uses', 'lives',
  'works', 'paid', 'pays', 'plans', 'expects', 'agreed', 'agrees', 'confirmed', 'confirms', 'requested', 'requests',
  'approved', 'authorized', 'authorised', 'switched', 'switching', 'porting', 'ported', 'ports', 'transferring', 'keeps',
  'kept', 'went', 'goes', 'going', 'came', 'comes', 'coming', 'knows', 'told', 'tells', 'should', 'could',
  'must', 'may', 'might', 'does', 'did', 'done', 'info', 'information', 'details', 'data', 'record', 'records', 'list',
  'name', 'names', 'who', 'which', 'whose', 'what', 'when', 'where', 'why', 'how', 'each', 'all', 'both', 'any',
  'some', 'every', 'only', 'first', 'last', 'next', 'new', 'old', 'main', 'own', 'other', 'another', 'same',
]);

/** A word of a name: letters with apostrophes, hyphens, dots (initials, L.L.C.) and & (AT&T). */
const WORD_RE = /&|[A-Za-z][A-Za-z'’.&-]{0,30}/y;
const MAX_PHRASE_WORDS = 7;
/** Words kept with their period: initials and abbreviated company forms. */
const KEEPS_PERIOD = /^(?:[A-Z]|inc|co|corp|ltd|l\.l\.c|jr|sr|bros)\.$/i;
/** How far before "signed" the words about the signer are looked for. */
const SIGNER_WINDOW_CHARS = 100;

export function readNames(sentence: string, sink: ProseSink): void {
  if (/[A-Z]/.test(sentence) || !/[a-z]/.test(sentence)) {
    readCased(sentence, sink, false);
    return;
  }
  // All in lower case: read with every word capitalised (same length, so the same places), and
  // hand back what was read in lower case, as the sender wrote it.
  const capitalised = sentence.replace(/\b[a-z]/g, (letter) => letter.toUpperCase());
  readCased(capitalised, {
    found: (finding) => sink.found({ ...finding, value: finding.value.toLowerCase(), evidence: finding.evidence.toLowerCase() }),
    note: (text) => sink.note(text.toLowerCase()),
    signedByCustomer: (evidence) => sink.signedByCustomer?.(evidence.toLowerCase()),
  }, true);
}

function readCased(sentence: string, sink: ProseSink, lower: boolean): void {
  for (const cue of CUES) {
    if (lower && !cue.lower) continue;
    cue.re.lastIndex = 0;
    for (const match of sentence.matchAll(cue.re)) {
      if (!lower && insideName(sentence, match, cue.role)) continue;
      const phrase = readPhrase(sentence, match.index + match[0].length);
      if (phrase) take(sentence, match, phrase, cue, sink, lower);
    }
  }
  AUTHORIZED_AFTER_RE.lastIndex = 0;
  for (const match of sentence.matchAll(AUTHORIZED_AFTER_RE)) {
    const end = match.index + match[0].length;
    const name = signerBefore(sentence, match.index);
    if (name && (!lower || plainLowerSigner(sentence, name))) {
      sink.found({ field: 'authorizedName', value: name.text, evidence: sentence.slice(name.from, end), strength: 2 });
      continue;
    }
    const before = sentence.slice(Math.max(0, match.index - SIGNER_WINDOW_CHARS), match.index);
    const pronoun = CUSTOMER_PRONOUN_RE.exec(before);
    if (pronoun) {
      const start = match.index - before.length + pronoun.index + (/^[ ,;(]/.test(pronoun[0]) ? 1 : 0);
      sink.signedByCustomer?.(sentence.slice(start, end));
    }
  }
  if (lower) return;
  FIRST_PERSON_RE.lastIndex = 0;
  for (const match of sentence.matchAll(FIRST_PERSON_RE)) {
    const phrase = readPhrase(sentence, match.index + match[0].length);
    const person = phrase ? personName(sentence, phrase) : undefined;
    if (!phrase || !person) continue;
    const after = sentence.slice(phrase.start + person.length, phrase.start + person.length + 140);
    const tail = FIRST_PERSON_TAIL_RE.exec(after);
    if (!tail) continue;
    const evidence = sentence.slice(match.index, phrase.start + person.length + tail[0].length);
    sink.found({ field: 'authorizedName', value: person, evidence, strength: 2 });
  }
}

/**
 * Who signed, from the words before "signed the LOA": "Jane Doe signed", "The owner, Jane Doe,
 * signed", "Jane Doe, the owner, signed". The name set off by commas must be the whole of what
 * stands between them, after a word that says who signs ("owner", "customer").
 */
function signerBefore(sentence: string, index: number): { text: string; start: number; from: number } | undefined {
  const plain = nameBefore(sentence, index);
  if (plain) return { ...plain, from: plain.start };
  const before = sentence.slice(Math.max(0, index - SIGNER_WINDOW_CHARS), index);
  const role = ROLE_BETWEEN_COMMAS_RE.exec(before);
  if (role) {
    const name = nameBefore(sentence, index - before.length + role.index);
    return name ? { ...name, from: name.start } : undefined;
  }
  if (!before.endsWith(', ')) return undefined;
  const name = nameBefore(sentence, index - 2);
  if (!name || name.start + name.text.length !== index - 2) return undefined;
  const head = sentence.slice(Math.max(0, name.start - 40), name.start);
  const said = ROLE_BEFORE_RE.exec(head);
  return said ? { ...name, from: name.start - head.length + said.index } : undefined;
}

function take(sentence: string, match: RegExpExecArray, phrase: Phrase, cue: Cue, sink: ProseSink, lower: boolean): void {
  const cueStart = match.index;
  const evidence = sentence.slice(cueStart, phrase.end);
  const text = sentence.slice(phrase.start, phrase.end);
  const keys = phrase.words.map(wordKey);
  if (keys.some((key) => CARRIER_WORDS.has(key))) {
    if (cue.role !== 'authorized' && cue.role !== 'business') sink.note(`${quote(evidence)} names a carrier or telephone company: not read as the customer`);
    return;
  }
  const businessWords = (phrase.words.length >= 2 && keys.some((key) => COMPANY_MARKERS.has(key))) || joinedByAmpersand(phrase.words);
  if (cue.role === 'company' || businessWords) {
    if (keys.every((key) => COMPANY_CONNECTORS.has(key))) return;
    if (cue.role === 'authorized') return;
    if (!lower) {
      sink.found({ field: 'company', value: text, evidence, strength: cue.strength });
      return;
    }
    const company = lowerCaseCompany(sentence, cueStart, phrase, text);
    if (company) sink.found({ field: 'company', value: company, evidence: sentence.slice(cueStart, phrase.start + company.length), strength: cue.strength });
    return;
  }
  if (cue.role === 'business') return;
  const person = personName(sentence, phrase);
  if (!person || (lower && !plainInLowerCase(sentence, phrase.start, person))) return;
  const field = cue.role === 'authorized' ? 'authorizedName' : 'name';
  sink.found({ field, value: person, evidence: sentence.slice(cueStart, phrase.start + person.length), strength: cue.strength });
}

/** A signer read from lower-case mail: after a role word or a comma, and made of no common word. */
function plainLowerSigner(sentence: string, name: { text: string; start: number }): boolean {
  if (name.start === 0 || !LOWER_SIGNER_BEFORE_RE.test(sentence.slice(Math.max(0, name.start - 40), name.start))) return false;
  return name.text.split(' ').every((word) => !NOT_NAME_WORDS.has(wordKey(word)));
}

/**
 * A cue word written with a capital right after "for", "of", "&" or another capitalised word is
 * part of a name ("for Client Services Group LLC"), not a cue.
 */
function insideName(sentence: string, match: RegExpExecArray, role: Role): boolean {
  if (role !== 'party' || !/^[A-Z]/.test(match[0])) return false;
  const before = sentence.slice(Math.max(0, match.index - 30), match.index);
  const previous = /(?:^|\s)(\S{1,25}) $/.exec(before)?.[1] ?? '';
  if (/^(?:for|of|and|&)$/i.test(previous)) return true;
  if (/^(?:the|a|an|my)$/i.test(previous)) return false;
  return /^[A-Z]/.test(previous) && !STOP_WORDS.has(wordKey(previous)) && !/[.!?:,;]$/.test(previous);
}

/**
 * A business in lower-case mail, where capitals do not say where its name ends: up to its last
 * business word ("acme dental llc wants…" is "acme dental llc"); without one, a name that ends
 * the phrase after "business name" or a colon ("business name: blue heron cafe."), or joined by
 * "&" ("smith & jones."). "the company is closing" names nothing.
 */
function lowerCaseCompany(sentence: string, cueStart: number, phrase: Phrase, text: string): string | undefined {
  const keys = phrase.words.map(wordKey);
  let last = -1;
  for (let i = 0; i < keys.length; i += 1) if (COMPANY_MARKERS.has(keys[i] ?? '')) last = i;
  if (last >= 1) {
    const cut = phrase.words.slice(0, last + 1).join(' ');
    return text.startsWith(cut) ? cut : undefined;
  }
  if (!plainInLowerCase(sentence, phrase.start, text)) return undefined;
  return joinedByAmpersand(phrase.words) || /name|:/i.test(sentence.slice(cueStart, phrase.start)) ? text : undefined;
}

/** "Chen & Park CPAs", "Hollyhock & Thyme Tea Room": capitalised words on both sides of an "&". */
function joinedByAmpersand(words: readonly string[]): boolean {
  const at = words.indexOf('&');
  return at > 0 && at < words.length - 1 && /^[A-Z]/.test(words[at - 1] ?? '') && /^[A-Z]/.test(words[at + 1] ?? '');
}

/**
 * A name read from a lower-case sentence (capitalised for reading) ends its phrase — at the end,
 * at punctuation, at a number or at a word that ends names — and none of its words is a common one.
 */
function plainInLowerCase(sentence: string, start: number, name: string): boolean {
  if (name.split(' ').some((word) => NOT_NAME_WORDS.has(wordKey(word)))) return false;
  const rest = sentence.slice(start + name.length, start + name.length + 40);
  if (rest === '' || /^[.,;:!?)]/.test(rest) || /^ [\d(+#]/.test(rest)) return true;
  const next = /^ ([A-Za-z]{1,30})/.exec(rest)?.[1];
  return next !== undefined && STOP_WORDS.has(next.toLowerCase());
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
    if (!particle && (!/^[A-Z][A-Za-z'’.-]{0,30}$/.test(token) || STOP_WORDS.has(wordKey(token)) || ROLE_WORDS.has(wordKey(token)))) break;
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
