/**
 * PINs stored as salted scrypt hashes: `scrypt$N$r$p$salt$hash` (salt and hash base64url). The
 * cost parameters travel with each hash, so a hash made at another cost still checks, and the
 * default can be raised later without a migration.
 *
 * Cost: N=2^14, r=8, p=1 (16 MiB), the scrypt paper's figure for interactive logins. Measured on
 * the reference machine (2 vCPUs Xeon, Node 20): 35 ms per hash or check, right or wrong PIN
 * alike (2^13: 17 ms, 2^15: 100 ms). A check runs on the desk's thread, once per request that
 * carries a PIN for a PIN-protected account (a carrier locked out of the account is refused
 * before any check), so a burst of such requests is served at about 28 a second; bulk work
 * (imports, migration) uses the background variants, on libuv's thread pool.
 *
 * What a hash protects: a port-out PIN is short (4 to 8 digits), so anyone holding desk.json and
 * enough time recovers it even from scrypt; the data directory's modes (0700/0600) are the first
 * protection, the hash the second (no PIN readable at a glance, in a backup, or in a support
 * ticket).
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual, createHash } from 'node:crypto';
import { normalizePin } from '../domain/normalize.js';
import type { Pins } from '../ports/pins.js';

export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 14, r: 8, p: 1 };

const PREFIX = 'scrypt';
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const B64URL = /^[A-Za-z0-9_-]+$/;
/**
 * Bounds on the cost a stored hash may ask for: a damaged or hand-edited store must not make one
 * check take minutes or gigabytes.
 */
const MAX = { N: 2 ** 20, r: 32, p: 16 };

interface Parsed {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): Parsed | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const ok =
    Number.isInteger(cost.N) && cost.N > 1 && (cost.N & (cost.N - 1)) === 0 && cost.N <= MAX.N &&
    Number.isInteger(cost.r) && cost.r >= 1 && cost.r <= MAX.r &&
    Number.isInteger(cost.p) && cost.p >= 1 && cost.p <= MAX.p &&
    B64URL.test(salt) && B64URL.test(key);
  if (!ok) return undefined;
  const saltBuf = Buffer.from(salt, 'base64url');
  const keyBuf = Buffer.from(key, 'base64url');
  if (saltBuf.length < 8 || keyBuf.length < 16) return undefined;
  return { cost, salt: saltBuf, key: keyBuf };
}

function options(cost: ScryptCost) {
  // scrypt needs 128·N·r·p bytes; node's default cap (32 MiB) is just above what 2^14 needs.
  return { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r * cost.p + 1024 * 1024 };
}

function format(cost: ScryptCost, salt: Buffer, key: Buffer): string {
  return [PREFIX, cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A clear PIN left by an older desk, compared in constant time (digests of equal length). */
function sameClearPin(pin: string, clear: string): boolean {
  const digest = (s: string) => createHash('sha256').update(normalizePin(s)).digest();
  return timingSafeEqual(digest(pin), digest(clear));
}

export function createScryptPins(cost: ScryptCost = DEFAULT_SCRYPT_COST): Pins {
  const derive = (pin: string, salt: Buffer, c: ScryptCost, length: number) => scryptSync(normalizePin(pin), salt, length, options(c));
  const deriveInBackground = (pin: string, salt: Buffer, c: ScryptCost, length: number) =>
    new Promise<Buffer>((resolve, reject) => scrypt(normalizePin(pin), salt, length, options(c), (err, key) => (err ? reject(err) : resolve(key))));

  const nonEmpty = (pin: string) => {
    // An empty normal form would hash to a value that a blank PIN matches: a caller's bug.
    if (normalizePin(pin) === '') throw new RangeError('a PIN needs at least one letter or digit');
    return pin;
  };
  return {
    hash(pin) {
      nonEmpty(pin);
      const salt = randomBytes(SALT_BYTES);
      return format(cost, salt, derive(pin, salt, cost, KEY_BYTES));
    },
    async hashInBackground(pin) {
      nonEmpty(pin);
      const salt = randomBytes(SALT_BYTES);
      return format(cost, salt, await deriveInBackground(pin, salt, cost, KEY_BYTES));
    },
    matches(pin, stored) {
      // A PIN with nothing in it ("--", " ") is no PIN: it never matches.
      if (normalizePin(pin) === '') return false;
      const h = parseHash(stored);
      if (!h) return normalizePin(stored) !== '' && sameClearPin(pin, stored);
      return timingSafeEqual(derive(pin, h.salt, h.cost, h.key.length), h.key);
    },
    async matchesInBackground(pin, stored) {
      if (normalizePin(pin) === '') return false;
      const h = parseHash(stored);
      if (!h) return normalizePin(stored) !== '' && sameClearPin(pin, stored);
      return timingSafeEqual(await deriveInBackground(pin, h.salt, h.cost, h.key.length), h.key);
    },
    isHash: (stored) => parseHash(stored) !== undefined,
  };
}

/** Whether a value is in the stored form, without building an adapter (the store's seal uses it). */
export function isPinHash(stored: string): boolean {
  return parseHash(stored) !== undefined;
}
