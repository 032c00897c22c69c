/**
 * A service address written inline: "at 12 Oak St, Portland OR 97201", "service address is 12 Oak
 * Street Suite 5, Portland, Oregon 97201-1234".
 *
 * Found from its end: a ZIP with a state before it (a code in capitals, or a state's name, read
 * with the one state table); then a house number not far before that, and addresser must parse
 * the whole of it. The street and city are kept as the sender wrote them (SPEC §2), addresser's
 * normalised form ("12 Oak St, Suite 5") goes in the note; the state becomes its two-letter code
 * and the ZIP its five digits. In a sentence written all in lower case ("1550 blake st denver co
 * 80202") the state's code may be in lower case too.
 *
 * addresser is costly (its patterns grow with the square of their input), so it is given one
 * candidate of at most MAX_ADDRESS_CHARS, and a reading gets a budget of tries.
 */
import { MAX_ADDRESS_CHARS, parseUsAddress } from './addresser.js';
import { quote, type ProseSink } from './finding.js';
import { readStateCode, splitAddress } from '../text/us-address.js';
import { STATE_CODES } from './words.js';

export interface AddressBudget {
  tries: number;
}

const ZIP_RE = /(?<![\d-])\d{5}(?:-\d{4})?(?![\d-])/g;
/** A house number: "12", "1200", "12B", not the tail of a phone number, a date or a unit ("#12"). */
const HOUSE_NUMBER_RE = /(?<![\w\-/.#(])\d{1,6}[A-Za-z]?(?= [A-Za-z0-9#])/g;
/** Words before the house number that say this is the service address. */
const SERVICE_CUE_RE = /(?:service (?:address|location)|end[ -]?user address|(?:located|lives|installed|service|is) at|address (?:is|of)|address:?)\s{0,2}$/i;
/** The sender's own address is not the customer's. */
const OWN_ADDRESS_RE = /\b(?:our|my) (?:office|offices|address|headquarters|hq)\b[^.]{0,20}$|\b(?:mailing|remit(?:tance)?|return) address\b[^.]{0,20}$/i;
/** Words no street carries: a candidate with one started too early ("account 88812, 12 Oak St"). */
const NOT_STREET_WORDS: ReadonlySet<string> = new Set([
  'account', 'acct', 'pin', 'pon', 'port', 'porting', 'number', 'numbers', 'customer', 'please', 'for', 'and', 'is',
  'our', 'her', 'his', 'their', 'name', 'date', 'by', 'passcode', 'order', 'at', 'in', 'to', 'from', 'with', 'lines',
  'customers',
]);
/** What addresser may put in a second address line: a unit, never running words ("customers in"). */
const UNIT_RE = /^(?:#|(?:apt|apartment|suite|ste|unit|fl|floor|bldg|building|rm|room|lot|spc|space|trlr|trailer|dept|ofc|office|ph|penthouse|lobby|rear|front|side|upper|lower|bsmt|basement|hangar|pier|slip)\b)/i;
const MAX_STREET_WORDS = 14;
const MAX_ZIPS_PER_SENTENCE = 4;
const MAX_STARTS_PER_ZIP = 3;

export function readAddress(sentence: string, sink: ProseSink, budget: AddressBudget): void {
  const lowerCase = !/[A-Z]/.test(sentence);
  let zips = 0;
  ZIP_RE.lastIndex = 0;
  for (const zip of sentence.matchAll(ZIP_RE)) {
    if ((zips += 1) > MAX_ZIPS_PER_SENTENCE || budget.tries <= 0) return;
    const state = stateBefore(sentence, zip.index, lowerCase);
    if (!state) continue;
    const restStart = Math.max(0, state.start - (MAX_ADDRESS_CHARS - 40));
    const rest = sentence.slice(restStart, state.start);
    const starts: { at: number; cued: boolean }[] = [];
    HOUSE_NUMBER_RE.lastIndex = 0;
    for (const number of rest.matchAll(HOUSE_NUMBER_RE)) {
      const at = restStart + number.index;
      starts.push({ at, cued: SERVICE_CUE_RE.test(sentence.slice(Math.max(0, at - 30), at)) });
    }
    // A number right after "service address is" first; otherwise the earliest that parses.
    starts.sort((a, b) => Number(b.cued) - Number(a.cued) || a.at - b.at);
    for (const start of starts.slice(0, MAX_STARTS_PER_ZIP)) {
      if (budget.tries <= 0) return;
      const streetAndCity = sentence.slice(start.at, state.start).replace(/[ ,]+$/, '');
      const words = streetAndCity.split(' ');
      if (words.length > MAX_STREET_WORDS || words.some((word) => NOT_STREET_WORDS.has(word.toLowerCase().replace(/[,.]$/, '')))) continue;
      const zipEnd = zip.index + zip[0].length;
      const candidate = sentence.slice(start.at, zipEnd);
      budget.tries -= 1;
      const parsed = parseUsAddress(candidate);
      const houseNumber = /^\S+/.exec(streetAndCity)?.[0] ?? '';
      if (!parsed || parsed.zipCode !== zip[0].slice(0, 5) || parsed.stateAbbreviation !== state.code) continue;
      if (parsed.streetNumber.toLowerCase() !== houseNumber.toLowerCase()) continue;
      if (parsed.addressLine2 && !UNIT_RE.test(parsed.addressLine2)) continue;
      const split = splitStreetCity(candidate, streetAndCity, parsed.placeName, state.code);
      if (!split) continue;
      const before = sentence.slice(Math.max(0, start.at - 40), start.at);
      if (OWN_ADDRESS_RE.test(before)) {
        sink.note(`${quote(candidate)} is the sender's own address: not read as the service address`);
        return;
      }
      const normalised = [parsed.addressLine1, parsed.addressLine2, parsed.placeName, `${parsed.stateAbbreviation} ${parsed.zipCode}`]
        .filter(Boolean)
        .join(', ');
      const how = `addresser reads ${quote(normalised)}; the street is kept as written`;
      const strength = start.cued ? 3 : 2;
      const evidence = candidate;
      sink.found({ field: 'street', value: split.street, evidence, strength, how });
      sink.found({ field: 'city', value: split.city, evidence, strength, how });
      sink.found({ field: 'state', value: state.code, evidence, strength, how });
      sink.found({ field: 'zip', value: zip[0].slice(0, 5), evidence, strength, how });
      return;
    }
  }
}

/** The state just before a ZIP: "OR", "Oregon", "New York", "District of Columbia". */
function stateBefore(sentence: string, zipIndex: number, lowerCase: boolean): { code: string; start: number } | undefined {
  let end = zipIndex;
  while (end > 0 && zipIndex - end < 4 && /[ ,.]/.test(sentence[end - 1] ?? '')) end -= 1;
  const head = sentence.slice(Math.max(0, end - 40), end);
  const words = head.split(' ');
  const last = words[words.length - 1] ?? '';
  if (/^[A-Z]{2}$/.test(last) || (lowerCase && /^[a-z]{2}$/.test(last))) {
    const code = last.toUpperCase();
    return STATE_CODES.has(code) ? { code, start: end - last.length } : undefined;
  }
  for (let n = Math.min(4, words.length); n >= 1; n -= 1) {
    const phrase = words.slice(words.length - n).join(' ');
    if (!/^[A-Za-z][A-Za-z ]*$/.test(phrase)) continue;
    const code = readStateCode(phrase);
    if (STATE_CODES.has(code) && phrase.length > 2) return { code, start: end - phrase.length };
  }
  return undefined;
}

/**
 * The street and the city as written. Where a comma sets the city off, the project's own split
 * (text/us-address.ts) reads it ("12 Oak St, Suite 5, Portland, OR 97201"); without one, the city
 * is addresser's place name where the text ends with it ("12 Oak St Portland OR 97201").
 */
function splitStreetCity(candidate: string, streetAndCity: string, placeName: string, state: string): { street: string; city: string } | undefined {
  const split = splitAddress(candidate);
  if (split.city && split.state === state) return checked(split.street, split.city);
  const place = placeName.toLowerCase();
  const boundary = streetAndCity[streetAndCity.length - place.length - 1];
  if (streetAndCity.length <= place.length || !streetAndCity.toLowerCase().endsWith(place) || (boundary !== ' ' && boundary !== ',')) {
    return undefined;
  }
  const city = streetAndCity.slice(streetAndCity.length - place.length);
  return checked(streetAndCity.slice(0, streetAndCity.length - place.length).replace(/[ ,]+$/, ''), city);
}

/**
 * A street starts with its number and has a name; a city has no digits and a few words at most.
 * A separator a letterhead sets between street and city ("12 Oak St · Portland") is not the street's.
 */
function checked(written: string, city: string): { street: string; city: string } | undefined {
  let end = written.length;
  while (end > 0 && SEPARATORS.has(written[end - 1] ?? '')) end -= 1;
  const street = written.slice(0, end);
  if (!/^\d\S* \S/.test(street) || !city || /\d/.test(city) || city.split(' ').length > 4) return undefined;
  return { street, city };
}

const SEPARATORS: ReadonlySet<string> = new Set([' ', ',', '·', '•', '|', '–', '—']);
