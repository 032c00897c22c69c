/**
 * Mail authentication with mailauth (SPEC §11): DKIM, SPF when the SMTP envelope is known, DMARC
 * and ARC, every DNS look-up through the desk's own caching resolver (MAIL_AUTH_DNS).
 *
 * With IMAP the desk never saw the SMTP session, so SPF cannot be checked here; an MX that did
 * check it says so in an Authentication-Results header. Such a header is believed only when its
 * authserv-id is in TRUSTED_AUTHSERV_IDS (the provider's own MX, which removes headers that claim
 * its name before adding its own, RFC 8601 §5), and only the topmost such header: anything below
 * it was written before the message reached the MX, by whoever sent it. Without a trusted header
 * the desk verifies DKIM itself and evaluates DMARC on DKIM alone.
 */
import type { ARCResult, DKIMVerifyResult, DMARCResult, DNSResolver } from 'mailauth';
import { isIP } from 'node:net';
import { AUTH_OFF, AUTH_RESULTS, DMARC_POLICIES, type AuthResult, type AuthWord, type MailAuthMode } from '../domain/mail-auth.js';
import type { Logger } from '../logger.js';
import type { MailAuthenticator } from '../ports/mail-authenticator.js';
import type { SmtpEnvelope } from '../ports/mail-source.js';

/**
 * mailauth and the libraries it brings (about 25 MB and 0.1 s) are loaded with the first message
 * to check, not at start: the desk's start-up, when it reads its records, is its peak in memory.
 */
type Lib = typeof import('./mailauth-loader.js');
let loading: Promise<Lib> | undefined;
const loadLib = (): Promise<Lib> => (loading ??= import('./mailauth-loader.js'));

/** The resolver mailauth calls for every look-up; node's dns.promises.resolve contract. */
export type ResolveDns = (name: string, rrtype: string) => Promise<unknown[]>;

export interface MailAuthenticatorOptions {
  mode: MailAuthMode;
  resolve: ResolveDns;
  /** The desk's name in Authentication-Results (AUTHSERV_ID). */
  authservId: string;
  /** Authentication-Results from these authserv-ids are believed (TRUSTED_AUTHSERV_IDS). */
  trustedAuthservIds: readonly string[];
  /** However slow the DNS, a message is judged (as `temporary`) after this long (default 10 s). */
  deadlineMs?: number;
  /** Messages checked at once (default 8); the rest wait their turn. */
  concurrency?: number;
  log?: Logger;
}

export function createMailAuthenticator(options: MailAuthenticatorOptions): MailAuthenticator {
  const trusted = new Set(options.trustedAuthservIds.map((id) => id.trim().toLowerCase()).filter(Boolean));
  // mailauth's type names only TXT-shaped answers; the function answers every record type.
  const resolver = options.resolve as DNSResolver;
  const deadlineMs = options.deadlineMs ?? 10_000;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  // The checks run on the desk's thread: more at once gains nothing but holds more messages'
  // worth of mailauth's buffers in memory while an IMAP batch of a hundred is handed over. The
  // cached DNS answers make a check's waits short; a slow domain's holds one slot of eight.
  let running = 0;
  const waiting: (() => void)[] = [];
  async function inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  }

  async function check(raw: Buffer, envelope: SmtpEnvelope | undefined): Promise<AuthResult> {
    const lib = await loadLib();
    const { mailauth } = lib;
    const header = trusted.size ? trustedHeader(lib, raw, trusted) : undefined;
    if (header) return fromTrustedHeader(lib, header, raw, options.resolve);
    // mailauth's authenticate() less what the desk does not use (BIMI, the header it would add,
    // an SPF check without a client address): DKIM, SPF when the session is known, ARC, DMARC.
    const dkim = await mailauth.dkimVerify(raw, { resolver, ...(envelope?.mailFrom ? { sender: envelope.mailFrom } : {}) });
    const spf = envelope ? await checkSpf(lib, envelope, options.authservId, resolver) : undefined;
    const arc = await mailauth.arc((dkim as DKIMVerifyResult & { arc: unknown }).arc as never, { resolver });
    const headerFrom = dkim.headerFrom ?? [];
    const dmarc = headerFrom.length
      ? await mailauth.dmarc({
          headerFrom,
          spfDomains: spf?.status.result === 'pass' && spf.domain ? [spf.domain] : [],
          dkimDomains: dkim.results
            .filter((r) => r.status.result === 'pass')
            .map((r) => ({ ...(r.id ? { id: r.id } : {}), domain: r.signingDomain, ...(r.status.aligned !== undefined ? { aligned: r.status.aligned } : {}), ...(r.status.underSized !== undefined ? { underSized: r.status.underSized } : {}) })),
          arcResult: arc,
          resolver,
        })
      : false;
    return fromChecks(lib, dkim, spf, dmarc, arc);
  }

  return {
    authenticate(raw, envelope) {
      if (options.mode === 'off') return Promise.resolve(AUTH_OFF);
      return inTurn(() => judge(raw, envelope));
    },
  };

  /** One message's check, bounded by the deadline from the moment it starts. */
  async function judge(raw: Buffer, envelope: SmtpEnvelope | undefined): Promise<AuthResult> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<AuthResult>((resolve) => {
      timer = setTimeout(() => resolve({ ...unchecked('temperror'), temporary: true }), deadlineMs);
      timer.unref();
    });
    try {
      return await Promise.race([check(raw, envelope), late]);
    } catch (err) {
      // A message mailauth cannot read is judged as if it carried nothing verifiable.
      options.log?.warn({ err: { message: (err as Error).message } }, 'mail authentication failed; recorded as permerror');
      return unchecked('permerror');
    } finally {
      clearTimeout(timer);
    }
  }
}

