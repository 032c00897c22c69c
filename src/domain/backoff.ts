/**
 * Delay before the next retry: exponential in the attempt number, capped, with jitter. The one
 * copy of the curve, used by the outbox (e-mails that could not be sent) and the IMAP source
 * (reconnects). Pure — the callers own the timers and the randomness — so the curve is tested
 * without waiting for it.
 */
export interface BackoffOptions {
  /** Delay of the first retry (attempt 0), before jitter. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /**
   * Share of the delay that is randomised, 0..1: the result lies in [d·(1−jitter), d]. Spreads
   * the retries of many clients (or of many e-mails that failed together) instead of having them
   * all hit the server at the same instant.
   */
  jitter: number;
  /** Source of randomness in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/** The IMAP source's reconnects: from one second to a minute. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000, jitter: 0.5 };

/** Milliseconds to wait before retry number `attempt` (0 for the first retry). */
export function computeBackoff(attempt: number, { baseMs, maxMs, jitter, random = Math.random }: BackoffOptions): number {
  // Past 2^1023 the power is Infinity, and 0 · Infinity is NaN; any cap is reached long before.
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.min(Math.floor(attempt), 1023) : 0;
  const base = Math.max(0, baseMs);
  const cap = Math.max(0, maxMs);
  // 2 ** n overflows to Infinity for large n and a large base, which Math.min turns back into the cap.
  const ceiling = Math.min(cap, base * 2 ** n);
  const share = Math.min(1, Math.max(0, Number.isFinite(jitter) ? jitter : 0));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling * (1 - share * r));
}
