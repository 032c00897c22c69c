/**
 * mailauth as the desk loads it: each distinct DKIM key text is parsed once, a key that changes
 * in DNS is parsed anew, and verification gives the same answers as with the parse repeated.
 * The loader is imported first, as in the daemon: it must wrap mailauth before anything loads it.
 */
import { keyMemo, mailauth } from '../../src/adapters/mailauth-loader.js';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsResolver, type DnsResolver } from '../../src/adapters/dns-resolver.js';
import { createMailAuthenticator } from '../../src/adapters/mail-authenticator.js';
import { makeDkimKey, publishDkimKey, signMessage, type DkimKey } from '../support/dkim.js';
import { startTestDnsServer, type TestDnsServer } from '../support/dns-server.js';

const DOMAIN = 'keyed-mail.test';
let dns: TestDnsServer;
let resolver: DnsResolver;

beforeAll(async () => {
  dns = await startTestDnsServer();
  dns.set(`_dmarc.${DOMAIN}`, { TXT: ['v=DMARC1; p=reject'] });
  // TTL 0: every message asks DNS again, so a key replaced in DNS is seen at once.
  resolver = createDnsResolver({ servers: [{ host: '127.0.0.1', port: dns.port }], maxTtlSeconds: 0 });
});

afterAll(async () => {
  resolver.close();
  await dns.close();
});

function message(i: number): Buffer {
  return Buffer.from(`From: LNP <lnp@${DOMAIN}>\r\nTo: porting@desk.test\r\nSubject: Request ${i}\r\nMessage-ID: <m${i}@${DOMAIN}>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nPON: K-${i}\r\n`);
}

describe('the DKIM key memo', () => {
  const authenticator = () => createMailAuthenticator({ mode: 'enforce', resolve: (n, t) => resolver.resolve(n, t), authservId: 'desk.test', trustedAuthservIds: [] });
  const signer = (key: DkimKey) => ({ signingDomain: DOMAIN, selector: 's1', key });

  it('parses a key once however many messages it signs, and verifies each of them', async () => {
    expect(keyMemo().active).toBe(true);
    const key = makeDkimKey();
    publishDkimKey(dns, DOMAIN, 's1', key);
    const before = keyMemo();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await authenticator().authenticate(await signMessage(message(i), signer(key))));
    expect(results.map((r) => [r.dkim, r.dmarc])).toEqual(Array(5).fill(['pass', 'pass']));
    expect(keyMemo().parsed - before.parsed).toBe(1);
    expect(keyMemo().reused - before.reused).toBe(4);
  });

  it('uses a new key as soon as DNS has it, and refuses signatures of the old one', async () => {
    const old = makeDkimKey();
    publishDkimKey(dns, DOMAIN, 's1', old);
    expect((await authenticator().authenticate(await signMessage(message(10), signer(old)))).dkim).toBe('pass');
    const rotated = makeDkimKey();
    publishDkimKey(dns, DOMAIN, 's1', rotated);
    expect((await authenticator().authenticate(await signMessage(message(11), signer(rotated)))).dkim).toBe('pass');
    expect((await authenticator().authenticate(await signMessage(message(12), signer(old)))).dkim).toBe('fail');
  });
});

describe('the header search', () => {
  it('finds the end of the header wherever the chunks split the message, CRLF or bare LF', async () => {
    const key = makeDkimKey();
    publishDkimKey(dns, DOMAIN, 's2', key);
    const resolve = (n: string, t: string) => resolver.resolve(n, t) as Promise<string[][]>;
    for (const eol of ['\r\n', '\n']) {
      const signed = await signMessage(Buffer.from(message(20).toString().replace(/\r\n/g, eol)), { signingDomain: DOMAIN, selector: 's2', key });
      const end = signed.indexOf(`${eol}${eol}`) + 2 * eol.length;
      // Every split from a few bytes before the blank line to a few after it, as a stream delivers them.
      for (let cut = end - 6; cut <= end + 2; cut++) {
        const parts = [signed.subarray(0, cut), signed.subarray(cut, cut + 3), signed.subarray(cut + 3)];
        const result = await mailauth.dkimVerify(Readable.from(parts), { resolver: resolve });
        expect([JSON.stringify(eol), cut - end, result.results[0]?.status.result]).toEqual([JSON.stringify(eol), cut - end, 'pass']);
      }
    }
  });

  it('still fails a signature whose header was changed, and reads a message with no body', async () => {
    const key = makeDkimKey();
    publishDkimKey(dns, DOMAIN, 's3', key);
    const resolve = (n: string, t: string) => resolver.resolve(n, t) as Promise<string[][]>;
    const signed = await signMessage(message(21), { signingDomain: DOMAIN, selector: 's3', key });
    const altered = Buffer.from(signed.toString().replace('Subject: Request 21', 'Subject: Request 99'));
    expect((await mailauth.dkimVerify(altered, { resolver: resolve })).results[0]?.status.result).toBe('fail');
    const headerOnly = Buffer.from(`From: x@${DOMAIN}\r\nSubject: none\r\n`);
    expect((await mailauth.dkimVerify(headerOnly, { resolver: resolve })).headerFrom).toEqual([`x@${DOMAIN}`]);
  });
});