function unchecked(word: AuthWord): AuthResult {
  return { by: 'portdesk', dkim: word, dkimDomains: [], spf: word, dmarc: word, arc: word, aligned: false };
}

function word(value: unknown): AuthWord {
  const v = String(value ?? 'none').toLowerCase();
  if (v === 'temperr') return 'temperror';
  if (v === 'skipped') return 'none';
  return (AUTH_RESULTS as readonly string[]).includes(v) ? (v as AuthWord) : 'neutral';
}

/** The DKIM word of several signatures: one pass is enough; a time-out beats a failure. */
function dkimWord(words: AuthWord[]): AuthWord {
  for (const w of ['pass', 'temperror', 'fail', 'permerror', 'policy', 'neutral'] as const) if (words.includes(w)) return w;
  return 'none';
}

/**
 * mailauth calls a body that no longer matches its signature `neutral`; RFC 8601 §2.7.1 says a
 * signature that does not verify is `fail` (`neutral` is for one that could not be processed).
 */
function signatureWord(sig: DKIMVerifyResult['results'][number]): AuthWord {
  if (sig.status.result === 'neutral' && /body hash did not verify/i.test(sig.status.comment ?? '')) return 'fail';
  return word(sig.status.result);
}

function policyOf(value: unknown): AuthResult['dmarcPolicy'] {
  const v = String(value ?? '').toLowerCase();
  return (DMARC_POLICIES as readonly string[]).includes(v) ? (v as AuthResult['dmarcPolicy']) : undefined;
}

function domainOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  const domain = (at >= 0 ? address.slice(at + 1) : address).trim().toLowerCase().replace(/[>\s]+$/, '');
  return domain || undefined;
}

function isAligned(lib: Lib, fromDomain: string | undefined, domains: string[]): boolean {
  return !!fromDomain && domains.length > 0 && lib.getAlignment(fromDomain, domains, false) !== false;
}

type SpfResult = { domain?: string; status: { result: string } };

/** SPF for the SMTP session, as mailauth's authenticate() calls it. */
async function checkSpf(lib: Lib, envelope: SmtpEnvelope, mta: string, resolver: DNSResolver): Promise<SpfResult> {
  const helo = envelope.helo || envelope.clientIp;
  return (await lib.mailauth.spf({
    ip: envelope.clientIp,
    // An address literal in HELO is written in brackets (RFC 5321).
    helo: isIP(helo) ? `[${helo}]` : helo,
    ...(envelope.mailFrom ? { sender: envelope.mailFrom } : {}),
    mta,
    resolver,
  })) as unknown as SpfResult;
}

function fromChecks(lib: Lib, dkim: DKIMVerifyResult, spf: SpfResult | undefined, dmarc: DMARCResult | false, arc: ARCResult | false): AuthResult {
  const fromDomain = domainOf(dkim.headerFrom?.[0]);
  const signatures = dkim.results ?? [];
  const dkimDomains = signatures.filter((s) => s.status.result === 'pass').map((s) => s.signingDomain.toLowerCase());
  const spfWord = spf ? word(spf.status.result) : 'none';
  const spfDomain = spf?.domain && spf.domain !== 'undefined' ? spf.domain.toLowerCase() : undefined;
  const policy = dmarc ? policyOf(dmarc.policy) : undefined;
  const result: AuthResult = {
    by: 'portdesk',
    ...(fromDomain ? { fromDomain } : {}),
    dkim: dkimWord(signatures.map(signatureWord)),
    dkimDomains,
    spf: spfWord,
    ...(spfDomain ? { spfDomain } : {}),
    // mailauth gives no DMARC result for a From line with several addresses: that is an error
    // (RFC 7489 §6.6.1), not the absence of a policy.
    dmarc: dmarc ? word(dmarc.status.result) : (dkim.headerFrom?.length ?? 0) > 1 ? 'permerror' : 'none',
    ...(policy ? { dmarcPolicy: policy } : {}),
    arc: arc ? word(arc.status.result) : 'none',
    aligned: isAligned(lib, fromDomain, dkimDomains) || (spfWord === 'pass' && !!spfDomain && isAligned(lib, fromDomain, [spfDomain])),
  };
  return withTemporary(result);
}

