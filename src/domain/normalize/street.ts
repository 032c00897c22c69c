/**
 * A street line in its normal form, and its secondary units ("Suite 5", "3rd Floor") read apart
 * from the street so that a unit written on the street line matches a unit kept in a field of its
 * own (see ../normalize.ts).
 */
import { tokenize } from './fold-text.js';
import { DESIGNATORS, DIRECTIONS, ONES_ORDINALS, ORDINAL_WORDS, STREET_WORDS, SUFFIX_ABBREVIATIONS, TENS_CARDINALS } from './street-words.js';

function isDesignator(token: string | undefined): token is string {
  return token !== undefined && DESIGNATORS.has(token);
}

function isDirection(token: string | undefined): token is string {
  return token !== undefined && Object.hasOwn(DIRECTIONS, token);
}

/** What may follow a designator: "5", "5b", "b", "north" — not a street word like "Ln". */
function isUnitId(token: string | undefined): token is string {
  if (token === undefined || isDesignator(token)) return false;
  return /\d/.test(token) || [...token].length === 1 || isDirection(token);
}

function isHouseNumber(token: string | undefined): boolean {
  return token !== undefined && /^\d+[a-z]?$/.test(token);
}

/** "5th", "5" written before "Floor". */
function isFloorNumber(token: string | undefined): token is string {
  return token !== undefined && /^\d+(st|nd|rd|th)?$/.test(token);
}

