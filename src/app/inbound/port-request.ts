/**
 * A carrier's port-out request becomes orders (SPEC §3 rules 1, 11, 12). A request whose From
 * domain fails DMARC under a quarantine or reject policy is parked unanswered: its sender is not
 * who it claims, and an answer would go to the address it forged (§11).
 */
import { intakePortRequest } from '../../domain/intake.js';
import { judgeRequest } from '../../domain/mail-auth.js';
import { claimsApproval } from '../../mail/claims-approval.js';
import { readPortRequest } from '../../mail/read-port-request.js';
import type { PortRequestReading } from '../../mail/types.js';
import { cleanCarrierName, cleanEchoedField, cleanPon } from '../../domain/carrier-text.js';
import { domainOf } from '../../domain/free-mail.js';
import { distinctAccounts } from '../../domain/intake-limits.js';
import { review, type Handled, type InboundInput } from './handled.js';

/** Beyond this a request is a bulk (project) port: support handles it by hand. */
export const MAX_NUMBERS_PER_REQUEST = 1000;

export function handlePortRequest(input: InboundInput): Handled {
  const { core, msg, auth, ctx, log } = input;
  const verdict = judgeRequest(auth, core.authMode);
  if (!verdict.accept) return review(input, verdict.reason, `port request not acted on: ${verdict.detail}`);
  const reading = readPortRequest(msg);
  const f = reading.fields;
  if (f.dids.length > MAX_NUMBERS_PER_REQUEST) {
    return review(input, 'PROJECT_PORT', `port request for ${f.dids.length} numbers; more than ${MAX_NUMBERS_PER_REQUEST} is a project port for a person to handle`);
  }
  // SPEC §15: what the desk cannot read, or reads two ways, is a person's to decide.
  const unread = attachmentProblem(reading);
  if (unread) return review(input, unread.reason, unread.detail);
  // Replies go to the message's own sender, never to an address found in its body: a forwarded
  // request is answered to whoever forwarded it (SPEC §10).
  const sender = msg.from!.address;
  const limited = checkLimits(input, sender, f.dids);
  if (limited) return limited;
  const pon = cleanPon(f.pon);
  const spid = cleanPon(f.spid);
  const result = intakePortRequest(
    {
      carrier: {
        // Carrier-supplied text reaches customers only cleaned and bounded (carrier-text.ts).
        name: cleanCarrierName(f.carrierName ?? msg.from!.name) ?? domainOf(sender),
        email: sender,
        ...(spid ? { spid } : {}),
        ...(pon ? { pon } : {}),
      },
      provided: {
        ...echoed('name', f.name),
        ...echoed('company', f.company),
        ...echoed('street', f.street),
        ...echoed('city', f.city),
        ...echoed('state', f.state),
        ...echoed('zip', f.zip),
        ...echoed('accountNumber', f.accountNumber),
        ...echoed('btn', f.btn),
        ...(f.pin ? { pin: f.pin } : {}),
        ...echoed('authorizedName', f.authorizedName),
        ...fromProse(reading),
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
  const locks = result.pinLocks.map((l) => `account ${l.accountId} locked against ${l.carrier} after wrong PINs`);
  const notes = [...(result.unknownNumbers.length ? [`${result.unknownNumbers.length} number(s) on no account`] : []), ...locks];
  return {
    outcome: 'processed',
    orderIds: orders.map((o) => o.id),
    ...(notes.length ? { reason: notes.join('; ') } : {}),
    // A PIN being guessed is news support must have now, not in tomorrow's digest.
    ...(locks.length ? { urgent: true } : {}),
    changes: { orders },
    effects: result.effects,
  };
}

/**
 * An attachment a person must read, or fields the message and an attachment state differently:
 * either way the desk does not act on the request (nothing is created or sent).
 */
export function attachmentProblem(reading: PortRequestReading): { reason: 'UNREADABLE_ATTACHMENT' | 'CONFLICTING_FIELDS'; detail: string } | undefined {
  if (reading.unreadable.length) {
    return { reason: 'UNREADABLE_ATTACHMENT', detail: `${reading.unreadable.join('; ')}; the request was not acted on` };
  }
  if (reading.conflicts.length) {
    return { reason: 'CONFLICTING_FIELDS', detail: `the request states fields two ways: ${reading.conflicts.map((c) => c.detail).join('; ')}; not acted on` };
  }
  return undefined;
}

/** The fields read only from sentences, kept on the order for the auto-match (SPEC §15). */
function fromProse(reading: PortRequestReading): { fromProse?: string[] } {
  const fields = Object.entries(reading.sources)
    .filter(([, source]) => source === 'prose')
    .map(([field]) => field);
  return fields.length ? { fromProse: fields } : {};
}

/** A field the carrier wrote, kept one line and bounded (it is echoed back in a rejection). */
function echoed<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  const clean = cleanEchoedField(value);
  return clean ? ({ [key]: clean } as Record<K, string>) : {};
}

/**
 * The limits per request and per sender (SPEC §10), checked before anything is created or sent:
 * a breach parks the request in Review with its reason, never drops it.
 */
function checkLimits(input: InboundInput, sender: string, dids: readonly string[]): Handled | undefined {
  const { core, ctx } = input;
  const limits = core.limits;
  const accounts = distinctAccounts(dids, core.deps.store);
  if (accounts.length > limits.accountsPerRequest) {
    return review(
      input,
      'PROJECT_PORT',
      `port request naming numbers on ${accounts.length} accounts; more than ${limits.accountsPerRequest} (MAX_ACCOUNTS_PER_REQUEST) is a project port: nothing was sent, and its notices follow support's decision`,
    );
  }
  const made = core.usage.requestsFrom(sender, input.arrivedAt.getTime());
  if (made >= limits.requestsPerCarrierPerHour) {
    return review(input, 'RATE_LIMITED', `${sender} has sent ${made} port requests in the last hour (MAX_REQUESTS_PER_CARRIER_PER_HOUR ${limits.requestsPerCarrierPerHour}); not acted on`);
  }
  const flooded = accounts.filter((a) => core.usage.emailsTo(a.email, ctx.now.getTime()) >= limits.emailsPerCustomerPerDay);
  if (flooded.length) {
    return review(
      input,
      'RATE_LIMITED',
      `the customer of account ${flooded.map((a) => a.id).join(', ')} has had ${limits.emailsPerCustomerPerDay} or more e-mails from the desk in the last day (MAX_EMAILS_PER_CUSTOMER_PER_DAY); the request was not acted on, so they get no more`,
    );
  }
  return undefined;
}