/**
 * A look-up that timed out leaves the answer open. mailauth still computes DMARC from what did
 * pass, so an unanswered DKIM key reads as a DMARC "fail" — which it is not: the signature may
 * well verify once DNS answers. Unless something aligned passed, DMARC is then `temperror`.
 */
function withTemporary(result: AuthResult): AuthResult {
  if (![result.dkim, result.spf, result.dmarc].includes('temperror')) return result;
  const dmarc = !result.aligned && result.dmarc === 'fail' ? 'temperror' : result.dmarc;
  return { ...result, dmarc, temporary: true };
}

// ---------------------------------------------------------------------------------------------
// A trusted Authentication-Results header

type Part = { value?: string; header?: Record<string, string>; smtp?: Record<string, string>; policy?: Record<string, string>; comment?: string };

/** The unfolded header block of a message, one field per entry. */
function headerFields(raw: Buffer): string[] {
  const text = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  return block.split(/\r?\n(?![ \t])/).map((f) => f.replace(/\r?\n[ \t]+/g, ' '));
}

/** The topmost Authentication-Results header, if its authserv-id is trusted. */
function trustedHeader(lib: Lib, raw: Buffer, trusted: Set<string>): Record<string, unknown> | undefined {
  for (const field of headerFields(raw)) {
    if (!/^authentication-results\s*:/i.test(field)) continue;
    const parsed = lib.parseDkimHeaders(field).parsed;
    // RFC 8601 lets the id carry a version after it (`mx.example.com 1;`).
    const id = String(parsed.value ?? '').trim().split(/\s+/)[0]!.toLowerCase();
    // Only the header the MX added on top counts; headers below it came with the message.
    return trusted.has(id) ? parsed : undefined;
  }
  return undefined;
}

function fromHeaderAddress(raw: Buffer): string | undefined {
  const field = headerFields(raw).find((f) => /^from\s*:/i.test(f));
  if (!field) return undefined;
  const value = field.replace(/^from\s*:/i, '');
  return /<([^<>@\s]+@[^<>\s]+)>/.exec(value)?.[1] ?? /([^\s<>"(),;:]+@[^\s<>"(),;:]+)/.exec(value)?.[1];
}

async function fromTrustedHeader(lib: Lib, parsed: Record<string, unknown>, raw: Buffer, resolve: ResolveDns): Promise<AuthResult> {
  const fromAddress = fromHeaderAddress(raw);
  const fromDomain = domainOf(fromAddress);
  const dkimParts = (Array.isArray(parsed.dkim) ? parsed.dkim : []) as Part[];
  const dkimDomains = dkimParts
    .filter((p) => word(p.value) === 'pass')
    .map((p) => (p.header?.d ?? domainOf(p.header?.i) ?? '').toLowerCase())
    .filter(Boolean);
  const spf = parsed.spf as Part | undefined;
  const spfWord = word(spf?.value);
  const spfDomain = domainOf(spf?.smtp?.mailfrom ?? spf?.smtp?.helo);
  const arc = parsed.arc as Part | undefined;
  const dmarcPart = parsed.dmarc as Part | undefined;
  let dmarcWord = dmarcPart ? word(dmarcPart.value) : undefined;
  let dmarcPolicy = dmarcPart ? policyOf(dmarcPart.policy?.dmarc ?? dmarcPart.policy?.['published-domain-policy'] ?? /\bp=(\w+)/i.exec(dmarcPart.comment ?? '')?.[1]) : undefined;
  if (!dmarcWord && fromAddress) {
    // The MX checked DKIM and SPF but not DMARC: the desk looks up the policy itself.
    const own = await lib.mailauth.dmarc({
      headerFrom: fromAddress,
      spfDomains: spfWord === 'pass' && spfDomain ? [spfDomain] : [],
      dkimDomains: dkimDomains.map((domain) => ({ domain })),
      resolver: resolve as DNSResolver,
    });
    if (own) {
      dmarcWord = word(own.status.result);
      dmarcPolicy = policyOf(own.policy);
    }
  }
  const result: AuthResult = {
    by: `header:${String(parsed.value).trim().split(/\s+/)[0]}`,
    ...(fromDomain ? { fromDomain } : {}),
    dkim: dkimWord(dkimParts.map((p) => word(p.value))),
    dkimDomains,
    spf: spfWord,
    ...(spfDomain ? { spfDomain } : {}),
    dmarc: dmarcWord ?? 'none',
    ...(dmarcPolicy ? { dmarcPolicy } : {}),
    arc: word(arc?.value),
    aligned: isAligned(lib, fromDomain, dkimDomains) || (spfWord === 'pass' && !!spfDomain && isAligned(lib, fromDomain, [spfDomain])),
  };
  return withTemporary(result);
}
