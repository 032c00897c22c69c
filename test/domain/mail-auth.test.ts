/**
 * The policy table of SPEC §11, row by row, for each MAIL_AUTH mode: what the desk makes of who
 * really sent a customer's reply, a carrier's notice, or a request. Each situation is an
 * AuthResult as the mailauth adapter would record it; no DNS is involved.
 */
import { describe, expect, it } from 'vitest';
import {
  AUTH_OFF,
  describeAuth,
  isAuthPending,
  isEnforcedDmarcFail,
  judgeCarrierNotice,
  judgeCustomerReply,
  judgeRequest,
  type AuthResult,
  type AuthVerdict,
  type MailAuthMode,
} from '../../src/domain/mail-auth.js';

// ---------------------------------------------------------------------------------------------
// Situations, as recorded for a message from harbordental.example.test

const DOMAIN = 'harbordental.example.test';

/** DKIM-signed by its own domain, DMARC passes. */
const ALIGNED_PASS: AuthResult = {
  by: 'portdesk',
  fromDomain: DOMAIN,
  dkim: 'pass',
  dkimDomains: [DOMAIN],
  spf: 'none',
  dmarc: 'pass',
  dmarcPolicy: 'reject',
  arc: 'none',
  aligned: true,
};

/** No signature, no SPF, and the domain publishes no DMARC record. */
const UNSIGNED: AuthResult = { by: 'portdesk', fromDomain: DOMAIN, dkim: 'none', dkimDomains: [], spf: 'none', dmarc: 'none', arc: 'none', aligned: false };

/** Signed by someone else, SPF fails, and the From domain's DMARC policy is `policy`. */
function dmarcFail(policy: 'none' | 'quarantine' | 'reject'): AuthResult {
  return {
    by: 'portdesk',
    fromDomain: DOMAIN,
    dkim: 'pass',
    dkimDomains: ['bulk-sender.example.test'],
    spf: 'fail',
    spfDomain: 'bulk-sender.example.test',
    dmarc: 'fail',
    dmarcPolicy: policy,
    arc: 'none',
    aligned: false,
  };
}

/** The DNS look-ups timed out: nothing could be verified yet. */
const DNS_TIMEOUT: AuthResult = {
  by: 'portdesk',
  fromDomain: DOMAIN,
  dkim: 'temperror',
  dkimDomains: [],
  spf: 'temperror',
  dmarc: 'temperror',
  arc: 'none',
  aligned: false,
  temporary: true,
};

/** One look-up timed out, but an aligned DKIM signature already verified. */
const TIMEOUT_BUT_ALIGNED: AuthResult = { ...ALIGNED_PASS, spf: 'temperror', temporary: true };

type Expected = 'accept' | 'AUTH_FAILED' | 'AUTH_UNAVAILABLE' | 'NOT_BOUND';

function outcome(verdict: AuthVerdict): Expected {
  return verdict.accept ? 'accept' : verdict.reason;
}

/** One row per situation, the expected verdict per mode, flattened for it.each. */
function rows(table: [string, AuthResult, Record<MailAuthMode, Expected>][]): [string, MailAuthMode, Expected, AuthResult][] {
  return table.flatMap(([situation, auth, byMode]) =>
    (['enforce', 'report', 'off'] as const).map((mode): [string, MailAuthMode, Expected, AuthResult] => [situation, mode, byMode[mode], auth]),
  );
}

// ---------------------------------------------------------------------------------------------
// Building blocks

describe('isEnforcedDmarcFail', () => {
  it.each([
    ['DMARC fail under p=reject', true, dmarcFail('reject')],
    ['DMARC fail under p=quarantine', true, dmarcFail('quarantine')],
    ['DMARC fail under p=none (the owner says its mail may not pass yet)', false, dmarcFail('none')],
    ['DMARC fail with no policy recorded', false, { ...dmarcFail('reject'), dmarcPolicy: undefined }],
    ['DMARC pass under p=reject', false, ALIGNED_PASS],
    ['no DMARC record', false, UNSIGNED],
    ['DMARC temperror', false, DNS_TIMEOUT],
  ] as [string, boolean, AuthResult][])('%s → %s', (_situation, expected, auth) => {
    expect(isEnforcedDmarcFail(auth)).toBe(expected);
  });
});

