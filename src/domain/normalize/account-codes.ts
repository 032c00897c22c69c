/** Account numbers and PINs in their normal forms (see ../normalize.ts). */
import { settle } from './fold-text.js';

/** Case folded; spaces, dashes and dots removed (people group digits however they like). */
function foldCode(text: string): string {
  return settle(text, (s) => s.normalize('NFKC').toLowerCase().replace(/[\s.\-‐‑‒–—―]+/gu, ''));
}

/**
 * "ACC-0012 345" → "acc0012345". A purely numeric account number also loses its leading zeros
 * ("0012345" = "12345"): spreadsheets drop them on the way to the carrier, and the digits that
 * identify the account are unchanged.
 */
export function normalizeAccountNumber(text: string): string {
  const folded = foldCode(text);
  return /^\d+$/.test(folded) ? folded.replace(/^0+(?=\d)/, '') : folded;
}

/** "12-34" → "1234", "0042" stays "0042": a PIN is a secret and every digit of it counts. */
export function normalizePin(text: string): string {
  return foldCode(text);
}
