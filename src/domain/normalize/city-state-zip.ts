/** City, state and ZIP in their normal forms (see ../normalize.ts). */
import { stateCodeOfName } from '../us-states.js';
import { tokenize } from './fold-text.js';

const CITY_WORDS: Record<string, string> = { saint: 'st', sainte: 'ste', mount: 'mt', fort: 'ft' };

/** "St. Louis" = "Saint Louis" → "st louis"; "Winston-Salem" = "Winston Salem". */
export function normalizeCity(text: string): string {
  return tokenize(text, /[.'’‘`´ʼ]/g)
    .map((t) => CITY_WORDS[t] ?? t)
    .join(' ');
}

/** "Washington" = "WA" = "wa." → "wa", "Guam" = "GU" → "gu". Anything else keeps its normalised words. */
export function normalizeState(text: string): string {
  const words = tokenize(text, /[.'’‘`´ʼ]/g).join(' ');
  return stateCodeOfName(words)?.toLowerCase() ?? words;
}

/** "98101-1234", "98101 1234", "981011234", "98101" → "98101"; '' for anything that is not a US ZIP. */
export function normalizeZip(text: string): string {
  const m = /^\s*(\d{5})(?:[\s\-‐‑‒–]?\d{4})?\s*$/.exec(text);
  return m ? (m[1] as string) : '';
}
