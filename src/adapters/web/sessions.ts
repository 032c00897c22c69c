/**
 * Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, the session itself in
 * memory (a restart signs everyone out). Each session has its own CSRF token, which every form
 * carries back. A session ends after SESSION_IDLE without a request or SESSION_MAX in all, and at
 * once when its user is removed (the caller looks the user up on every request). Sign-in attempts
 * are limited per client address and per user name.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'portdesk_session';
export const SIGNIN_COOKIE = 'portdesk_signin';
export const SESSION_IDLE_MS = 2 * 3_600_000;
export const SESSION_MAX_MS = 12 * 3_600_000;
/** Failed sign-ins per client address, and per user name, in SIGNIN_WINDOW_MS. */
export const SIGNIN_FAILURES_PER_CLIENT = 10;
export const SIGNIN_FAILURES_PER_NAME = 5;
export const SIGNIN_WINDOW_MS = 15 * 60_000;

export interface Session {
  id: string;
  user: string;
  csrf: string;
  createdAt: number;
  seenAt: number;
  /** A message shown once on the next page (after a redirect). */
  flash?: { kind: 'ok' | 'error'; text: string };
}

export const newSecret = (): string => randomBytes(32).toString('base64url');

export function sameSecret(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(private readonly now: () => number) {}

  start(user: string): Session {
    const t = this.now();
    const s: Session = { id: newSecret(), user, csrf: newSecret(), createdAt: t, seenAt: t };
    this.byId.set(s.id, s);
    this.sweep(t);
    return s;
  }

  /** The live session of this cookie value, touched; undefined when unknown or expired. */
  get(id: unknown): Session | undefined {
    if (typeof id !== 'string' || id.length > 100) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.seenAt > SESSION_IDLE_MS || t - s.createdAt > SESSION_MAX_MS) {
      this.byId.delete(id);
      return undefined;
    }
    s.seenAt = t;
    return s;
  }

  end(id: string): void {
    this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }

  private sweep(t: number): void {
    for (const [id, s] of this.byId) if (t - s.seenAt > SESSION_IDLE_MS || t - s.createdAt > SESSION_MAX_MS) this.byId.delete(id);
  }
}

/** Failed sign-ins in a sliding window, per key (a client address, a user name). */
export class SigninLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  /** Milliseconds until `keys` may try again; 0 when they may now. */
  waitFor(keys: { client: string; name: string }): number {
    const t = this.now();
    const wait = (key: string, max: number) => {
      const list = this.recent(key, t);
      return list.length >= max ? list[list.length - max]! + SIGNIN_WINDOW_MS - t : 0;
    };
    return Math.max(wait(`client:${keys.client}`, SIGNIN_FAILURES_PER_CLIENT), wait(`name:${keys.name}`, SIGNIN_FAILURES_PER_NAME));
  }

  fail(keys: { client: string; name: string }): void {
    const t = this.now();
    for (const key of [`client:${keys.client}`, `name:${keys.name}`]) this.failures.set(key, [...this.recent(key, t), t]);
    if (this.failures.size > 10_000) for (const k of [...this.failures.keys()]) if (!this.recent(k, t).length) this.failures.delete(k);
  }

  private recent(key: string, t: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((at) => t - at < SIGNIN_WINDOW_MS);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }
}
