/**
 * The folding every normaliser starts from: case, accents and compatibility forms removed, and text
 * split into word tokens. See ../normalize.ts for what the normal forms promise.
 */

/**
 * Applies `step` until the text stops changing. Lower-casing and Unicode decomposition do not
 * commute for a handful of code points (e.g. U+0130), so one pass is not always a fixed point.
 */
export function settle(text: string, step: (s: string) => string): string {
  let current = text;
  for (let i = 0; i < 8; i += 1) {
    const next = step(current);
    if (next === current) return next;
    current = next;
  }
  return current;
}

/** Lower case, accents removed (é → e), compatibility forms unfolded (ﬁ → fi). */
export function foldLetters(text: string): string {
  return settle(text, (s) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase());
}

/**
 * Folds and splits into word tokens. `joinChars` are deleted (so "O'Brien" → "obrien",
 * "L.L.C." → "llc"); every other character that is not a letter or digit separates words.
 * `keep` characters become tokens of their own ("#5" → "#", "5").
 */
export function tokenize(text: string, joinChars: RegExp, keep = ''): string[] {
  let s = foldLetters(text).replace(joinChars, '');
  for (const ch of keep) s = s.split(ch).join(` ${ch} `);
  const keepClass = keep ? keep.replace(/[\\\]^-]/g, '\\$&') : '';
  const separator = new RegExp(`[^\\p{L}\\p{N}${keepClass}]+`, 'gu');
  return s
    .replace(separator, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
}

/** Apostrophes of every kind: deleted inside names ("O’Brien" = "OBrien"). */
export const APOSTROPHES = /['’‘`´ʼ]/g;
