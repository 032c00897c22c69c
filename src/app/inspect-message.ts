/**
 * `portdesk inspect FILE.eml`: how the desk reads one message, changing nothing. The output shape
 * is part of the command-line contract (SPEC §9).
 */
import { describeAuth, isEnforcedDmarcFail, type AuthResult } from '../domain/mail-auth.js';
import type { MessageKind } from '../domain/records.js';
import type { ReviewReason } from '../domain/review-reasons.js';
import type { MailAuthenticator } from '../ports/mail-authenticator.js';
import { classifyMessage } from '../mail/classify-message.js';
import { findOrderRefs } from '../mail/find-order-refs.js';
import { parseMessage } from '../mail/parse-message.js';
import { readPortRequest } from '../mail/read-port-request.js';
import { attachmentProblem } from './inbound/port-request.js';
import { readReply } from '../mail/read-reply.js';
import type { PortRequestFields, ReplyDecision } from '../mail/types.js';

export interface Inspection {
  kind: MessageKind;
  decision?: ReplyDecision;
  request?: Omit<PortRequestFields, 'carrierName' | 'spid' | 'carrierEmail'> & { dids: string[] };
  /** Who really sent it (SPEC §11); absent with MAIL_AUTH=off. */
  auth?: Pick<AuthResult, 'dkim' | 'spf' | 'dmarc' | 'aligned'> & Partial<AuthResult>;
  /** Present when the desk would park it in Review for what the message alone shows. */
  review?: { reason: ReviewReason; detail: string };
  notes: string[];
}

const REQUEST_KEYS = ['pon', 'name', 'company', 'street', 'city', 'state', 'zip', 'accountNumber', 'btn', 'pin', 'authorizedName', 'requestedDate'] as const;

/** `orderExists` answers whether DATA_DIR holds an order (undefined when there is no data to ask). */
export async function inspectMessage(
  raw: Buffer,
  {
    deskAddresses,
    orderExists,
    authenticator,
  }: { deskAddresses: string[]; orderExists?: (id: string) => boolean; authenticator?: MailAuthenticator },
): Promise<Inspection> {
  const [msg, auth] = await Promise.all([parseMessage(raw), authenticator?.authenticate(raw)]);
  const classification = classifyMessage(msg, { deskAddresses });
  const notes = [...msg.defects, ...classification.notes];
  const out: Inspection = { kind: classification.kind, notes };
  if (auth) {
    out.auth = auth;
    notes.push(`mail authentication: ${describeAuth(auth)}${auth.by === 'portdesk' ? ' (no SMTP session here, so SPF is not checked unless a trusted Authentication-Results header says)' : ''}`);
  }
  const review = reviewOf(msg, classification.kind, auth);
  if (review) out.review = review;

  if (classification.kind === 'verification_reply' || classification.kind === 'other') {
    const reply = readReply(msg);
    if (classification.kind === 'verification_reply') {
      out.decision = reply.decision;
      const refs = findOrderRefs(msg, { deskAddresses });
      for (const id of refs.orderIds) {
        if (!orderExists) notes.push(`answers order ${id}; no data directory was read, so the order was not looked up`);
        else notes.push(orderExists(id) ? `answers order ${id}, which is in the data directory` : `answers order ${id}, which is not in the data directory`);
      }
    }
    notes.push(...reply.notes);
  }
  if (classification.kind === 'port_request') {
    const reading = readPortRequest(msg);
    const problem = out.review ? undefined : attachmentProblem(reading);
    if (problem) out.review = problem;
    const sourced = Object.entries(reading.sources).filter(([, source]) => source !== 'label');
    if (sourced.length) notes.push(`fields by source: ${sourced.map(([field, source]) => `${field} (${source})`).join(', ')}`);
    const request: Inspection['request'] = { dids: reading.fields.dids };
    for (const k of REQUEST_KEYS) {
      const v = reading.fields[k];
      // A PIN is shown to nobody: that one was found, not what it is.
      if (v !== undefined && v !== '') request[k] = k === 'pin' ? '(given)' : v;
    }
    out.request = request;
    if (reading.missing.length) notes.push(`missing: ${reading.missing.join(', ')}`);
    if (reading.invalidNumbers.length) notes.push(`not valid numbers: ${reading.invalidNumbers.slice(0, 20).join(', ')}`);
    notes.push(...reading.notes);
  }
  return out;
}

/** What parks a message whatever the records hold: its sender, its repairs, a forged domain. */
function reviewOf(msg: Awaited<ReturnType<typeof parseMessage>>, kind: MessageKind, auth: AuthResult | undefined): Inspection['review'] {
  if (msg.limits?.length) return { reason: 'TOO_LARGE', detail: msg.limits.join('; ') };
  if (kind === 'auto_reply' || kind === 'bounce') return undefined;
  if (!msg.from?.address) return { reason: 'NO_SENDER', detail: 'the message has no sender address' };
  if (msg.senderProblem) return { reason: 'NO_SENDER', detail: msg.senderProblem };
  const repairs = msg.defects.filter((d) => d !== 'no Message-ID');
  if (repairs.length) return { reason: 'PARSE_REPAIRED', detail: repairs.join('; ') };
  if (auth && kind !== 'other' && isEnforcedDmarcFail(auth)) return { reason: 'AUTH_FAILED', detail: `DMARC fails for ${auth.fromDomain ?? 'the sender domain'} (${describeAuth(auth)})` };
  return undefined;
}
