/**
 * Console passwords hashed with scrypt (node:crypto, on libuv's thread pool): `scrypt$N$r$p$salt$key`,
 * the same layout as the PINs' (scrypt-pins.ts) but over the password exactly as typed.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Passwords } from '../ports/passwords.js';

const PREFIX = 'scrypt';
const SALT_BYTES = 16;
const KEY_BYTES = 32;

export interface PasswordCost {
  N: number;
  r: number;
  p: number;
}

/** About 50 ms a check on a current core: slow for a guesser, unnoticed at a sign-in. */
export const DEFAULT_PASSWORD_COST: PasswordCost = { N: 2 ** 15, r: 8, p: 1 };

function derive(password: string, salt: Buffer, cost: PasswordCost, length: number): Promise<Buffer> {
  const maxmem = 256 * cost.N * cost.r * cost.p + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, length, { N: cost.N, r: cost.r, p: cost.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function parse(stored: string): { cost: PasswordCost; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 2 ** 20 || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { cost: { N, r, p }, salt, key };
}

export function createScryptPasswords(cost: PasswordCost = DEFAULT_PASSWORD_COST): Passwords {
  const dummy = { cost, salt: randomBytes(SALT_BYTES), key: randomBytes(KEY_BYTES) };
  return {
    async hash(password) {
      const salt = randomBytes(SALT_BYTES);
      const key = await derive(password, salt, cost, KEY_BYTES);
      return [PREFIX, cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
    },
    async verify(password, stored) {
      const h = (stored !== undefined && parse(stored)) || dummy;
      const key = await derive(password, h.salt, h.cost, h.key.length);
      return h !== dummy && timingSafeEqual(key, h.key);
    },
  };
}
