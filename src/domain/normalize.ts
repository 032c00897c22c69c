/**
 * Normal forms for the account facts a carrier quotes in a port-out request (SPEC §5).
 *
 * Two values "match" when their normal forms are equal and not empty. Each normaliser removes only
 * differences of writing (case, punctuation, spacing, the standard USPS abbreviations, company
 * legal forms, "Last, First" order, middle initials), never differences of content: a wrong
 * port-out is fraud, so anything that might be a different person, company or place must keep a
 * different normal form.
 *
 * Every normaliser is idempotent (normalize(normalize(x)) === normalize(x)); the property tests
 * depend on it and so does any caller that stores a normal form and compares it later.
 */

// ---------------------------------------------------------------------------------------------
// Text folding

/**
 * Applies `step` until the text stops changing. Lower-casing and Unicode decomposition do not
 * commute for a handful of code points (e.g. U+0130), so one pass is not always a fixed point.
 */
function settle(text: string, step: (s: string) => string): string {
  let current = text;
  for (let i = 0; i < 8; i += 1) {
    const next = step(current);
    if (next === current) return next;
    current = next;
  }
  return current;
}

/** Lower case, accents removed (é → e), compatibility forms unfolded (ﬁ → fi). */
function foldLetters(text: string): string {
  return settle(text, (s) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase());
}

/**
 * Folds and splits into word tokens. `joinChars` are deleted (so "O'Brien" → "obrien",
 * "L.L.C." → "llc"); every other character that is not a letter or digit separates words.
 * `keep` characters become tokens of their own ("#5" → "#", "5").
 */
