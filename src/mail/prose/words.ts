/**
 * The words the prose reader judges names by: what makes a phrase a company, what says it is a
 * carrier rather than a customer, and the capitalised words that start a sentence or name a month
 * or a street but never a person. All lower case, without dots.
 */
import { listStateNames, stateCodeOfName } from '../../domain/us-states.js';

/** A phrase with one of these is a business ("Acme Dental LLC", "Smith & Sons Plumbing"). */
export const COMPANY_MARKERS: ReadonlySet<string> = new Set([
  'llc', 'inc', 'incorporated', 'corp', 'corporation', 'co', 'company', 'ltd', 'limited', 'llp', 'lp', 'pllc', 'pc',
  'plc', 'group', 'partners', 'partnership', 'associates', 'holdings', 'enterprises', 'industries', 'dental',
  'dentistry', 'medical', 'clinic', 'law', 'legal', 'realty', 'bakery', 'pottery', 'studio', 'studios', 'salon',
  'cafe', 'restaurant', 'church', 'school', 'academy', 'foundation', 'hospital', 'pharmacy', 'services', 'solutions',
  'consulting', 'construction', 'plumbing', 'electric', 'motors', 'farms', 'market', 'store', 'shop', 'hotel', 'inn',
  'club', 'center', 'centre', 'agency', 'firm', 'university', 'college', 'trust', 'bank', 'insurance', 'veterinary',
  'pediatrics', 'chiropractic', 'properties', 'management', 'logistics', 'supply', 'sons', 'bros', 'brothers',
  'accounting', 'cpa', 'cpas',
]);

/**
 * A phrase with one of these is a carrier or a telephone company: the sender writing "on behalf
 * of Summit Voice" names itself, not the customer. A customer whose own name has such a word is
 * missed here and left to the labelled fields.
 */
export const CARRIER_WORDS: ReadonlySet<string> = new Set([
  'verizon', 'att', 't-mobile', 'tmobile', 'sprint', 'comcast', 'xfinity', 'spectrum', 'charter', 'centurylink',
  'lumen', 'frontier', 'windstream', 'cox', 'bandwidth', 'twilio', 'vonage', 'ringcentral', 'ooma', 'telnyx',
  'cricket', 'dialpad', 'nextiva', 'optimum', 'altice', 'brightspeed', 'ziply', 'inteliquent', 'onvoy', 'sinch',
  'peerless', 'intrado', 'metropcs', 'telecom', 'telecommunications', 'communications', 'wireless', 'mobile',
  'mobility', 'cellular', 'voice', 'telephone', 'tel', 'telco', 'networks', 'broadband', 'cable', 'fiber', 'porting',
  'lnp', 'voip',
]);

const MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
];
const WEEKDAYS = [
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'mon', 'tue', 'tues', 'wed', 'thu',
  'thur', 'thurs', 'fri', 'sat', 'sun',
];

/** Months that are also given names: "for June Carter" is a person, "for June 5" a date. */
export const NAME_MONTHS: ReadonlySet<string> = new Set(['april', 'may', 'june', 'august']);

/** Street types that never end a person's name ("for Oak Street" is a place). */
export const STREET_WORDS: ReadonlySet<string> = new Set([
  'street', 'st', 'avenue', 'ave', 'av', 'road', 'rd', 'boulevard', 'blvd', 'drive', 'dr', 'ln', 'highway', 'hwy',
  'parkway', 'pkwy', 'pl', 'ct', 'cir', 'ter', 'trl', 'expressway', 'expy', 'freeway', 'fwy', 'route', 'rte', 'suite',
  'ste', 'apt', 'unit', 'floor',
]);

/**
 * Capitalised words that end a name where they stand: the next sentence run on ("Jane Doe Her PIN
 * is…"), the vocabulary of a port request, greetings and closings, months and days.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  ...MONTHS,
  ...WEEKDAYS,
  'please', 'port', 'porting', 'ported', 'account', 'acct', 'number', 'numbers', 'no', 'pin', 'pon', 'btn', 'atn',
  'loa', 'csr', 'foc', 'tn', 'tns', 'did', 'dids', 'spid', 'service', 'address', 'customer', 'customers', 'order',
  'request', 'requested', 'reference', 'ref', 'team', 'hi', 'hello', 'hey', 'dear', 'thanks', 'thank', 'regards',
  'our', 'your', 'we', 'i', 'he', 'she', 'her', 'his', 'their', 'they', 'them', 'it', 'its', 'this', 'that', 'these',
  'those', 'today', 'tomorrow', 'asap', 'us', 'usa', 'zip', 'authorized', 'authorised', 'signed', 'approved', 'passcode',
  'also', 'note', 'business', 'line', 'lines', 'plan', 'support', 'desk', 'phone', 'fax', 'email', 'e-mail', 'due',
  'date', 'end', 'user', 'subscriber', 'holder', 'name', 'and', 'or', 'but', 'for', 'at', 'on', 'by', 'in', 'to',
  'from', 'with', 'is', 'was', 'are', 'has', 'have', 'will', 'would', 'can', 'if', 'as', 'so', 'ok', 'yes', 'not',
]);

/** Lower-case words a name or company may carry inside it ("Ludwig van Beethoven", "Bank of Oregon"). */
export const PARTICLES: ReadonlySet<string> = new Set(['van', 'von', 'de', 'del', 'della', 'der', 'da', 'di', 'du', 'la', 'le', 'bin', 'al']);
export const COMPANY_CONNECTORS: ReadonlySet<string> = new Set(['&', 'and', 'of', 'the']);

export const HONORIFICS: ReadonlySet<string> = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof']);

/** The two-letter codes of the one state table (domain/us-states.ts). */
export const STATE_CODES: ReadonlySet<string> = new Set(
  listStateNames()
    .map((name) => stateCodeOfName(name))
    .filter((code): code is string => code !== undefined),
);

/** A word as the lists above hold it: lower case, dots and a trailing comma dropped, AT&T as att. */
export function wordKey(word: string): string {
  return word.toLowerCase().replace(/[.,]/g, '').replace(/&/g, '');
}
