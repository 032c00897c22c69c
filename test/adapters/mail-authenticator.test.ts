/**
 * Mail authentication (SPEC §11) end to end below the pipeline: mailauth through the desk's caching
 * resolver against a real DNS server on loopback, with keys made at run time and real signatures.
 *
 * Every domain is a distinct second-level name under `.test`: mailauth aligns on the organizational
 * domain from the public suffix list, where `.test` is the TLD, so `a.example.test` and
 * `b.example.test` would count as the same sender.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDnsResolver, type DnsResolver, type DnsResolverOptions } from '../../src/adapters/dns-resolver.js';
import { createMailAuthenticator, type MailAuthenticatorOptions } from '../../src/adapters/mail-authenticator.js';
import type { MailAuthenticator } from '../../src/ports/mail-authenticator.js';
import type { SmtpEnvelope } from '../../src/ports/mail-source.js';
import { dkimKeyName, makeDkimKey, publishDkimKey, signMessage, type DkimKey } from '../support/dkim.js';
import { startTestDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { buildMail } from '../support/mail-builder.js';

/** Signs with selector s1, publishes p=reject, and lets 127.0.0.1 send for it. */
const CUSTOMER = 'customer-mail.test';
/** Signs with an ed25519 key (selector e1), publishes p=quarantine; only 192.0.2.1 may send for it. */
const CARRIER = 'northwind-telecom.test';
/** Publishes p=none and nothing else. */
const RELAXED = 'relaxed-isp.test';
/** Publishes nothing at all: every look-up is NXDOMAIN. */
const PLAIN = 'plain-isp.test';
/** Signs its own mail (selector s1) and publishes p=reject, like any careful spammer. */
const EVIL = 'evil.test';
const DESK_MX = 'mx.desk.test';

let customerKey: DkimKey;
let carrierKey: DkimKey;
let evilKey: DkimKey;
let dns: TestDnsServer;
const resolvers: DnsResolver[] = [];

beforeAll(() => {
  customerKey = makeDkimKey('rsa');
  carrierKey = makeDkimKey('ed25519');
  evilKey = makeDkimKey('rsa');
});

beforeEach(async () => {
  // A fresh server per test: its query counts start at zero and no blackhole leaks between tests.
  dns = await startTestDnsServer();
  publishDkimKey(dns, CUSTOMER, 's1', customerKey);
  dns.set(`_dmarc.${CUSTOMER}`, { TXT: [`v=DMARC1; p=reject; rua=mailto:dmarc@${CUSTOMER}`] });
  dns.set(CUSTOMER, { TXT: ['v=spf1 ip4:127.0.0.1 -all'] });
  publishDkimKey(dns, CARRIER, 'e1', carrierKey);
  dns.set(`_dmarc.${CARRIER}`, { TXT: ['v=DMARC1; p=quarantine'] });
  dns.set(CARRIER, { TXT: ['v=spf1 ip4:192.0.2.1 -all'] });
  dns.set(`_dmarc.${RELAXED}`, { TXT: ['v=DMARC1; p=none'] });
  publishDkimKey(dns, EVIL, 's1', evilKey);
  dns.set(`_dmarc.${EVIL}`, { TXT: ['v=DMARC1; p=reject'] });
});

afterEach(async () => {
  // Closing ends look-ups a deadline left behind (ECANCELLED), so nothing outlives its test.
  for (const resolver of resolvers.splice(0)) resolver.close();
  await dns.close();
});

function resolverFor(options: Partial<DnsResolverOptions> = {}): DnsResolver {
  const resolver = createDnsResolver({ servers: [dns], timeoutMs: 1000, tries: 1, ...options });
  resolvers.push(resolver);
  return resolver;
}

function authenticatorFor(
  options: Partial<MailAuthenticatorOptions> & { resolverOptions?: Partial<DnsResolverOptions> } = {},
): MailAuthenticator {
  const { resolverOptions, ...rest } = options;
  const resolver = resolverFor(resolverOptions);
  return createMailAuthenticator({
    mode: 'enforce',
    resolve: (name, rrtype) => resolver.resolve(name, rrtype),
    authservId: 'desk.test',
    trustedAuthservIds: [],
    ...rest,
  });
}

function mailFrom(from: string, extra: { text?: string; headers?: Record<string, string> } = {}): Buffer {
  return buildMail({
    from,
    to: 'porting@desk.test',
    subject: 'Re: Port-out request PO-1042',
    text: extra.text ?? 'I approve this port-out.\r\n\r\nPriya',
    messageId: `reply-${randomBytes(6).toString('hex')}@${from.slice(from.lastIndexOf('@') + 1).replace(/>$/, '')}`,
    ...(extra.headers ? { headers: extra.headers } : {}),
  });
}

