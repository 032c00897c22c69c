/**
 * Mail domains for end-to-end tests of mail authentication: each publishes its DKIM key, SPF and
 * DMARC records in the test's DNS server and signs messages as the domain's real mail server
 * would. `.test` counts as a top-level domain for DMARC alignment, so every domain here is a
 * second-level name of its own.
 */
import { makeDkimKey, publishDkimKey, signMessage, type DkimSigner } from '../../support/dkim.js';
import type { TestDnsServer } from '../../support/dns-server.js';

export interface MailDomainOptions {
  /** The published DMARC policy; unset: no DMARC record at all. */
  dmarc?: 'none' | 'quarantine' | 'reject';
  /** The SPF record, e.g. `v=spf1 ip4:127.0.0.1 -all`; unset: none. */
  spf?: string;
}

export class MailDomain {
  private readonly signer: DkimSigner;

  constructor(
    dns: TestDnsServer,
    readonly name: string,
    opts: MailDomainOptions = {},
  ) {
    this.signer = { signingDomain: name, selector: 's1', key: makeDkimKey() };
    publishDkimKey(dns, name, this.signer.selector, this.signer.key);
    if (opts.dmarc) dns.set(`_dmarc.${name}`, { TXT: [`v=DMARC1; p=${opts.dmarc}`] });
    if (opts.spf) dns.set(name, { TXT: [opts.spf] });
  }

  /** The message with this domain's DKIM-Signature on top. */
  sign(raw: Buffer): Promise<Buffer> {
    return signMessage(raw, this.signer);
  }
}