/** Tokens of a street line with every word in its canonical form and '#' where it is a marker. */
function readStreetTokens(text: string): string[] {
  // Hyphens inside a word join it ("4-B" = "4B", Queens' "12-34" = "1234"); elsewhere they separate.
  const joined = text.replace(/(?<=[\p{L}\p{N}])[-‐‑‒–](?=[\p{L}\p{N}])/gu, '').replace(/&/g, ' and ');
  const raw = tokenize(joined, /[.'’‘`´ʼ]/g, '#');
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 1) {
    const t = raw[i] as string;
    const next = raw[i + 1];
    const afterNext = raw[i + 2];
    if (t === 'post' && next === 'office' && afterNext === 'box') {
      out.push('po', 'box');
      i += 2;
    } else if (t === 'p' && next === 'o' && afterNext === 'box') {
      out.push('po', 'box');
      i += 2;
    } else if (t === 'pobox') {
      out.push('po', 'box');
    } else if (TENS_CARDINALS.includes(t) && next !== undefined && ONES_ORDINALS.includes(next)) {
      out.push(ORDINAL_WORDS.get(t + next) as string);
      i += 1;
    } else {
      const canonical = STREET_WORDS.get(t) ?? t;
      const previous = out[out.length - 1];
      // "Suite #5", "PO Box #12", "Box No. 12": the marker after a designator adds nothing.
      if (canonical === '#' && (isDesignator(previous) || previous === 'box')) continue;
      if (canonical === 'no' && previous === 'box' && next !== undefined) continue;
      out.push(canonical);
    }
  }
  return out;
}

type UnitPair = readonly [designator: string, id: string];

/** Reads `tokens` as nothing but designator/id pairs ("ste 5", "bldg 2 ste 300", "5th fl"); null otherwise. */
function readUnitPairs(tokens: readonly string[]): UnitPair[] | null {
  const pairs: UnitPair[] = [];
  for (let i = 0; i < tokens.length; i += 2) {
    const pair = readUnitPairAt(tokens, i);
    if (!pair) return null;
    pairs.push(pair);
  }
  return pairs;
}

function readUnitPairAt(tokens: readonly string[], i: number): UnitPair | null {
  const t = tokens[i];
  const next = tokens[i + 1];
  if (isDesignator(t) && isUnitId(next)) return [t, t === 'fl' ? stripOrdinal(next) : next];
  if (isFloorNumber(t) && next === 'fl') return ['fl', stripOrdinal(t)];
  return null;
}

function stripOrdinal(token: string): string {
  return token.replace(/^(\d+)(st|nd|rd|th)$/, '$1');
}

interface StreetParts {
  street: string[];
  units: UnitPair[];
}

/**
 * Splits a street line into the street proper and its units. Units are recognised only where the
 * whole tail of the line is designator/id pairs ("… Ste 5", "… Bldg 2 Ste 300", "… 3rd Floor"),
 * or at the very front ("Suite 200, 123 Main St"). "123 Ste Genevieve Ave" keeps its name: a
 * designator straight after the house number starts the street name, not a unit.
 */
function readStreetParts(text: string): StreetParts {
  // A written-out normal form is read again until it reads back as itself. Real addresses settle
  // on the first pass; a few odd token orders (a unit moved from the front next to a stray '#')
  // need one more. Without this, normalizeStreet would not be idempotent on them.
  let parts = readStreetPartsOnce(text);
  let written = formatStreetParts(parts);
  for (let i = 0; i < 8; i += 1) {
    const again = readStreetPartsOnce(written);
    const rewritten = formatStreetParts(again);
    parts = again;
    if (rewritten === written) break;
    written = rewritten;
  }
  return parts;
}

function formatStreetParts({ street, units }: StreetParts): string {
  return [...street, formatUnits(units)].filter(Boolean).join(' ');
}

function readStreetPartsOnce(text: string): StreetParts {
  const tokens = readStreetTokens(text);

  const front: UnitPair[] = [];
  let start = 0;
  for (let pair = readUnitPairAt(tokens, start); pair; pair = readUnitPairAt(tokens, start)) {
    front.push(pair);
    start += 2;
  }
  // Nothing but units, or units and a bare house number: not a street with a leading unit. (The
  // second would also not read back: "1 ofc 3" keeps a designator after a house number as a name.)
  if (start >= tokens.length || (start === tokens.length - 1 && isHouseNumber(tokens[start]))) {
    front.length = 0;
    start = 0;
  }
  const rest = tokens.slice(start);

  for (let p = 1; p < rest.length; p += 1) {
    if (p === 1 && isHouseNumber(rest[0])) continue;
    const tail = readUnitPairs(rest.slice(p));
    if (tail) return { street: canonicalDirections(rest.slice(0, p)), units: [...front, ...tail] };
  }
  return { street: canonicalDirections(rest), units: front };
}

/**
 * Abbreviates a direction word where it is a directional ("123 North Main St" → "123 n main st",
 * "Main St Northeast" → "main st ne") but not where it is the street's own name ("North Ave",
 * "East St" stay as written, so "East St" ≠ "E St"). Position is kept: "N Main St" ≠ "Main St N".
 */
function canonicalDirections(tokens: readonly string[]): string[] {
  const out = [...tokens];
  const first = isHouseNumber(out[0]) && out.length > 1 ? 1 : 0;
  let nameStart = first;
  if (isDirection(out[first]) && hasName(out.slice(first + 1))) {
    out[first] = DIRECTIONS[out[first] as string] as string;
    nameStart = first + 1;
  }
  const last = out.length - 1;
  if (last > nameStart && isDirection(out[last]) && hasName(out.slice(nameStart, last))) {
    out[last] = DIRECTIONS[out[last] as string] as string;
  }
  return out;
}

/**
 * Whether `tokens` hold a street name besides the street type: "main st", "hbr dr" (Harbor Drive:
 * many names are also suffix words) do; a lone "st" or "ave" does not.
 */
function hasName(tokens: readonly string[]): boolean {
  return tokens.length > 1 || (tokens.length === 1 && !SUFFIX_ABBREVIATIONS.has(tokens[0] as string));
}

function formatUnits(units: readonly UnitPair[]): string {
  return units.map(([designator, id]) => `${designator} ${id}`).join(' ');
}

/**
 * "123 N. Main St., Ste 5" = "123 North Main Street Suite 5" → "123 n main st ste 5";
 * "1st Ave" = "First Avenue" → "1st ave"; "P.O. Box 12" = "Post Office Box 12" → "po box 12".
 * A unit is always written after the street, whatever side it came on.
 */
export function normalizeStreet(text: string): string {
  return formatStreetParts(readStreetParts(text));
}

/**
 * Splits a street line into the street and its unit, both normalised: "123 Main St, Suite #5" →
 * { street: "123 main st", unit: "ste 5" }. Lets a carrier's street that carries the unit be
 * compared with an account that keeps the unit in a field of its own. `unit` is '' when none.
 */
export function splitStreet(text: string): { street: string; unit: string } {
  const { street, units } = readStreetParts(text);
  return { street: street.join(' '), unit: formatUnits(units) };
}

/**
 * A unit field on its own: "Suite 5" → "ste 5", "#5" → "# 5", "5" → "# 5" (a bare number is a unit
 * of unknown kind), "3rd Floor" → "fl 3". Text that is not a unit stays as normalised words.
 */
export function normalizeUnit(text: string): string {
  const tokens = readStreetTokens(text);
  const pairs = readUnitPairs(tokens) ?? readUnitPairs(['#', ...tokens]);
  return pairs ? formatUnits(pairs) : tokens.join(' ');
}

/**
 * Whether two normalised units name the same unit: ids equal pair by pair, designators equal or
 * one of them '#', which USPS uses when the kind of unit is not known ("#5" = "Ste 5",
 * "Ste 5" ≠ "Apt 5", "Ste 5" ≠ "Ste 6"). Both empty is the same (no unit).
 */
export function isSameUnit(a: string, b: string): boolean {
  const left = readUnitPairs(readStreetTokens(a));
  const right = readUnitPairs(readStreetTokens(b));
  if (!left || !right) return normalizeUnit(a) === normalizeUnit(b);
  if (left.length !== right.length) return false;
  return left.every(([designator, id], i) => {
    const [otherDesignator, otherId] = right[i] as UnitPair;
    return id === otherId && (designator === otherDesignator || designator === '#' || otherDesignator === '#');
  });
}
