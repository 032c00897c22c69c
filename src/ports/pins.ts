/**
 * Port-out PINs as the desk keeps them (SPEC §10): a salted hash, never the PIN. The core asks
 * only whether a PIN a carrier gave is the one on file; what a carrier gave is kept as "given"
 * and "matched", nothing more. The hashing is an adapter (adapters/scrypt-pins.ts), so the domain
 * stays free of node:crypto and a test may use a cheaper cost.
 */
export interface PinCheck {
  /**
   * Whether `pin` (as a carrier wrote it: spaces, dashes and case do not count) is the PIN whose
   * stored form is `stored`. Takes as long for a wrong PIN as for a right one. A `stored` value
   * that is not a hash is a clear PIN left by an older desk, and is compared as such.
   */
  matches(pin: string, stored: string): boolean;
}

export interface Pins extends PinCheck {
  /** The stored form of a PIN: a salted hash of its normal form (normalizePin). */
  hash(pin: string): string;
  /** Whether `stored` is already a hash this desk can check (not a clear PIN). */
  isHash(stored: string): boolean;
  /**
   * hash and matches off the event loop, for bulk work: an import of thousands of accounts, or
   * the migration of a data directory with clear PINs, must not stop the desk answering.
   */
  hashInBackground(pin: string): Promise<string>;
  matchesInBackground(pin: string, stored: string): Promise<boolean>;
}
