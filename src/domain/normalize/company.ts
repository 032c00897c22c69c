/** A company's name in its normal form (see ../normalize.ts). */
import { tokenize } from './fold-text.js';

/** Legal-form words that do not distinguish one business from another. */
const COMPANY_SUFFIXES = new Set([
  'inc',
  'incorporated',
  'llc',
  'corp',
  'corporation',
  'ltd',
  'limited',
  'co',
  'company',
  'llp',
  'pllc',
  'pc',
  'lp',
  'plc',
]);

/**
 * "Acme, Inc." = "ACME INC" = "Acme Incorporated" = "The Acme Co." → "acme";
 * "Smith & Sons" = "Smith and Sons". "Acme Holdings Inc" stays "acme holdings".
 */
export function normalizeCompany(text: string): string {
  const raw = tokenize(text.replace(/&/g, ' and '), /[.'’‘`´ʼ]/g);
  // "A B C Corp" and "ABC Corp", "L L C" and "LLC" are the same name written two ways.
  const tokens: string[] = [];
  let letters = '';
  for (const token of raw) {
    if (/^\p{L}$/u.test(token)) {
      letters += token;
      continue;
    }
    if (letters) tokens.push(letters);
    letters = '';
    tokens.push(token);
  }
  if (letters) tokens.push(letters);

  let start = 0;
  let end = tokens.length;
  while (end - start > 1 && tokens[start] === 'the') start += 1;
  while (end - start > 1 && COMPANY_SUFFIXES.has(tokens[end - 1] as string)) end -= 1;
  return tokens.slice(start, end).join(' ');
}
