/**
 * A carrier's port-out request becomes orders (SPEC §3 rules 1, 11, 12). A request whose From
 * domain fails DMARC under a quarantine or reject policy is parked unanswered: its sender is not
 * who it claims, and an answer would go to the address it forged (§11).
 */
import { intakePortRequest } from '../../domain/intake.js';
import { judgeRequest } from '../../domain/mail-auth.js';
import { claimsApproval } from '../../mail/claims-approval.js';
import { readPortRequest } from '../../mail/read-port-request.js';
import { domainOf } from '../../domain/free-mail.js';
import { review, type Handled, type InboundInput } from './handled.js';

/** Beyond this a request is a bulk (project) port: support handles it by hand. */
export const MAX_NUMBERS_PER_REQUEST = 1000;

/** A display name as it may appear in our e-mails: one line, no links, not too long. */
function cleanName(name: string | undefined): string | undefined {
  const clean = (name ?? '')
    .replace(/\b(?:https?:\/\/|www\.)\S+/gi, '')
    .replace(/[\r\n\t<>"]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60)
    .trim();
  return clean || undefined;
}

export function handlePortRequest(input: InboundInput): Handled {
  const { core, msg, auth, ctx, log } = input;
  const verdict = judgeRequest(auth, core.authMode);
  if (!verdict.accept) return review(input, verdict.reason, `port request not acted on: ${verdict.detail}`);
  const reading = readPortRequest(msg);
  const f = reading.fields;
  if (f.dids.length > MAX_NUMBERS_PER_REQUEST) {
    return review(input, 'PROJECT_PORT', `port request for ${f.dids.length} numbers; more than ${MAX_NUMBERS_PER_REQUEST} is a project port for a person to handle`);
  }
  const carrierEmail = f.carrierEmail ?? msg.from!.address;
  const result = intakePortRequest(
    {
      carrier: {
        name: cleanName(f.carrierName ?? msg.from!.name) ?? domainOf(carrierEmail),
        email: carrierEmail,
        ...(f.spid ? { spid: f.spid } : {}),
        ...(f.pon ? { pon: f.pon } : {}),
      },
      provided: {
        ...(f.name ? { name: f.name } : {}),
        ...(f.company ? { company: f.company } : {}),
        ...(f.street ? { street: f.street } : {}),
        ...(f.city ? { city: f.city } : {}),
        ...(f.state ? { state: f.state } : {}),
        ...(f.zip ? { zip: f.zip } : {}),
        ...(f.accountNumber ? { accountNumber: f.accountNumber } : {}),
        ...(f.btn ? { btn: f.btn } : {}),
        ...(f.pin ? { pin: f.pin } : {}),
        ...(f.authorizedName ? { authorizedName: f.authorizedName } : {}),
      },
      dids: f.dids,
      ...(f.requestedDate ? { requestedDate: f.requestedDate } : {}),
      missing: reading.missing,
      ...(msg.messageId ? { sourceMessageId: msg.messageId } : {}),
      claimsApproval: claimsApproval(msg),
      authNote: verdict.note,
    },
    core.deps.store,
    ctx,
  );
  const orders = [...result.created, ...result.resent];
  log.info({ created: result.created.map((o) => o.id), resent: result.resent.map((o) => o.id), unknown: result.unknownNumbers.length }, 'port request read');
  if (f.dids.length === 0) {
    return review(input, 'NO_NUMBERS', `port request without telephone numbers (missing: ${reading.missing.join(', ') || 'telephone numbers'})`, {
      effects: result.effects,
    });
  }
  return {
    outcome: 'processed',
    orderIds: orders.map((o) => o.id),
    ...(result.unknownNumbers.length ? { reason: `${result.unknownNumbers.length} number(s) on no account` } : {}),
    changes: { orders },
    effects: result.effects,
  };
}
