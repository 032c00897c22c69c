import { randomFillSync } from 'node:crypto';
import type { Ids } from '../ports/ids.js';

/** No 0/O, 1/I/L: order ids are read out over the phone. */
const ORDER_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const TOKEN_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/**
 * Cryptographically random bytes, drawn from a pool filled a few kilobytes at a time: a desk
 * working through a backlog makes several identifiers per message, and one system call per byte
 * (randomInt) or per identifier (randomBytes) showed up in its profile. Every byte is used once.
 */
class RandomPool {
  private readonly pool = Buffer.alloc(4096);
  private offset = this.pool.length;

  byte(): number {
    if (this.offset >= this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    return this.pool[this.offset++]!;
  }

  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i++) out += this.byte().toString(16).padStart(2, '0');
    return out;
  }

  /** `length` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias). */
  pick(alphabet: string, length: number): string {
    const limit = 256 - (256 % alphabet.length);
    let out = '';
    while (out.length < length) {
      const b = this.byte();
      if (b < limit) out += alphabet[b % alphabet.length];
    }
    return out;
  }
}

/**
 * Random identifiers; `domain` is the right-hand side of generated Message-IDs. A verification's
 * token and its Message-ID are the secrets that bind a customer's answer (SPEC §3 rule 4): 26
 * characters of a 32-letter alphabet carry 130 bits, and 16 random bytes 128 bits — beyond
 * guessing however many tries a fraudster makes.
 */
export function createRandomIds(domain: string): Ids {
  const random = new RandomPool();
  return {
    orderId: () => `PO-${random.pick(ORDER_ALPHABET, 6)}`,
    token: () => random.pick(TOKEN_ALPHABET, 26),
    messageId: () => `${Date.now().toString(36)}.${random.hex(16)}@${domain}`,
    recordId: (prefix) => `${prefix}-${Date.now().toString(36)}${random.hex(5)}`,
  };
}