describe('isAuthPending', () => {
  it.each([
    ['a look-up timed out and nothing aligned passed', true, DNS_TIMEOUT],
    ['a look-up timed out but an aligned pass already stands', false, TIMEOUT_BUT_ALIGNED],
    ['every look-up answered, nothing passed', false, UNSIGNED],
    ['every look-up answered, aligned pass', false, ALIGNED_PASS],
  ])('%s → %s', (_situation, expected, auth) => {
    expect(isAuthPending(auth)).toBe(expected);
  });
});

describe('describeAuth', () => {
  it('lists each result, the DMARC policy and alignment', () => {
    expect(describeAuth(ALIGNED_PASS)).toBe('dkim=pass spf=none dmarc=pass (p=reject) arc=none aligned');
  });

  it('leaves out the policy when the domain has none, and alignment when nothing aligned', () => {
    expect(describeAuth(UNSIGNED)).toBe('dkim=none spf=none dmarc=none arc=none');
  });

  it('says when DNS did not answer', () => {
    expect(describeAuth(DNS_TIMEOUT)).toBe('dkim=temperror spf=temperror dmarc=temperror arc=none (DNS did not answer)');
  });

  it('names the trusted MX whose Authentication-Results header it came from', () => {
    expect(describeAuth({ ...dmarcFail('quarantine'), by: 'header:mx1.desk.example.test' })).toBe(
      'dkim=pass spf=fail dmarc=fail (p=quarantine) arc=none per mx1.desk.example.test',
    );
  });

  it('says so when nothing was checked', () => {
    expect(describeAuth(AUTH_OFF)).toBe('mail authentication off');
  });
});

// ---------------------------------------------------------------------------------------------
// Customer replies (already bound by a secret and from the address on file)

describe('judgeCustomerReply', () => {
  it.each(
    rows([
      ['aligned DKIM pass', ALIGNED_PASS, { enforce: 'accept', report: 'accept', off: 'accept' }],
      ['no DMARC record and unsigned', UNSIGNED, { enforce: 'accept', report: 'accept', off: 'accept' }],
      ['DMARC fail under p=reject', dmarcFail('reject'), { enforce: 'AUTH_FAILED', report: 'accept', off: 'accept' }],
      ['DMARC fail under p=quarantine', dmarcFail('quarantine'), { enforce: 'AUTH_FAILED', report: 'accept', off: 'accept' }],
      ['DMARC fail under p=none', dmarcFail('none'), { enforce: 'accept', report: 'accept', off: 'accept' }],
      ['temporary DNS failure', DNS_TIMEOUT, { enforce: 'AUTH_UNAVAILABLE', report: 'accept', off: 'accept' }],
      ['temporary DNS failure after an aligned pass', TIMEOUT_BUT_ALIGNED, { enforce: 'accept', report: 'accept', off: 'accept' }],
    ]),
  )('%s, MAIL_AUTH=%s → %s', (_situation, mode, expected, auth) => {
    expect(outcome(judgeCustomerReply(auth, mode))).toBe(expected);
  });

  it('records an aligned pass as authenticated', () => {
    expect(judgeCustomerReply(ALIGNED_PASS, 'enforce')).toEqual({ accept: true, note: 'authenticated (dkim=pass spf=none dmarc=pass (p=reject) arc=none aligned)' });
  });

  it('records an unsigned reply without DMARC as accepted on the strength of the secret alone', () => {
    const verdict = judgeCustomerReply(UNSIGNED, 'enforce');
    expect(verdict.accept && verdict.note).toMatch(/^not authenticated by its domain .*accepted on the strength of the verification secret$/);
  });

  it('refuses a DMARC fail under p=reject naming the domain and what was seen', () => {
    expect(judgeCustomerReply(dmarcFail('reject'), 'enforce')).toEqual({
      accept: false,
      reason: 'AUTH_FAILED',
      detail: `DMARC fails for ${DOMAIN} (dkim=pass spf=fail dmarc=fail (p=reject) arc=none)`,
    });
  });

  it('accepts a DMARC fail under MAIL_AUTH=report with a note that it would be refused', () => {
    const verdict = judgeCustomerReply(dmarcFail('reject'), 'report');
    expect(verdict.accept && verdict.note).toMatch(/^DMARC fails for harbordental\.example\.test .*; would be refused \(MAIL_AUTH=report\)$/);
  });

  it('accepts a temporary DNS failure under MAIL_AUTH=report, saying authentication was incomplete', () => {
    const verdict = judgeCustomerReply(DNS_TIMEOUT, 'report');
    expect(verdict.accept && verdict.note).toMatch(/^authentication incomplete .*accepted on the secret \(MAIL_AUTH=report\)$/);
  });

  it('says mail authentication is off when MAIL_AUTH=off', () => {
    expect(judgeCustomerReply(AUTH_OFF, 'off')).toEqual({ accept: true, note: 'mail authentication off; bound by the verification secret' });
  });
});

