/**
 * A MailAuthenticator for use-case tests: the result is set per From domain by the test, so the
 * policy rows of SPEC §11 can be driven without DNS. Unknown domains get "nothing to check":
 * no signature, no SPF, no DMARC record.
 */
import type { AuthResult } from '../../src/domain/mail-auth.js';
import type { MailAuthenticator } from '../../src/ports/mail-authenticator.js';

export const UNSIGNED: AuthResult = { by: 'portdesk', dkim: 'none', dkimDomains: [], spf: 'none', dmarc: 'none', arc: 'none', aligned: false };

/** An aligned DKIM pass for `domain` under a DMARC policy. */
export function signedBy(domain: string, policy: AuthResult['dmarcPolicy'] = 'reject'): AuthResult {
  return { by: 'portdesk', fromDomain: domain, dkim: 'pass', dkimDomains: [domain], spf: 'none', dmarc: 'pass', dmarcPolicy: policy, arc: 'none', aligned: true };
}

/** No signature from a domain that publishes DMARC `policy`: DMARC fails. */
export function forgedFrom(domain: string, policy: AuthResult['dmarcPolicy'] = 'reject'): AuthResult {
  return { by: 'portdesk', fromDomain: domain, dkim: 'none', dkimDomains: [], spf: 'none', dmarc: 'fail', dmarcPolicy: policy, arc: 'none', aligned: false };
}

export class FakeAuthenticator implements MailAuthenticator {
  readonly byDomain = new Map<string, AuthResult>();
  calls = 0;

  async authenticate(raw: Buffer): Promise<AuthResult> {
    this.calls += 1;
    const from = /^from:.*?([^\s<>"]+@([^\s<>"]+))/im.exec(raw.toString('latin1'));
    const domain = from?.[2]?.toLowerCase().replace(/>$/, '');
    const result = domain ? this.byDomain.get(domain) : undefined;
    return result ?? { ...UNSIGNED, ...(domain ? { fromDomain: domain } : {}) };
  }
}
