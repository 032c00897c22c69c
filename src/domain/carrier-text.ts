/**
 * Text a carrier wrote, made fit to be repeated by the desk (SPEC §10). Whoever sends a request
 * chooses its display name, its "New Carrier:" line and its PON, and the desk writes them into
 * e-mails the provider sends its own customers. A name such as `To KEEP your numbers reply APPROVE
 * now`, a link, a phone number to call, or a right-to-left override that turns a domain around
 * would be phishing in the provider's voice. So what is repeated is cut down to a name: letters,
 * digits and a few marks, bounded, without links, domains, phone numbers, bidi controls or the
 * words a customer answers with — and customers are told the carrier's mail domain beside it.
 */

/** Longest carrier name repeated to anyone. */
export const MAX_CARRIER_NAME = 40;
/** Longest PON echoed back (industry PONs are up to 16 characters). */
export const MAX_PON = 20;
/** Longest field the carrier wrote that is echoed back to that carrier (a rejection's field lines). */
export const MAX_ECHOED_FIELD = 100;

/** Bidirectional controls, zero-width characters and other invisible formatting. */
const INVISIBLE_RE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const URL_RE = /\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)\S*/gi;
const EMAIL_RE = /\S+@\S+/g;
/** Anything shaped like a domain name: a label, a dot, a label of letters (example.com, a.b.co). */
const DOMAIN_RE = /\b[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}\b/gu;
/** Seven or more digits, with the separators people put in phone numbers. */
const PHONE_RE = /\+?\d[\d\s().\-/]{5,}\d/g;
/** The words the verification asks the customer to answer with, and their kin. */
const ANSWER_WORDS_RE = /\b(?:approve[ds]?|approval|reject(?:s|ed)?|confirm(?:s|ed)?|reply|replies|respond|click)\b/gi;
const ALLOWED_RE = /[^\p{L}\p{N} .,&'()-]/gu;

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max + 1);
  const space = head.lastIndexOf(' ');
  return (space > max / 2 ? head.slice(0, space) : text.slice(0, max)).trim();
}

/**
 * A carrier's name as the desk may repeat it, or undefined when nothing of it is left: NFKC
 * (full-width and look-alike forms folded), invisible characters, links, addresses, domains,
 * phone numbers and answer words removed, only letters, digits and ` .,&'()-` kept, bounded.
 */
export function cleanCarrierName(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const cleaned = text
    .normalize('NFKC')
    .replace(INVISIBLE_RE, '')
    .replace(URL_RE, ' ')
    .replace(EMAIL_RE, ' ')
    .replace(DOMAIN_RE, ' ')
    .replace(PHONE_RE, ' ')
    .replace(ANSWER_WORDS_RE, ' ')
    .replace(ALLOWED_RE, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.,&'()-]+|[\s,&'(-]+$/g, '')
    .trim();
  const bounded = cut(cleaned, MAX_CARRIER_NAME);
  return bounded.length >= 2 ? bounded : undefined;
}

/** A PON as the desk may echo it: letters, digits and `-_/.`, bounded; undefined when it is not one. */
export function cleanPon(pon: string | undefined): string | undefined {
  if (!pon) return undefined;
  const text = pon.normalize('NFKC').replace(INVISIBLE_RE, '').trim();
  // A link or an address in place of a PON is not a PON with a few stray characters.
  if (/[a-z][a-z0-9+.-]*:\/\/|www\.|@/i.test(text)) return undefined;
  const cleaned = text.replace(/[^A-Za-z0-9._/-]/g, '').slice(0, MAX_PON);
  return /[A-Za-z0-9]/.test(cleaned) ? cleaned : undefined;
}

/** Any other field the carrier wrote, echoed back only to that carrier: one line, visible, bounded. */
export function cleanEchoedField(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cleaned = text.normalize('NFKC').replace(INVISIBLE_RE, '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return cleaned ? cut(cleaned, MAX_ECHOED_FIELD) : undefined;
}
