/**
 * Whether a carrier's request claims the customer already approved the port ("the end user has
 * already authorised this", "pre-approved"). The claim counts for nothing (SPEC §3 rule 3: only
 * the customer's answer to the desk's verification does), and intake tells the carrier so. Only
 * the carrier's new text is read: the desk's own e-mails, quoted back under a resent request, talk
 * about approval too, and the carrier would be told off for words it did not write.
 */
import { extractNewText } from './strip-quoted-text.js';
import type { InboundMessage } from './types.js';

const APPROVAL_CLAIM = /\b(already|has|have|previously)\s+(been\s+)?(approved|authori[sz]ed|confirmed)\b|\bpre-?approved\b/i;

/**
 * Quote-stripping costs more than the rest of reading a request, so it runs only when the whole
 * message makes the claim somewhere (the new text is part of it), to tell the carrier's words from
 * a quoted e-mail.
 */
export function claimsApproval(msg: InboundMessage): boolean {
  const inHtml = msg.html !== undefined && APPROVAL_CLAIM.test(msg.html.replace(/<[^<>]*>/g, ' ').replace(/&nbsp;|&#160;/gi, ' '));
  if (!inHtml && !APPROVAL_CLAIM.test(msg.text)) return false;
  return APPROVAL_CLAIM.test(extractNewText(msg).newText);
}