function customerReply(extra: { text?: string; headers?: Record<string, string> } = {}): Buffer {
  return mailFrom(`Priya Raman <priya@${CUSTOMER}>`, extra);
}

function signedByCustomer(raw: Buffer): Promise<Buffer> {
  return signMessage(raw, { signingDomain: CUSTOMER, selector: 's1', key: customerKey });
}

/** The message with header lines put on top, as a receiving MX does. */
function withHeadersOnTop(raw: Buffer, ...lines: string[]): Buffer {
  return Buffer.concat([Buffer.from(lines.map((line) => `${line}\r\n`).join('')), raw]);
}

function envelope(mailFromAddress: string, clientIp = '127.0.0.1'): SmtpEnvelope {
  return { clientIp, helo: 'mail.sender.test', mailFrom: mailFromAddress, rcptTo: ['porting@desk.test'] };
}

describe('DKIM and DMARC checked by the desk', () => {
  it('passes and aligns a message signed by its From domain that publishes p=reject', async () => {
    const auth = await authenticatorFor().authenticate(await signedByCustomer(customerReply()));
    expect(auth).toMatchObject({
      by: 'portdesk',
      fromDomain: CUSTOMER,
      dkim: 'pass',
      dkimDomains: [CUSTOMER],
      spf: 'none',
      dmarc: 'pass',
      dmarcPolicy: 'reject',
      arc: 'none',
      aligned: true,
    });
    expect(auth.temporary).toBeUndefined();
    expect(auth.spfDomain).toBeUndefined();
  });

  it('passes an ed25519 signature too, with the domain p=quarantine policy', async () => {
    const raw = await signMessage(mailFrom(`Porting Desk <lnp@${CARRIER}>`), { signingDomain: CARRIER, selector: 'e1', key: carrierKey });
    const auth = await authenticatorFor().authenticate(raw);
    expect(auth).toMatchObject({ fromDomain: CARRIER, dkim: 'pass', dkimDomains: [CARRIER], dmarc: 'pass', dmarcPolicy: 'quarantine', aligned: true });
  });

  it('fails DKIM and DMARC when the body was changed after signing', async () => {
    const signed = await signedByCustomer(customerReply({ text: 'I approve this port-out.' }));
    const altered = Buffer.from(signed.toString('latin1').replace('I approve', 'I reject!'), 'latin1');
    expect(altered.equals(signed)).toBe(false);
    const auth = await authenticatorFor().authenticate(altered);
    expect(auth).toMatchObject({ by: 'portdesk', fromDomain: CUSTOMER, dkimDomains: [], dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
    // RFC 8601 §2.7.1: a signature that does not verify is `fail`; `neutral` is for one that could not be processed.
    expect(auth.dkim).toBe('fail');
  });

  it('fails DKIM and DMARC when a signed header was changed after signing', async () => {
    const signed = await signedByCustomer(customerReply());
    const altered = Buffer.from(signed.toString('latin1').replace('Subject: Re: Port-out request PO-1042', 'Subject: Re: Port-out request PO-1043'), 'latin1');
    expect(altered.equals(signed)).toBe(false);
    const auth = await authenticatorFor().authenticate(altered);
    expect(auth).toMatchObject({ dkim: 'fail', dkimDomains: [], dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });

  it('fails DMARC for an unsigned message from a p=reject domain', async () => {
    const auth = await authenticatorFor().authenticate(customerReply());
    expect(auth).toMatchObject({ by: 'portdesk', fromDomain: CUSTOMER, dkim: 'none', dkimDomains: [], dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });

  it('says dmarc none for an unsigned message from a domain with no DMARC record', async () => {
    const auth = await authenticatorFor().authenticate(mailFrom(`Sam <sam@${PLAIN}>`));
    expect(auth).toMatchObject({ fromDomain: PLAIN, dkim: 'none', dmarc: 'none', aligned: false });
    expect(auth.dmarcPolicy).toBeUndefined();
    expect(auth.temporary).toBeUndefined();
  });

  it('fails DMARC with policy none for an unsigned message from a p=none domain', async () => {
    const auth = await authenticatorFor().authenticate(mailFrom(`Lee <lee@${RELAXED}>`));
    expect(auth).toMatchObject({ fromDomain: RELAXED, dkim: 'none', dmarc: 'fail', dmarcPolicy: 'none', aligned: false });
  });

  it('does not align a signature by another domain: evil.test signing a customer-mail.test From', async () => {
    const raw = await signMessage(customerReply(), { signingDomain: EVIL, selector: 's1', key: evilKey });
    const auth = await authenticatorFor().authenticate(raw);
    expect(auth).toMatchObject({ fromDomain: CUSTOMER, dkim: 'pass', dkimDomains: [EVIL], dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });

  it('aligns when one of two signatures is the From domain own', async () => {
    const raw = await signMessage(
      customerReply(),
      { signingDomain: EVIL, selector: 's1', key: evilKey },
      { signingDomain: CUSTOMER, selector: 's1', key: customerKey },
    );
    const auth = await authenticatorFor().authenticate(raw);
    expect(auth).toMatchObject({ dkim: 'pass', dmarc: 'pass', aligned: true });
    expect([...auth.dkimDomains].sort()).toEqual([CUSTOMER, EVIL].sort());
  });

  it('does not let a second From address escape the p=reject of the first', async () => {
    // RFC 7489 §6.6.1: a From with several addresses cannot be evaluated; it must not read as "no policy".
    const raw = mailFrom(`priya@${CUSTOMER}, mallory@${PLAIN}`);
    const auth = await authenticatorFor().authenticate(raw);
    expect(auth.aligned).toBe(false);
    expect(auth.dmarc).not.toBe('pass');
    expect(auth.dmarc).not.toBe('none');
  });
});

describe('SPF, when the SMTP envelope is known', () => {
  it('passes and aligns SPF for a MAIL FROM domain that lists 127.0.0.1, so DMARC passes unsigned', async () => {
    const auth = await authenticatorFor().authenticate(customerReply(), envelope(`priya@${CUSTOMER}`));
    expect(auth).toMatchObject({ fromDomain: CUSTOMER, dkim: 'none', spf: 'pass', spfDomain: CUSTOMER, dmarc: 'pass', dmarcPolicy: 'reject', aligned: true });
  });

  it('fails SPF for a MAIL FROM domain that lists only 192.0.2.1', async () => {
    const auth = await authenticatorFor().authenticate(mailFrom(`lnp@${CARRIER}`), envelope(`bounces@${CARRIER}`));
    expect(auth).toMatchObject({ fromDomain: CARRIER, spf: 'fail', spfDomain: CARRIER, dmarc: 'fail', dmarcPolicy: 'quarantine', aligned: false });
  });

  it('passes SPF for another domain without aligning it with the From domain', async () => {
    dns.set(EVIL, { TXT: ['v=spf1 ip4:127.0.0.1 -all'] });
    const auth = await authenticatorFor().authenticate(customerReply(), envelope(`bounce@${EVIL}`));
    expect(auth).toMatchObject({ spf: 'pass', spfDomain: EVIL, dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });

  it('reports SPF none and asks no SPF question without an envelope', async () => {
    const auth = await authenticatorFor().authenticate(customerReply());
    expect(auth.spf).toBe('none');
    expect(auth.spfDomain).toBeUndefined();
    // customer-mail.test's only TXT record is its SPF policy: nobody asked for it.
    expect(dns.queries(CUSTOMER, 'TXT')).toBe(0);
    expect(dns.queries('undefined', 'TXT')).toBe(0);
  });
});

describe('a trusted Authentication-Results header', () => {
  const TRUSTED_RESULTS = `Authentication-Results: ${DESK_MX}; dkim=pass header.d=${CUSTOMER}; spf=pass smtp.mailfrom=priya@${CUSTOMER}; dmarc=pass (p=REJECT) header.from=${CUSTOMER}`;

  it('is believed for an unsigned message, and the desk makes no DKIM or DMARC look-up', async () => {
    const raw = withHeadersOnTop(customerReply(), TRUSTED_RESULTS);
    const auth = await authenticatorFor({ trustedAuthservIds: [DESK_MX] }).authenticate(raw);
    expect(auth).toMatchObject({
      by: `header:${DESK_MX}`,
      fromDomain: CUSTOMER,
      dkim: 'pass',
      dkimDomains: [CUSTOMER],
      spf: 'pass',
      spfDomain: CUSTOMER,
      dmarc: 'pass',
      dmarcPolicy: 'reject',
      aligned: true,
    });
    expect(dns.queries(dkimKeyName('s1', CUSTOMER), 'TXT')).toBe(0);
    expect(dns.queries(`_dmarc.${CUSTOMER}`, 'TXT')).toBe(0);
    expect(dns.totalQueries()).toBe(0);
  });

  it('matches the authserv-id without regard to case or surrounding space', async () => {
    const raw = withHeadersOnTop(customerReply(), TRUSTED_RESULTS.replace(DESK_MX, 'MX.Desk.TEST'));
    const auth = await authenticatorFor({ trustedAuthservIds: [` ${DESK_MX} `] }).authenticate(raw);
    expect(auth).toMatchObject({ dmarc: 'pass', aligned: true });
    expect(auth.by.toLowerCase()).toBe(`header:${DESK_MX}`);
  });

  it('is ignored when its authserv-id is not trusted: the desk checks, and DMARC fails for p=reject', async () => {
    const raw = withHeadersOnTop(customerReply(), TRUSTED_RESULTS);
    const auth = await authenticatorFor({ trustedAuthservIds: ['mx.other-isp.test'] }).authenticate(raw);
    expect(auth).toMatchObject({ by: 'portdesk', dkim: 'none', dkimDomains: [], dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
    expect(dns.queries(`_dmarc.${CUSTOMER}`, 'TXT')).toBe(1);
  });

  it('is ignored when no authserv-id is trusted at all', async () => {
    const raw = withHeadersOnTop(customerReply(), TRUSTED_RESULTS);
    const auth = await authenticatorFor({ trustedAuthservIds: [] }).authenticate(raw);
    expect(auth).toMatchObject({ by: 'portdesk', dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });

  it('is ignored below a topmost header of another authserv-id (a forgery that came with the message)', async () => {
    const raw = withHeadersOnTop(customerReply(), `Authentication-Results: mx.other-isp.test; dkim=none; spf=none`, TRUSTED_RESULTS);
    const auth = await authenticatorFor({ trustedAuthservIds: [DESK_MX] }).authenticate(raw);
    expect(auth).toMatchObject({ by: 'portdesk', dkim: 'none', dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });

  it('on top is believed even when a forged one follows below it', async () => {
    const topmost = `Authentication-Results: ${DESK_MX}; dkim=none; spf=none smtp.mailfrom=priya@${CUSTOMER}; dmarc=fail (p=REJECT) header.from=${CUSTOMER}`;
    const raw = withHeadersOnTop(customerReply(), topmost, TRUSTED_RESULTS);
    const auth = await authenticatorFor({ trustedAuthservIds: [DESK_MX] }).authenticate(raw);
    expect(auth).toMatchObject({ by: `header:${DESK_MX}`, dkim: 'none', dkimDomains: [], spf: 'none', dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });

  it('without a dmarc= part makes the desk look up DMARC itself, from the header DKIM and SPF', async () => {
    const passing = `Authentication-Results: ${DESK_MX}; dkim=pass header.d=${CUSTOMER}; spf=none smtp.mailfrom=priya@${CUSTOMER}`;
    const auth = await authenticatorFor({ trustedAuthservIds: [DESK_MX] }).authenticate(withHeadersOnTop(customerReply(), passing));
    expect(auth).toMatchObject({ by: `header:${DESK_MX}`, dkim: 'pass', dkimDomains: [CUSTOMER], spf: 'none', dmarc: 'pass', dmarcPolicy: 'reject', aligned: true });
    expect(dns.queries(`_dmarc.${CUSTOMER}`, 'TXT')).toBe(1);
    // The MX checked the signature: the desk did not fetch the key.
    expect(dns.queries(dkimKeyName('s1', CUSTOMER), 'TXT')).toBe(0);
  });

  it('without a dmarc= part and only a foreign DKIM pass: the desk own DMARC look-up fails it', async () => {
    const foreign = `Authentication-Results: ${DESK_MX}; dkim=pass header.d=${EVIL}; spf=fail smtp.mailfrom=priya@${CUSTOMER}`;
    const auth = await authenticatorFor({ trustedAuthservIds: [DESK_MX] }).authenticate(withHeadersOnTop(customerReply(), foreign));
    expect(auth).toMatchObject({ by: `header:${DESK_MX}`, dkim: 'pass', dkimDomains: [EVIL], spf: 'fail', dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });
});

describe('DNS that does not answer', () => {
  it('marks the result temporary with dmarc temperror when _dmarc times out', async () => {
    dns.blackhole(`_dmarc.${CUSTOMER}`);
    const authenticator = authenticatorFor({ resolverOptions: { timeoutMs: 200, tries: 1 } });
    const auth = await authenticator.authenticate(await signedByCustomer(customerReply()));
    expect(auth).toMatchObject({ by: 'portdesk', dkim: 'pass', dmarc: 'temperror', temporary: true });
    expect(dns.queries(`_dmarc.${CUSTOMER}`, 'TXT')).toBeGreaterThan(0);
  });

  it('marks the result temporary with dkim temperror when the DKIM key times out', async () => {
    dns.blackhole(dkimKeyName('s1', CUSTOMER));
    const authenticator = authenticatorFor({ resolverOptions: { timeoutMs: 200, tries: 1 } });
    const auth = await authenticator.authenticate(await signedByCustomer(customerReply()));
    expect(auth).toMatchObject({ dkim: 'temperror', dkimDomains: [], aligned: false, temporary: true });
  });

  it('gives up at deadlineMs, as temporary, without waiting for the resolver', async () => {
    dns.blackhole(dkimKeyName('s1', CUSTOMER));
    // The resolver would wait a minute; the test's own time-out (5 s) proves the deadline ended it.
    const authenticator = authenticatorFor({ deadlineMs: 300, resolverOptions: { timeoutMs: 60_000, tries: 1 } });
    const auth = await authenticator.authenticate(await signedByCustomer(customerReply()));
    expect(auth).toMatchObject({ by: 'portdesk', dmarc: 'temperror', aligned: false, temporary: true });
  }, 5_000);
});

describe('caching and modes', () => {
  it('asks for the DKIM key and the DMARC record once for the same message authenticated twice', async () => {
    const authenticator = authenticatorFor();
    const raw = await signedByCustomer(customerReply());
    const first = await authenticator.authenticate(raw);
    const second = await authenticator.authenticate(raw);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ dkim: 'pass', dmarc: 'pass', aligned: true });
    expect(dns.queries(dkimKeyName('s1', CUSTOMER), 'TXT')).toBe(1);
    expect(dns.queries(`_dmarc.${CUSTOMER}`, 'TXT')).toBe(1);
  });

  it("returns by 'off' and asks nothing in mode off", async () => {
    const authenticator = authenticatorFor({ mode: 'off', trustedAuthservIds: [DESK_MX] });
    const auth = await authenticator.authenticate(await signedByCustomer(customerReply()), envelope(`priya@${CUSTOMER}`));
    expect(auth).toEqual({ by: 'off', dkim: 'none', dkimDomains: [], spf: 'none', dmarc: 'none', arc: 'none', aligned: false });
    expect(dns.totalQueries()).toBe(0);
  });

  it('checks in mode report just as in enforce', async () => {
    const auth = await authenticatorFor({ mode: 'report' }).authenticate(customerReply());
    expect(auth).toMatchObject({ by: 'portdesk', dmarc: 'fail', dmarcPolicy: 'reject', aligned: false });
  });
});

describe('input that is not a message', () => {
  it.each([
    ['random bytes', () => randomBytes(4096)],
    ['an empty buffer', () => Buffer.alloc(0)],
    ['headers without a From', () => Buffer.from('Subject: hello\r\nX-Junk: \u0000\u0001\r\n\r\nbody\r\n', 'latin1')],
    ['a broken DKIM-Signature', () => customerReply({ headers: { 'DKIM-Signature': 'v=1; a=rsa-sha256; d=; s=; b=@@@' } })],
  ])('does not throw for %s', async (_name, make) => {
    const auth = await authenticatorFor().authenticate(make());
    expect(['permerror', 'none', 'fail']).toContain(auth.dmarc);
    expect(auth.aligned).toBe(false);
    expect(auth.dkimDomains).toEqual([]);
  });
});

describe('checks at once', () => {
  it('runs at most `concurrency` checks at once; the others wait their turn and are still checked', async () => {
    let inLookup = 0;
    let most = 0;
    const release: (() => void)[] = [];
    // A resolver that holds every look-up until the test lets it go, counting how many wait.
    const resolve = async (): Promise<unknown[]> => {
      inLookup += 1;
      most = Math.max(most, inLookup);
      await new Promise<void>((r) => release.push(r));
      inLookup -= 1;
      throw Object.assign(new Error('queryTxt ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const auth = createMailAuthenticator({ mode: 'enforce', resolve, authservId: DESK_MX, trustedAuthservIds: [], concurrency: 2 });
    const signed = await signedByCustomer(customerReply());
    let settled = false;
    const all = Promise.all(Array.from({ length: 5 }, () => auth.authenticate(signed))).finally(() => (settled = true));
    // Let the held look-ups go a few at a time, until every check is done.
    while (!settled) {
      await new Promise((r) => setTimeout(r, 5));
      release.splice(0).forEach((go) => go());
    }
    const done = await all;
    expect(done.map((r) => r.dkim)).toEqual(Array(5).fill('neutral'));
    expect(most).toBe(2);
  });
});
