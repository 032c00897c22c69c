/** A person's name in its normal form (see ../normalize.ts). */
import { APOSTROPHES, foldLetters, tokenize } from './fold-text.js';

/** Titles written before a name. */
const NAME_PREFIXES = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr']);
/** Generational and professional suffixes written after a name. */
const NAME_SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'esq']);

function isNameAffix(token: string): boolean {
  return NAME_PREFIXES.has(token) || NAME_SUFFIXES.has(token);
}

/**
 * "Smith, John A." → "john smith"; "Dr. Jane Q. Roe Jr" → "jane roe"; "O'Brien" → "obrien".
 *
 * Middle initials (single letters between the first and last word) are dropped; a first or last
 * initial is kept ("J. Smith" ≠ "John Smith" ≠ "K. Smith"), because equating those would approve
 * on a guess. Word order otherwise matters: "Smith John" without a comma stays as written.
 */
export function normalizePersonName(text: string): string {
  // "Last, First" is only recognised from the comma; a part made only of affixes ("Jr.") is not
  // a name part, so "John Smith, Jr." is not read as last name "John Smith".
  const parts = foldLetters(text)
    .split(/[,;]/)
    .map((part) => tokenize(part, APOSTROPHES))
    .filter((tokens) => tokens.length > 0);
  const nameParts = parts.filter((tokens) => !tokens.every(isNameAffix));
  let tokens: string[];
  if (nameParts.length === 2) {
    const [last, first] = nameParts as [string[], string[]];
    tokens = [...first, ...last];
  } else if (nameParts.length === 0) {
    tokens = parts.flat();
  } else {
    tokens = nameParts.flat();
  }

  tokens = stripAffixes(tokens);
  tokens = dropMiddleInitials(tokens);
  return tokens.join(' ');
}

/** Removes leading titles and trailing suffixes, unless nothing would be left. */
function stripAffixes(tokens: string[]): string[] {
  let start = 0;
  let end = tokens.length;
  while (start < end && NAME_PREFIXES.has(tokens[start] as string)) start += 1;
  while (end > start && NAME_SUFFIXES.has(tokens[end - 1] as string)) end -= 1;
  return start < end ? tokens.slice(start, end) : tokens;
}

function dropMiddleInitials(tokens: string[]): string[] {
  if (tokens.length < 3) return tokens;
  const middle = tokens.slice(1, -1).filter((t) => [...t].length > 1);
  return [tokens[0] as string, ...middle, tokens[tokens.length - 1] as string];
}
