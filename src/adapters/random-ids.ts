import { randomBytes, randomInt } from 'node:crypto';
import type { Ids } from '../ports/ids.js';

/** No 0/O, 1/I/L: order ids are read out over the phone. */
const ORDER_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const TOKEN_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Random identifiers; `domain` is the right-hand side of generated Message-IDs. */
export function createRandomIds(domain: string): Ids {
  return {
    orderId: () => `PO-${pick(ORDER_ALPHABET, 6)}`,
    token: () => pick(TOKEN_ALPHABET, 16),
    messageId: () => `${Date.now().toString(36)}.${randomBytes(9).toString('hex')}@${domain}`,
    recordId: (prefix) => `${prefix}-${Date.now().toString(36)}${randomBytes(5).toString('hex')}`,
  };
}
