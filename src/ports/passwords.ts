/** Console passwords as the store keeps them (SPEC §12): a salted, slow hash, never the password. */
export interface Passwords {
  /** The stored form of a password. Off the event loop. */
  hash(password: string): Promise<string>;
  /**
   * Whether `password` is the one `stored` was made from. With no `stored` (no such user) it
   * spends the same time and says no, so a sign-in does not tell which user names exist.
   */
  verify(password: string, stored: string | undefined): Promise<boolean>;
}
