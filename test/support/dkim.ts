/**
 * DKIM for tests: keys made at run time, the TXT records that publish them, and messages signed
 * with mailauth's own signer, so the verifier under test checks real signatures against real DNS
 * answers (test/support/dns-server.ts) — nothing about DKIM is faked.
 */
import { generateKeyPairSync } from 'node:crypto';
// Through the desk's loader, as the daemon loads it: a process that signs here and verifies too
// (a benchmark, a test) then verifies as the daemon does, its DKIM key memo in place.
import { mailauth } from '../../src/adapters/mailauth-loader.js';
import type { TestDnsServer } from './dns-server.js';

export type DkimKeyType = 'rsa' | 'ed25519';

export interface DkimKey {
  type: DkimKeyType;
  /** PKCS#8 PEM, what `dkimSign` takes. */
  privateKeyPem: string;
  /** The TXT record that publishes the public key: `v=DKIM1; k=…; p=…`. */
  record: string;
}

/**
 * A fresh key pair. RSA (2048 bits; about 0.1 s to make, so make it once per file) publishes the
 * base64 SPKI DER; ed25519 publishes the raw 32-byte key, as RFC 8463 says.
 */
export function makeDkimKey(type: DkimKeyType = 'rsa'): DkimKey {
  const { privateKey, publicKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // An ed25519 SPKI is a fixed 12-byte prefix and the 32-byte key.
  const published = type === 'rsa' ? spki : spki.subarray(spki.length - 32);
  return {
    type,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: `v=DKIM1; k=${type}; p=${published.toString('base64')}`,
  };
}

/** Where a selector's key lives: `s1._domainkey.example.test`. */
export function dkimKeyName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/** Publishes `key` under `selector` for `domain` on the test DNS server. */
export function publishDkimKey(server: TestDnsServer, domain: string, selector: string, key: DkimKey): void {
  server.set(dkimKeyName(selector, domain), { TXT: [key.record] });
}

export interface DkimSigner {
  signingDomain: string;
  selector: string;
  key: DkimKey;
}

/** The message with the DKIM-Signature headers of every signer prepended (relaxed/relaxed). */
export async function signMessage(raw: Buffer, ...signers: DkimSigner[]): Promise<Buffer> {
  const signatureData = signers.map(({ signingDomain, selector, key }) => ({
    signingDomain,
    selector,
    privateKey: key.privateKeyPem,
    algorithm: key.type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
  }));
  const first = signatureData[0];
  if (first === undefined) throw new Error('signMessage needs at least one signer');
  // mailauth's type wants the first signer at the top level too; it signs each signatureData entry.
  // signTime is fixed here: without it mailauth reads the clock twice, once for the t= it hashes
  // and once for the t= it writes, and a signature made across a second boundary never verifies.
  const result = await mailauth.dkimSign(raw, { ...first, signatureData, signTime: new Date() });
  if (result.errors.length > 0) throw result.errors[0];
  return Buffer.concat([Buffer.from(result.signatures), raw]);
}
