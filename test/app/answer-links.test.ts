/**
 * The one-click link's token (SPEC §12, rule 4's third secret): made only with the key, bound to
 * one order's own secret token, and refused when any part of it is changed.
 */
import { describe, expect, it } from 'vitest';
import { createAnswerLinks, deriveKey } from '../../src/app/answer-links.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const links = createAnswerLinks(KEY, 'https://porting.example.test/');

describe('answer links', () => {
  it('writes PUBLIC_URL/v/ORDER.SIGNATURE, the signature 256 bits', () => {
    const url = links.urlFor('PO-ABC123', 'order-secret-token');
    expect(url).toMatch(/^https:\/\/porting\.example\.test\/v\/PO-ABC123\.[A-Za-z0-9_-]{43}$/);
    expect(url).not.toContain('order-secret-token');
    expect(links.orderIdOf(url.split('/v/')[1]!)).toBe('PO-ABC123');
  });

  it('verifies its own token for the order it was made for, and nothing else', () => {
    const token = links.tokenFor('PO-ABC123', 'secret-1');
    expect(links.verify(token, 'secret-1')).toBe(true);
    // The same order id with another order secret (a recreated order) does not verify.
    expect(links.verify(token, 'secret-2')).toBe(false);
    // Another order's id with this signature.
    expect(links.verify(token.replace('PO-ABC123', 'PO-ABC124'), 'secret-1')).toBe(false);
    // Another key.
    expect(createAnswerLinks(Buffer.from('another key, just as long as the first'), 'https://x').verify(token, 'secret-1')).toBe(false);
  });

  it('refuses every single-character change of the signature', () => {
    const token = links.tokenFor('PO-ABC123', 'secret-1');
    const sig = token.split('.')[1]!;
    for (let i = 0; i < sig.length; i++) {
      const swapped = sig[i] === 'A' ? 'B' : 'A';
      const changed = `PO-ABC123.${sig.slice(0, i)}${swapped}${sig.slice(i + 1)}`;
      expect(links.verify(changed, 'secret-1'), `position ${i}`).toBe(false);
    }
  });

  it('refuses tokens of the wrong shape without throwing', () => {
    for (const junk of ['', 'PO-ABC123', 'PO-ABC123.', 'po-abc123.xxxx', `PO-ABC123.${'A'.repeat(42)}`, `PO-ABC123.${'A'.repeat(44)}`, '../../etc/passwd', `PO-ABC123.${'A'.repeat(43)}.extra`]) {
      expect(links.orderIdOf(junk) === undefined || !links.verify(junk, 'secret-1')).toBe(true);
      expect(links.verify(junk, 'secret-1')).toBe(false);
    }
  });

  it('form tokens are bound to their link', () => {
    const a = links.tokenFor('PO-ABC123', 'secret-1');
    const b = links.tokenFor('PO-ABC124', 'secret-2');
    expect(links.verifyFormToken(a, links.formToken(a))).toBe(true);
    expect(links.verifyFormToken(a, links.formToken(b))).toBe(false);
    expect(links.verifyFormToken(a, '')).toBe(false);
    // A form token is not the link's own signature.
    expect(links.formToken(a)).not.toBe(a.split('.')[1]);
  });

  it('derives separate keys per use', () => {
    expect(deriveKey(KEY, 'sessions').equals(deriveKey(KEY, 'links'))).toBe(false);
    expect(deriveKey(KEY, 'sessions').equals(KEY)).toBe(false);
  });
});
