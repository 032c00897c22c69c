/**
 * Who really sent a message (SPEC §11), as the desk records it, and what the desk makes of it.
 * The From line is free text; DKIM, SPF and DMARC say whether the domain in it stands behind the
 * message. The adapter (mailauth, or a trusted Authentication-Results header) fills an
 * AuthResult; the rules below decide from it alone, so every row of the policy table is a pure
 * function that can be tested without a DNS server.
 */
import { z } from 'zod';

export const MAIL_AUTH_MODES = ['enforce', 'report', 'off'] as const;
export type MailAuthMode = (typeof MAIL_AUTH_MODES)[number];

/** Result words of RFC 8601 (Authentication-Results), for DKIM, SPF, DMARC and ARC alike. */
export const AUTH_RESULTS = ['pass', 'fail', 'softfail', 'neutral', 'none', 'policy', 'temperror', 'permerror'] as const;
export type AuthWord = (typeof AUTH_RESULTS)[number];

const Word = z.enum(AUTH_RESULTS);

export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const;

export const AuthResultSchema = z.object({
  /** Who checked: `portdesk` (the desk itself), `header:<authserv-id>` (a trusted MX), or `off`. */
  by: z.string(),
  /** The domain of the (single) From address. */
  fromDomain: z.string().optional(),
  dkim: Word,
  /** Domains of the DKIM signatures that verified. */
  dkimDomains: z.array(z.string()).default([]),
  spf: Word,
  /** The MAIL FROM (or HELO) domain SPF was checked for. */
  spfDomain: z.string().optional(),
  dmarc: Word,
  /** The From domain's published policy (p=, or sp= for a subdomain), when it has one. */
  dmarcPolicy: z.enum(DMARC_POLICIES).optional(),
  arc: Word,
  /** A DKIM or SPF pass for a domain aligned with the From domain (relaxed, as DMARC). */
  aligned: z.boolean(),
  /** A look-up failed for now (DNS time-out): asking again later may give another answer. */
  temporary: z.boolean().optional(),
});
export type AuthResult = z.infer<typeof AuthResultSchema>;

/** What is recorded when MAIL_AUTH=off: nothing was checked. */
export const AUTH_OFF: AuthResult = { by: 'off', dkim: 'none', dkimDomains: [], spf: 'none', dmarc: 'none', arc: 'none', aligned: false };

/**
 * DMARC fails and the domain asks receivers to act on failures (quarantine or reject). A fail under
 * p=none is recorded but refuses nothing: the domain's owner says its mail may not pass yet.
 */
export function isEnforcedDmarcFail(auth: AuthResult): boolean {
  return auth.dmarc === 'fail' && (auth.dmarcPolicy === 'quarantine' || auth.dmarcPolicy === 'reject');
}

/** An answer can only come later: a look-up timed out and nothing aligned passed meanwhile. */
export function isAuthPending(auth: AuthResult): boolean {
  return auth.temporary === true && !auth.aligned;
}

/** One line for logs, history and alerts: `dkim=pass spf=none dmarc=pass (p=reject) aligned`. */
export function describeAuth(auth: AuthResult): string {
  if (auth.by === 'off') return 'mail authentication off';
  const dmarc = `dmarc=${auth.dmarc}${auth.dmarcPolicy ? ` (p=${auth.dmarcPolicy})` : ''}`;
  const source = auth.by === 'portdesk' ? '' : ` per ${auth.by.replace(/^header:/, '')}`;
  return `dkim=${auth.dkim} spf=${auth.spf} ${dmarc} arc=${auth.arc}${auth.aligned ? ' aligned' : ''}${auth.temporary ? ' (DNS did not answer)' : ''}${source}`;
}

/** The verdict of one policy row: act, or park in Review with a reason; `note` goes to history. */
export type AuthVerdict =
  | { accept: true; note: string }
  | { accept: false; reason: 'AUTH_FAILED' | 'AUTH_UNAVAILABLE' | 'NOT_BOUND'; detail: string };

const accept = (note: string): AuthVerdict => ({ accept: true, note });

/** What an enforced DMARC fail makes of a message: refused (enforce), or noted (report). */
function forgedDomainVerdict(auth: AuthResult, mode: MailAuthMode): AuthVerdict | undefined {
  if (mode === 'off' || !isEnforcedDmarcFail(auth)) return undefined;
  const detail = `DMARC fails for ${auth.fromDomain ?? 'the sender domain'} (${describeAuth(auth)})`;
  if (mode === 'report') return accept(`${detail}; would be refused (MAIL_AUTH=report)`);
  return { accept: false, reason: 'AUTH_FAILED', detail };
}

/**
 * A customer's reply, already bound by a secret and from the address on file (rule 4): an
 * enforced DMARC fail refuses it; an aligned pass is recorded as authenticated; no DMARC record
 * and no signature is accepted on the strength of the secret alone, and recorded so.
 */
export function judgeCustomerReply(auth: AuthResult, mode: MailAuthMode): AuthVerdict {
  if (mode === 'off') return accept('mail authentication off; bound by the verification secret');
  const forged = forgedDomainVerdict(auth, mode);
  if (forged) return forged;
  const seen = describeAuth(auth);
  if (isAuthPending(auth)) {
    if (mode === 'report') return accept(`authentication incomplete (${seen}); accepted on the secret (MAIL_AUTH=report)`);
    return { accept: false, reason: 'AUTH_UNAVAILABLE', detail: `authentication could not be completed (${seen})` };
  }
  if (auth.aligned) return accept(`authenticated (${seen})`);
  return accept(`not authenticated by its domain (${seen}); accepted on the strength of the verification secret`);
}

/**
 * A carrier's completion or cancellation notice from the carrier that placed the order: it counts
 * when it answers the desk's own e-mail to that carrier about the order, or carries an aligned
 * DKIM/SPF pass for the carrier's domain. A carrier on a free-mail domain counts only from its
 * exact address with that pass (anyone can write from a free-mail domain, and its thread ids are
 * all a stranger would need). An enforced DMARC fail is never acted on.
 */
export function judgeCarrierNotice(
  auth: AuthResult,
  mode: MailAuthMode,
  facts: { inThread: boolean; freeMail: boolean },
): AuthVerdict {
  const seen = describeAuth(auth);
  const forged = forgedDomainVerdict(auth, mode);
  if (forged && !forged.accept) return forged;
  // Report mode: what the thread alone would have accepted is accepted, with the refusal noted.
  if (forged && facts.inThread && !facts.freeMail) return accept(`in the desk's thread with the carrier; ${forged.note}`);
  if (mode !== 'off' && auth.aligned) return accept(`authenticated for the carrier's domain (${seen})`);
  if (mode === 'enforce' && isAuthPending(auth)) {
    return { accept: false, reason: 'AUTH_UNAVAILABLE', detail: `authentication could not be completed (${seen})` };
  }
  if (facts.freeMail) {
    return {
      accept: false,
      reason: 'NOT_BOUND',
      detail: `the carrier writes from a free-mail domain, so only an authenticated message from its exact address counts (${seen})`,
    };
  }
  if (facts.inThread) return accept(`in the desk's thread with the carrier (${seen})`);
  return { accept: false, reason: 'NOT_BOUND', detail: `neither an answer to the desk's e-mail to this carrier nor authenticated for its domain (${seen})` };
}

/** A port request or CSR request: refused only when DMARC says the From address is forged. */
export function judgeRequest(auth: AuthResult, mode: MailAuthMode): AuthVerdict {
  if (mode === 'off') return accept('mail authentication off');
  return forgedDomainVerdict(auth, mode) ?? accept(describeAuth(auth));
}