function tokenize(text: string, joinChars: RegExp, keep = ''): string[] {
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
const APOSTROPHES = /['’‘`´ʼ]/g;

// ---------------------------------------------------------------------------------------------
// Person names

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

// ---------------------------------------------------------------------------------------------
// Company names

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

// ---------------------------------------------------------------------------------------------
// Street addresses (USPS Publication 28)

/** Standard street suffix abbreviation → the ways people write it (Publication 28, Appendix C1). */
const STREET_SUFFIXES: Record<string, readonly string[]> = {
  aly: ['alley', 'allee', 'ally'],
  anx: ['annex', 'anex', 'annx'],
  arc: ['arcade'],
  ave: ['avenue', 'av', 'aven', 'avenu', 'avn', 'avnue'],
  byu: ['bayou', 'bayoo'],
  bch: ['beach'],
  bnd: ['bend'],
  blf: ['bluff', 'bluf'],
  blfs: ['bluffs'],
  btm: ['bottom', 'bot', 'bottm'],
  blvd: ['boulevard', 'boul', 'boulv'],
  br: ['branch', 'brnch'],
  brg: ['bridge', 'brdge'],
  brk: ['brook'],
  brks: ['brooks'],
  bg: ['burg'],
  bgs: ['burgs'],
  byp: ['bypass', 'bypa', 'bypas', 'byps'],
  cp: ['camp', 'cmp'],
  cyn: ['canyon', 'canyn', 'cnyn'],
  cpe: ['cape'],
  cswy: ['causeway', 'causwa'],
  ctr: ['center', 'centre', 'cent', 'centr', 'cnter', 'cntr'],
  ctrs: ['centers'],
  cir: ['circle', 'circ', 'circl', 'crcl', 'crcle'],
  cirs: ['circles'],
  clf: ['cliff'],
  clfs: ['cliffs'],
  clb: ['club'],
  cmn: ['common'],
  cmns: ['commons'],
  cor: ['corner'],
  cors: ['corners'],
  crse: ['course'],
  ct: ['court'],
  cts: ['courts'],
  cv: ['cove'],
  cvs: ['coves'],
  crk: ['creek'],
  cres: ['crescent', 'crsent', 'crsnt'],
  crst: ['crest'],
  xing: ['crossing', 'crssng'],
  xrd: ['crossroad'],
  xrds: ['crossroads'],
  curv: ['curve'],
  dl: ['dale'],
  dm: ['dam'],
  dv: ['divide', 'div', 'dvd'],
  dr: ['drive', 'driv', 'drv', 'doctor'],
  drs: ['drives'],
  est: ['estate'],
  ests: ['estates'],
  expy: ['expressway', 'exp', 'expr', 'express', 'expw'],
  ext: ['extension', 'extn', 'extnsn'],
  exts: ['extensions'],
  fall: [],
  fls: ['falls'],
  fry: ['ferry', 'frry'],
  fld: ['field'],
  flds: ['fields'],
  flt: ['flat'],
  flts: ['flats'],
  frd: ['ford'],
  frds: ['fords'],
  frst: ['forest', 'forests'],
  frg: ['forge', 'forg'],
  frgs: ['forges'],
  frk: ['fork'],
  frks: ['forks'],
  ft: ['fort', 'frt'],
  fwy: ['freeway', 'freewy', 'frway', 'frwy'],
  gdn: ['garden', 'gardn', 'grden', 'grdn'],
  gdns: ['gardens', 'grdns'],
  gtwy: ['gateway', 'gatewy', 'gatway', 'gtway'],
  gln: ['glen'],
  glns: ['glens'],
  grn: ['green'],
  grns: ['greens'],
  grv: ['grove', 'grov'],
  grvs: ['groves'],
  hbr: ['harbor', 'harb', 'harbr', 'hrbor'],
  hbrs: ['harbors'],
  hvn: ['haven'],
  hts: ['heights', 'ht'],
  hwy: ['highway', 'highwy', 'hiway', 'hiwy', 'hway'],
  hl: ['hill'],
  hls: ['hills'],
  holw: ['hollow', 'hllw', 'hollows', 'holws'],
  inlt: ['inlet'],
  is: ['island', 'islnd'],
  iss: ['islands', 'islnds'],
  isle: ['isles'],
  jct: ['junction', 'jction', 'jctn', 'junctn', 'juncton'],
  jcts: ['junctions', 'jctns'],
  ky: ['key'],
  kys: ['keys'],
  knl: ['knoll', 'knol'],
  knls: ['knolls'],
  lk: ['lake'],
  lks: ['lakes'],
  land: [],
  lndg: ['landing', 'lndng'],
  ln: ['lane'],
  lgt: ['light'],
  lgts: ['lights'],
  lf: ['loaf'],
  lck: ['lock'],
  lcks: ['locks'],
  ldg: ['lodge', 'ldge', 'lodg'],
  loop: ['loops'],
  mall: [],
  mnr: ['manor'],
  mnrs: ['manors'],
  mdw: ['meadow'],
  mdws: ['meadows', 'medows'],
  mews: [],
  ml: ['mill'],
  mls: ['mills'],
  msn: ['mission', 'missn', 'mssn'],
  mtwy: ['motorway'],
  mt: ['mount', 'mnt'],
  mtn: ['mountain', 'mntain', 'mntn', 'mountin', 'mtin'],
  mtns: ['mountains', 'mntns'],
  nck: ['neck'],
  orch: ['orchard', 'orchrd'],
  oval: ['ovl'],
  opas: ['overpass'],
  park: ['parks', 'prk'],
  pkwy: ['parkway', 'parkwy', 'pkway', 'pky', 'parkways', 'pkwys'],
  pass: [],
  psge: ['passage'],
  path: ['paths'],
  pike: ['pikes'],
  pne: ['pine'],
  pnes: ['pines'],
  pl: ['place'],
  pln: ['plain'],
  plns: ['plains'],
  plz: ['plaza', 'plza'],
  pt: ['point'],
  pts: ['points'],
  prt: ['port'],
  prts: ['ports'],
  pr: ['prairie', 'prr'],
  radl: ['radial', 'rad', 'radiel'],
  ramp: [],
  rnch: ['ranch', 'ranches', 'rnchs'],
  rpd: ['rapid'],
  rpds: ['rapids'],
  rst: ['rest'],
  rdg: ['ridge', 'rdge'],
  rdgs: ['ridges'],
  riv: ['river', 'rvr', 'rivr'],
  rd: ['road'],
  rds: ['roads'],
  rte: ['route'],
  row: [],
  rue: [],
  run: [],
  shl: ['shoal'],
  shls: ['shoals'],
  shr: ['shore', 'shoar'],
  shrs: ['shores', 'shoars'],
  skwy: ['skyway'],
  spg: ['spring', 'spng', 'sprng'],
  spgs: ['springs', 'spngs', 'sprngs'],
  spur: ['spurs'],
  sq: ['square', 'sqr', 'sqre', 'squ'],
  sqs: ['squares', 'sqrs'],
  sta: ['station', 'statn', 'stn'],
  stra: ['stravenue', 'strav', 'straven', 'stravn', 'strvn', 'strvnue'],
  strm: ['stream', 'streme'],
  // "St" is also how "Saint" is written ("St. Charles Ave"); both read the same.
  st: ['street', 'strt', 'str', 'saint'],
  sts: ['streets'],
  smt: ['summit', 'sumit', 'sumitt'],
  ter: ['terrace', 'terr'],
  trwy: ['throughway'],
  trce: ['trace', 'traces'],
  trak: ['track', 'tracks', 'trk', 'trks'],
  trfy: ['trafficway'],
  trl: ['trail', 'trails', 'trls'],
  tunl: ['tunnel', 'tunel', 'tunls', 'tunnels', 'tunnl'],
  tpke: ['turnpike', 'trnpk', 'turnpk'],
  upas: ['underpass'],
  un: ['union'],
  uns: ['unions'],
  vly: ['valley', 'vally', 'vlly'],
  vlys: ['valleys'],
  via: ['viaduct', 'vdct', 'viadct'],
  vw: ['view'],
  vws: ['views'],
  vlg: ['village', 'vill', 'villag', 'villg', 'villiage'],
  vlgs: ['villages'],
  vl: ['ville'],
  vis: ['vista', 'vist', 'vst', 'vsta'],
  walk: ['walks'],
  wall: [],
  way: ['wy'],
  ways: [],
  wl: ['well'],
  wls: ['wells'],
};

/** Secondary unit designators (Publication 28, Appendix C2) that are followed by a number. */
const UNIT_DESIGNATORS: Record<string, readonly string[]> = {
  apt: ['apartment', 'apartmnt', 'aptmt'],
  bldg: ['building', 'bldng', 'bld'],
  dept: ['department', 'dpt'],
  fl: ['floor', 'flr'],
  lot: [],
  ofc: ['office'],
  rm: ['room'],
  spc: ['space'],
  ste: ['suite'],
  unit: [],
  '#': [],
};

const DIRECTIONS: Record<string, string> = {
  north: 'n',
  south: 's',
  east: 'e',
  west: 'w',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
  n: 'n',
  s: 's',
  e: 'e',
  w: 'w',
  ne: 'ne',
  nw: 'nw',
  se: 'se',
  sw: 'sw',
};

const ONES_ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth'];
const TEENS_ORDINALS = [
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
];
const TENS_CARDINALS = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const TENS_ORDINALS = ['twentieth', 'thirtieth', 'fortieth', 'fiftieth', 'sixtieth', 'seventieth', 'eightieth', 'ninetieth'];

/** 1 → "1st", 12 → "12th", 22 → "22nd". */
function formatOrdinal(n: number): string {
  const lastTwo = n % 100;
  const last = n % 10;
  if (lastTwo >= 11 && lastTwo <= 13) return `${n}th`;
  if (last === 1) return `${n}st`;
  if (last === 2) return `${n}nd`;
  if (last === 3) return `${n}rd`;
  return `${n}th`;
}

/** "fifth" → "5th", "twentyfirst" (from "twenty-first") → "21st"; up to "ninety-ninth". */
const ORDINAL_WORDS = new Map<string, string>();
ONES_ORDINALS.forEach((w, i) => ORDINAL_WORDS.set(w, formatOrdinal(i + 1)));
TEENS_ORDINALS.forEach((w, i) => ORDINAL_WORDS.set(w, formatOrdinal(i + 10)));
TENS_ORDINALS.forEach((w, i) => ORDINAL_WORDS.set(w, formatOrdinal((i + 2) * 10)));
TENS_CARDINALS.forEach((tens, i) =>
  ONES_ORDINALS.forEach((ones, j) => ORDINAL_WORDS.set(tens + ones, formatOrdinal((i + 2) * 10 + j + 1))),
);

/** Every written form of a street word → its one canonical form. */
const STREET_WORDS = new Map<string, string>();
for (const [abbr, variants] of [...Object.entries(STREET_SUFFIXES), ...Object.entries(UNIT_DESIGNATORS)]) {
  STREET_WORDS.set(abbr, abbr);
  for (const v of variants) STREET_WORDS.set(v, abbr);
}
for (const [word, ordinal] of ORDINAL_WORDS) STREET_WORDS.set(word, ordinal);

const SUFFIX_ABBREVIATIONS = new Set(Object.keys(STREET_SUFFIXES));
const DESIGNATORS = new Set(Object.keys(UNIT_DESIGNATORS));

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

// ---------------------------------------------------------------------------------------------
// City, state, ZIP

const CITY_WORDS: Record<string, string> = { saint: 'st', sainte: 'ste', mount: 'mt', fort: 'ft' };

/** "St. Louis" = "Saint Louis" → "st louis"; "Winston-Salem" = "Winston Salem". */
export function normalizeCity(text: string): string {
  return tokenize(text, /[.'’‘`´ʼ]/g)
    .map((t) => CITY_WORDS[t] ?? t)
    .join(' ');
}

const STATE_CODES: Record<string, string> = {
  alabama: 'al', alaska: 'ak', arizona: 'az', arkansas: 'ar', california: 'ca', colorado: 'co',
  connecticut: 'ct', delaware: 'de', 'district of columbia': 'dc', florida: 'fl', georgia: 'ga',
  hawaii: 'hi', idaho: 'id', illinois: 'il', indiana: 'in', iowa: 'ia', kansas: 'ks',
  kentucky: 'ky', louisiana: 'la', maine: 'me', maryland: 'md', massachusetts: 'ma',
  michigan: 'mi', minnesota: 'mn', mississippi: 'ms', missouri: 'mo', montana: 'mt',
  nebraska: 'ne', nevada: 'nv', 'new hampshire': 'nh', 'new jersey': 'nj', 'new mexico': 'nm',
  'new york': 'ny', 'north carolina': 'nc', 'north dakota': 'nd', ohio: 'oh', oklahoma: 'ok',
  oregon: 'or', pennsylvania: 'pa', 'rhode island': 'ri', 'south carolina': 'sc',
  'south dakota': 'sd', tennessee: 'tn', texas: 'tx', utah: 'ut', vermont: 'vt', virginia: 'va',
  washington: 'wa', 'west virginia': 'wv', wisconsin: 'wi', wyoming: 'wy', 'puerto rico': 'pr',
  guam: 'gu', 'us virgin islands': 'vi', 'virgin islands': 'vi', 'american samoa': 'as',
  'northern mariana islands': 'mp',
};

/** "Washington" = "WA" = "wa." → "wa". Anything else keeps its normalised words. */
export function normalizeState(text: string): string {
  const words = tokenize(text, /[.'’‘`´ʼ]/g).join(' ');
  return STATE_CODES[words] ?? words;
}

/** "98101-1234", "98101 1234", "981011234", "98101" → "98101"; '' for anything that is not a US ZIP. */
export function normalizeZip(text: string): string {
  const m = /^\s*(\d{5})(?:[\s\-‐‑‒–]?\d{4})?\s*$/.exec(text);
  return m ? (m[1] as string) : '';
}

// ---------------------------------------------------------------------------------------------
// Account numbers and PINs

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
