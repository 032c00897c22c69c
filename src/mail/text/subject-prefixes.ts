/**
 * The prefixes mail clients put before a subject: `Re:` and its translations for a reply, `Fwd:`
 * and its translations for a forward. The classifier, the forward finder and the request reader
 * all ask "is this a reply?" and must get one answer: a list kept in two places drifted once
 * (Turkish `YNT:` was a reply to one reader and a fresh message to another).
 */

/**
 * `Re:` in the languages mail clients use: re, aw (German), sv (Nordic), antw (Dutch), réf/ref
 * (French), rif (Italian), odp (Polish), ynt (Turkish), atb (Latvian), res (Portuguese), r (Italian
 * Outlook). Outlook may number them (`RE[2]:`).
 */
const REPLY_PREFIX = String.raw`(?:re|aw|sv|antw|réf|ref|rif|odp|ynt|atb|res|r)\s*(?:\[\d+\])?\s*:`;

/**
 * Forward prefixes: Fwd, FW, TR (French), WG (German), RV (Spanish), ENC (Portuguese), VS (Danish
 * and Norwegian clients use it for forwards), Doorst (Dutch), I (Italian Outlook). A forward is
 * never a reply, even when a `Re:` follows it.
 */
const FORWARD_PREFIX_RE = /^\s*(?:(?:fwd?|fw|tr|wg|rv|enc|vs|doorst|i)\s*:\s*)/i;

const REPLY_PREFIX_RE = new RegExp(String.raw`^\s*${REPLY_PREFIX}`, 'i');

/** Whether the subject starts with a reply prefix (`Re:`, `AW:`, `YNT:`, `RE[2]:` …). */
export function hasReplySubject(subject: string): boolean {
  return REPLY_PREFIX_RE.test(subject);
}

/** Whether the subject starts with a forward prefix (`Fwd:`, `WG:`, `TR:` …). */
export function hasForwardSubject(subject: string): boolean {
  return FORWARD_PREFIX_RE.test(subject);
}
