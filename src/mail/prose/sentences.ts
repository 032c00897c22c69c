/**
 * Running text to sentences, for the prose reader. Mail wraps sentences across lines and writes
 * greetings, closings and signatures on lines of their own, so a line break joins two lines only
 * when the first is long enough to have been wrapped; a blank line, a bullet or a short line ends
 * what came before. Reading stops at a closing ("Thanks, Bob") or a signature delimiter: what
 * follows is the sender's own name and address, never the customer's.
 *
 * Linear: every character is looked at a bounded number of times, a sentence longer than
 * maxChars is read in pieces, and splitting stops after maxSentences.
 */

export interface Sentences {
  sentences: string[];
  notes: string[];
}

/** A line at least this long may have been wrapped; a shorter one ("Hi team,") ends where it ends. */
const WRAPPED_LINE_CHARS = 50;
/** Closings are short; a longer line that starts with "Thanks" is a sentence. */
const MAX_SIGN_OFF_CHARS = 60;

/** Words a period follows without ending the sentence ("12 Oak St. Portland", "acct no. 88"). */
const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'st', 'ave', 'av', 'rd', 'dr', 'blvd', 'ln', 'ct', 'pl', 'hwy', 'pkwy', 'cir', 'ter', 'mr', 'mrs', 'ms', 'mx', 'jr',
  'sr', 'inc', 'co', 'corp', 'ltd', 'no', 'nos', 'acct', 'apt', 'ste', 'bldg', 'fl', 'vs', 'mt', 'ft', 'dept', 'tel',
  'ext', 'ref', 'approx', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'mon',
  'tue', 'tues', 'wed', 'thu', 'thurs', 'fri', 'sat', 'sun', 'ne', 'nw', 'se', 'sw', 'prof', 'llc', 'bros',
]);

/** Longest first, so "thank you" is tried before "thanks" would fail on it. */
const CLOSINGS = [
  'yours truly', 'best regards', 'kind regards', 'warm regards', 'many thanks', 'respectfully', 'thank you', 'sincerely',
  'cordially', 'regards', 'cheers', 'thanks', 'best', 'thx',
];
/** What may follow a closing on its line: punctuation and the sender's name, capitalised. */
const AFTER_CLOSING_RE = /^[ \t]{0,3}[,.!]?[ \t]{0,3}(?:[A-Z][A-Za-z'’.-]{0,30}(?: [A-Z][A-Za-z'’.-]{0,30}){0,2}[ \t]{0,3}[,.!]?)?$/;
const BULLET_RE = /^(?:[-*•>]|\d{1,2}[.)])[ \t]/;

export function splitSentences(text: string, maxSentences: number, maxChars: number): Sentences {
  const sentences: string[] = [];
  const notes: string[] = [];
  let pieced = false;

  const emit = (raw: string): void => {
    const sentence = raw.replace(/\s+/g, ' ').trim();
    if (!sentence) return;
    if (sentence.length <= maxChars) {
      if (sentences.length < maxSentences) sentences.push(sentence);
      return;
    }
    if (!pieced) notes.push(`a sentence of ${sentence.length.toLocaleString('en-US')} characters was read in pieces`);
    pieced = true;
    for (let pos = 0; pos < sentence.length && sentences.length < maxSentences; ) {
      let end = Math.min(sentence.length, pos + maxChars);
      if (end < sentence.length) {
        // Cut at a blank in the second half of the piece, so a word is not split; the search is
        // bounded by the piece, not by the whole sentence.
        const half = pos + Math.floor(maxChars / 2);
        const space = sentence.slice(half, end).lastIndexOf(' ');
        if (space >= 0) end = half + space;
      }
      const piece = sentence.slice(pos, end).trim();
      if (piece) sentences.push(piece);
      pos = end;
    }
  };

  const splitParagraph = (paragraph: string): void => {
    let start = 0;
    for (let i = 0; i < paragraph.length && sentences.length < maxSentences; i += 1) {
      const c = paragraph[i];
      if (c !== '.' && c !== '!' && c !== '?') continue;
      let j = i + 1;
      while (j < paragraph.length && /["'”’)]/.test(paragraph[j] ?? '')) j += 1;
      if (j < paragraph.length && paragraph[j] !== ' ') continue;
      if (c === '.' && isAbbreviation(paragraph, i)) continue;
      let k = j;
      while (k < paragraph.length && paragraph[k] === ' ') k += 1;
      if (k < paragraph.length && /[a-z]/.test(paragraph[k] ?? '')) continue;
      emit(paragraph.slice(start, j));
      start = j;
      i = j - 1;
    }
    if (sentences.length < maxSentences) emit(paragraph.slice(start));
  };

  let paragraph = '';
  let previousShort = false;
  const flush = (): void => {
    if (paragraph) splitParagraph(paragraph);
    paragraph = '';
  };
  for (const rawLine of text.split('\n')) {
    if (sentences.length >= maxSentences) break;
    const line = rawLine.replace(/[\t\r\f\v]/g, ' ').trim();
    if (!line) {
      flush();
      continue;
    }
    if (/^(?:--|__|—)[ -]?$/.test(line)) {
      notes.push('prose read up to the signature delimiter');
      break;
    }
    const closing = signOff(line);
    if (closing) {
      notes.push(`prose read up to the sign-off '${closing}'`);
      break;
    }
    if (paragraph && (previousShort || BULLET_RE.test(line))) flush();
    paragraph = paragraph ? `${paragraph} ${line}` : line;
    previousShort = line.length < WRAPPED_LINE_CHARS;
  }
  flush();
  if (sentences.length >= maxSentences) notes.push(`stopped reading prose after ${maxSentences.toLocaleString('en-US')} sentences`);
  return { sentences, notes };
}

/** The period at `dot` follows an abbreviation or an initial ("J. Doe"), not a sentence's end. */
function isAbbreviation(text: string, dot: number): boolean {
  let start = dot;
  while (start > 0 && dot - start < 8 && /[A-Za-z]/.test(text[start - 1] ?? '')) start -= 1;
  const word = text.slice(start, dot);
  if (word.length === 0) return false;
  if (word.length === 1) return true;
  return ABBREVIATIONS.has(word.toLowerCase());
}

/** "Thanks,", "Best regards, Bob Smith", "Thank you!": the closing as written, else undefined. */
function signOff(line: string): string | undefined {
  if (line.length > MAX_SIGN_OFF_CHARS) return undefined;
  const lower = line.toLowerCase();
  for (const closing of CLOSINGS) {
    if (!lower.startsWith(closing) || /[a-z]/i.test(line[closing.length] ?? '')) continue;
    return AFTER_CLOSING_RE.test(line.slice(closing.length)) ? line : undefined;
  }
  return undefined;
}
