/**
 * One-click answers (SPEC §12, the third secret of rule 4): `PUBLIC_URL/v/TOKEN`, where TOKEN is
 * the order id and an HMAC-SHA256, under the link key, of the order id and the order's own
 * random token. Only the verification e-mails (to the account's address) carry it; nothing can
 * make one without the key, and a changed character fails the check. It needs no expiry of its
 * own: a link counts only while its order waits for the customer (until the verification's
 * expiresAt), which the store says at the moment it is used.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^(PO-[0-9A-Z]{6})\.([A-Za-z0-9_-]{43})$/;

export interface AnswerLinks {
  /** The token for an order (its id and the order's secret token). */
  tokenFor(orderId: string, orderToken: string): string;
  /** The full address written into e-mails. */
  urlFor(orderId: string, orderToken: string): string;
  /** The order id a well-formed token names, before its signature is checked; undefined for junk. */
  orderIdOf(linkToken: string): string | undefined;
  /** Whether the token was made by this desk for this order. Constant time. */
  verify(linkToken: string, orderToken: string): boolean;
  /** A form token that proves the page was fetched through this link (for the POST). */
  formToken(linkToken: string): string;
  verifyFormToken(linkToken: string, formToken: string): boolean;
}

export function createAnswerLinks(key: Buffer, publicUrl: string): AnswerLinks {
  const mac = (label: string, ...parts: string[]) => createHmac('sha256', key).update([label, ...parts].join('\n')).digest('base64url');
  const sign = (orderId: string, orderToken: string) => mac('portdesk answer link v1', orderId, orderToken);
  const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  const base = publicUrl.replace(/\/+$/, '');
  const links: AnswerLinks = {
    tokenFor: (orderId, orderToken) => `${orderId}.${sign(orderId, orderToken)}`,
    urlFor: (orderId, orderToken) => `${base}/v/${links.tokenFor(orderId, orderToken)}`,
    orderIdOf: (linkToken) => SIGNATURE.exec(linkToken)?.[1],
    verify(linkToken, orderToken) {
      const m = SIGNATURE.exec(linkToken);
      return !!m && same(m[2]!, sign(m[1]!, orderToken));
    },
    formToken: (linkToken) => mac('portdesk answer form v1', linkToken),
    verifyFormToken: (linkToken, formToken) => typeof formToken === 'string' && same(formToken, links.formToken(linkToken)),
  };
  return links;
}

/** The links' key and the console's keys are kept apart: each is derived for its one use. */
export function deriveKey(key: Buffer, use: string): Buffer {
  return createHmac('sha256', key).update(`portdesk key: ${use}`).digest();
}