// ---------------------------------------------------------------------------------------------
// Carrier completion and cancellation notices

describe('judgeCarrierNotice', () => {
  /** Facts in the order [in thread, own domain], [out of thread, own domain], [in thread, free-mail], [out of thread, free-mail]. */
  type ByFacts = [Expected, Expected, Expected, Expected];
  const FACTS = [
    ["in the desk's thread, own domain", { inThread: true, freeMail: false }],
    ["out of the desk's thread, own domain", { inThread: false, freeMail: false }],
    ["in the desk's thread, free-mail carrier", { inThread: true, freeMail: true }],
    ["out of the desk's thread, free-mail carrier", { inThread: false, freeMail: true }],
  ] as const;

  const ONLY_IN_THREAD_OWN_DOMAIN: ByFacts = ['accept', 'NOT_BOUND', 'NOT_BOUND', 'NOT_BOUND'];
  const TABLE: [string, MailAuthMode, AuthResult, ByFacts][] = [
    ['unsigned, no DMARC record', 'enforce', UNSIGNED, ONLY_IN_THREAD_OWN_DOMAIN],
    ['unsigned, no DMARC record', 'report', UNSIGNED, ONLY_IN_THREAD_OWN_DOMAIN],
    ['unsigned, no DMARC record', 'off', UNSIGNED, ONLY_IN_THREAD_OWN_DOMAIN],
    ['aligned DKIM pass', 'enforce', ALIGNED_PASS, ['accept', 'accept', 'accept', 'accept']],
    ['aligned DKIM pass', 'report', ALIGNED_PASS, ['accept', 'accept', 'accept', 'accept']],
    ['aligned DKIM pass (not checked)', 'off', ALIGNED_PASS, ONLY_IN_THREAD_OWN_DOMAIN],
    ['DMARC fail under p=reject', 'enforce', dmarcFail('reject'), ['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']],
    ['DMARC fail under p=reject', 'report', dmarcFail('reject'), ONLY_IN_THREAD_OWN_DOMAIN],
    ['DMARC fail under p=reject (not checked)', 'off', dmarcFail('reject'), ONLY_IN_THREAD_OWN_DOMAIN],
    ['DMARC fail under p=quarantine', 'enforce', dmarcFail('quarantine'), ['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']],
    ['DMARC fail under p=none', 'enforce', dmarcFail('none'), ONLY_IN_THREAD_OWN_DOMAIN],
    ['DMARC fail under p=none', 'report', dmarcFail('none'), ONLY_IN_THREAD_OWN_DOMAIN],
    ['temporary DNS failure', 'enforce', DNS_TIMEOUT, ['AUTH_UNAVAILABLE', 'AUTH_UNAVAILABLE', 'AUTH_UNAVAILABLE', 'AUTH_UNAVAILABLE']],
    ['temporary DNS failure', 'report', DNS_TIMEOUT, ONLY_IN_THREAD_OWN_DOMAIN],
    ['temporary DNS failure (not checked)', 'off', DNS_TIMEOUT, ONLY_IN_THREAD_OWN_DOMAIN],
    ['temporary DNS failure after an aligned pass', 'enforce', TIMEOUT_BUT_ALIGNED, ['accept', 'accept', 'accept', 'accept']],
  ];

  it.each(
    TABLE.flatMap(([situation, mode, auth, byFacts]) =>
      FACTS.map(([where, facts], i) => [situation, where, mode, byFacts[i]!, auth, facts] as const),
    ),
  )('%s, %s, MAIL_AUTH=%s → %s', (_situation, _where, mode, expected, auth, facts) => {
    expect(outcome(judgeCarrierNotice(auth, mode, facts))).toBe(expected);
  });

  it("explains a refused out-of-thread, unauthenticated notice as neither in the thread nor authenticated", () => {
    const verdict = judgeCarrierNotice(UNSIGNED, 'enforce', { inThread: false, freeMail: false });
    expect(verdict).toMatchObject({ accept: false, reason: 'NOT_BOUND' });
    expect(!verdict.accept && verdict.detail).toMatch(/^neither an answer to the desk's e-mail to this carrier nor authenticated for its domain/);
  });

  it('explains a refused free-mail notice by the free-mail domain', () => {
    const verdict = judgeCarrierNotice(UNSIGNED, 'enforce', { inThread: true, freeMail: true });
    expect(!verdict.accept && verdict.detail).toMatch(/^the carrier writes from a free-mail domain/);
  });

  it('accepts an in-thread DMARC fail under MAIL_AUTH=report with a note that it would be refused', () => {
    const verdict = judgeCarrierNotice(dmarcFail('reject'), 'report', { inThread: true, freeMail: false });
    expect(verdict.accept && verdict.note).toMatch(/^in the desk's thread with the carrier; DMARC fails for .*would be refused \(MAIL_AUTH=report\)$/);
  });

  it('records an aligned pass as authenticated for the carrier domain', () => {
    const verdict = judgeCarrierNotice(ALIGNED_PASS, 'enforce', { inThread: false, freeMail: true });
    expect(verdict.accept && verdict.note).toMatch(/^authenticated for the carrier's domain/);
  });
});

// ---------------------------------------------------------------------------------------------
// Port requests and CSR requests

describe('judgeRequest', () => {
  it.each(
    rows([
      ['DMARC fail under p=reject', dmarcFail('reject'), { enforce: 'AUTH_FAILED', report: 'accept', off: 'accept' }],
      ['DMARC fail under p=quarantine', dmarcFail('quarantine'), { enforce: 'AUTH_FAILED', report: 'accept', off: 'accept' }],
      ['DMARC fail under p=none', dmarcFail('none'), { enforce: 'accept', report: 'accept', off: 'accept' }],
      ['aligned DKIM pass', ALIGNED_PASS, { enforce: 'accept', report: 'accept', off: 'accept' }],
      ['unsigned, no DMARC record', UNSIGNED, { enforce: 'accept', report: 'accept', off: 'accept' }],
      ['temporary DNS failure', DNS_TIMEOUT, { enforce: 'accept', report: 'accept', off: 'accept' }],
    ]),
  )('%s, MAIL_AUTH=%s → %s', (_situation, mode, expected, auth) => {
    expect(outcome(judgeRequest(auth, mode))).toBe(expected);
  });

  it('refuses a forged From naming the domain, and records what was seen when it accepts', () => {
    expect(judgeRequest(dmarcFail('quarantine'), 'enforce')).toEqual({
      accept: false,
      reason: 'AUTH_FAILED',
      detail: `DMARC fails for ${DOMAIN} (dkim=pass spf=fail dmarc=fail (p=quarantine) arc=none)`,
    });
    expect(judgeRequest(UNSIGNED, 'enforce')).toEqual({ accept: true, note: 'dkim=none spf=none dmarc=none arc=none' });
  });

  it('accepts a forged From under MAIL_AUTH=report with a note that it would be refused', () => {
    const verdict = judgeRequest(dmarcFail('reject'), 'report');
    expect(verdict.accept && verdict.note).toMatch(/would be refused \(MAIL_AUTH=report\)$/);
  });
});
